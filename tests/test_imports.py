"""Import structure of src/embedlab, read with ``ast`` (nothing is imported): no module imports
another module's underscore names, ``embedlab.tasks`` has no import cycle, and code outside the
package imports it only through ``embedlab.tasks`` (its public API)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "embedlab"


def _module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(name: str) -> bool:
    return (SRC / Path(*name.split(".")) / "__init__.py").is_file()


def _imports(path: Path):
    """(imported module, imported names) for every import in the file, function-level ones included."""
    if PACKAGE in path.parents:
        name = _module_name(path)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    else:
        package = ""  # a test file: absolute imports only
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            yield module, [alias.name for alias in node.names]


def _modules():
    return sorted(PACKAGE.rglob("*.py"))


def test_no_module_imports_another_modules_private_names():
    offenders = [f"{_module_name(p)}: from {module} import {n}" for p in _modules() for module, names in _imports(p)
                 if module.split(".")[0] == "embedlab"
                 for n in names if n.startswith("_") and not n.startswith("__")]
    assert not offenders, offenders


def _loaded(module: str, names: list[str]) -> set[str]:
    """Modules an import runs: ``from pkg import sub`` runs ``pkg.sub`` when that is a module."""
    def is_module(name):
        return (SRC / f"{name.replace('.', '/')}.py").is_file() or _is_package(name)

    return {f"{module}.{n}" if is_module(f"{module}.{n}") else module for n in names} or {module}


def import_graph(folder: Path) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports."""
    graph = {}
    for path in folder.glob("*.py"):
        me, package = _module_name(path), _module_name(folder)
        graph[me] = {t for module, names in _imports(path) if module == package or module.startswith(package + ".")
                     for t in _loaded(module, names)} - {me}
    return graph


def test_tasks_package_has_no_import_cycle():
    graph = import_graph(PACKAGE / "tasks")
    assert "embedlab.tasks.spec" in graph["embedlab.tasks"]  # the graph sees relative imports

    def cycle_from(node, stack):
        if node in stack:
            return stack[stack.index(node):] + [node]
        for nxt in sorted(graph.get(node, ())):
            found = cycle_from(nxt, stack + [node])
            if found:
                return found
        return None

    for start in graph:
        cycle = cycle_from(start, [])
        assert cycle is None, " -> ".join(cycle)


def test_other_modules_use_only_the_public_api_of_tasks():
    offenders = [f"{_module_name(p)} imports {module}" for p in _modules() if "tasks" not in p.relative_to(PACKAGE).parts
                 for module, _ in _imports(p) if module.startswith("embedlab.tasks.")]
    offenders += [f"{p.name} imports {module}" for p in (SRC.parent / "tests").glob("test_*.py")
                  for module, _ in _imports(p) if module.startswith("embedlab.tasks.")]
    assert not offenders, offenders
