"""The pipeline's dependencies are true in both directions: every module of src/embedlab that a stage's
command imports (following imports inside functions too, the notebook's imports for experiment stages,
and the experiment parts a stage reads as files: ``needs.py`` for `embed`, ``claims.py`` for `report`)
is under one of that stage's deps, so editing it makes `dvc status` report the stage; and every source
dep of a stage covers a module it imports, so editing an unused one reruns nothing."""

from __future__ import annotations

import ast
import json
import shlex
from pathlib import Path

import pytest

from embedlab import _EXPORTS
from embedlab.cli import COMMANDS, stage_module

from conftest import ROOT

SRC = ROOT / "src"


def module_file(name: str) -> Path | None:
    """The file of an embedlab module (package -> its __init__.py), or None."""
    base = SRC / Path(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.exists():
            return path
    return None


def _parents(name: str) -> list[str]:
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts) + 1)]


def imported_modules(source: str, package: str) -> set[str]:
    """embedlab modules that ``source`` (code of a module in ``package``) imports, anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "embedlab"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "embedlab":
                continue
            found.add(target)
            for alias in node.names:
                if module_file(f"{target}.{alias.name}"):
                    found.add(f"{target}.{alias.name}")  # `from .analysis import results`
                elif target == "embedlab" and alias.name in _EXPORTS:
                    found.add(f"embedlab.{_EXPORTS[alias.name]}")  # the package's lazy exports
    return {p for name in found for p in _parents(name) if module_file(p)}


def closure(start: set[str]) -> set[str]:
    seen, todo = set(), set(start)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_file(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        todo |= imported_modules(path.read_text(encoding="utf-8"), package) - seen
    return seen


def notebook_imports(path: Path) -> set[str]:
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    lines = [line for line in code.splitlines() if not line.lstrip().startswith(("%", "!"))]
    return imported_modules("\n".join(lines), "embedlab")


def stages() -> list:
    from dvc.repo import Repo

    with Repo(str(ROOT)) as repo:
        return [(s.addressing, s.cmd, [str(Path(d.def_path)) for d in s.deps]) for s in repo.index.stages]


def stage_imports(cmd: str) -> set[str]:
    args = shlex.split(cmd)
    assert args[:3] == ["python", "-m", "embedlab"], f"stage command {cmd!r} does not run `python -m embedlab`"
    command = args[3]
    assert command in COMMANDS, f"{cmd!r}: unknown command {command}"
    start = {"embedlab", "embedlab.__main__", "embedlab.cli", *_parents(stage_module(command))}
    if command == "notebook":
        start |= notebook_imports(ROOT / "notebooks" / f"{args[4]}.ipynb")
    files = STAGE_PARTS.get(command)
    extra = set()
    if files:  # parts read as files of their own (embedlab.contract.part): themselves and what they import
        for path in sorted((SRC / "embedlab" / "analysis").glob(f"*/{files}.py")):
            name = ".".join(path.relative_to(SRC).with_suffix("").parts)
            extra.add(name)
            start |= imported_modules(path.read_text(encoding="utf-8"), name.rpartition(".")[0])
    return closure(start) | extra


#: The experiment parts each stage reads as files (``embedlab.contract.PARTS``).
STAGE_PARTS = {"embed": "needs", "report": "claims"}


def unused(modules: set[str], deps: list[str]) -> list[str]:
    """Source deps (under src/) that cover none of ``modules``."""
    files = {module_file(m).relative_to(ROOT).as_posix() for m in modules}
    return [d for d in deps if d.startswith("src/")
            and not any(f == d or f.startswith(d.rstrip("/") + "/") for f in files)]


def uncovered(modules: set[str], deps: list[str]) -> list[str]:
    out = []
    for name in sorted(modules):
        rel = module_file(name).relative_to(ROOT).as_posix()
        if not any(rel == d or rel.startswith(d.rstrip("/") + "/") for d in deps):
            out.append(rel)
    return out


@pytest.mark.parametrize("address,cmd,deps", stages(), ids=lambda v: v if isinstance(v, str) and " " not in v else "")
def test_stage_depends_on_every_module_it_imports(address, cmd, deps):
    missing = uncovered(stage_imports(cmd), deps)
    assert not missing, f"stage {address} imports modules it does not depend on: {missing} (add them to dvc.yaml)"


@pytest.mark.parametrize("address,cmd,deps", [s for s in stages() if not s[0].startswith("experiment@")],
                         ids=lambda v: v if isinstance(v, str) and " " not in v else "")
def test_stage_depends_on_no_module_it_does_not_import(address, cmd, deps):
    extra = unused(stage_imports(cmd), deps)
    assert not extra, f"stage {address} depends on modules it never imports: {extra} (remove them from dvc.yaml)"


def test_every_dep_of_the_experiment_template_is_used_by_an_experiment():
    # One `foreach` template serves every experiment (adding one edits no shared file), and dvc.yaml
    # cannot interpolate a list into `deps`, so the template's shared modules are the union over the
    # experiments: each dep is imported by at least one, and what each experiment does not import is
    # at most the shared analysis modules listed here (a change to one reruns an experiment for nothing).
    experiments = [s for s in stages() if s[0].startswith("experiment@")]
    per_stage = {address: set(unused(stage_imports(cmd), deps)) for address, cmd, deps in experiments}
    assert not set.intersection(*per_stage.values()), "a dep of the experiment template no experiment imports"
    allowed = {"src/embedlab/analysis/calibration.py", "src/embedlab/analysis/coincidence.py", "src/embedlab/chance.py",
               "src/embedlab/throughput.py", "src/embedlab/figures.py", "src/embedlab/needs.py",
               "src/embedlab/contract.py"}
    assert all(extra <= allowed for extra in per_stage.values()), per_stage


def test_the_unused_check_sees_an_extra_dep():
    address, cmd, deps = next(s for s in stages() if s[0] == "prepare")
    assert unused(stage_imports(cmd), deps + ["src/embedlab/vectors"]) == ["src/embedlab/vectors"]


def test_the_check_follows_imports_inside_functions_and_notebooks():
    # The experiment stage reaches the evaluator only through a function-level import and the notebook.
    address, cmd, deps = next(s for s in stages() if s[0].startswith("experiment@"))
    modules = stage_imports(cmd)
    assert {"embedlab.evaluate", "embedlab.experiment", "embedlab.analysis.results"} <= modules
    assert uncovered(modules, [d for d in deps if d != "src/embedlab/evaluate.py"]) == ["src/embedlab/evaluate.py"]
    # ... and `prepare` imports no encoder: its deps stay narrow.
    prepare = next(s for s in stages() if s[0] == "prepare")
    assert not any(m.startswith("embedlab.encoders") for m in stage_imports(prepare[1]))
