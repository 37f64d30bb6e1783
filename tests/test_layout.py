"""The layout's rules, checked on the code: one package per experiment under ``analysis/``, no experiment
package importing another (shared pieces live in ``analysis/``'s own modules), and no module over 600
lines."""

from __future__ import annotations

from pathlib import Path

import yaml

from conftest import ROOT
from test_dvc_deps import imported_modules

SRC = ROOT / "src" / "embedlab"
ANALYSIS = SRC / "analysis"
MAX_LINES = 600


def experiment_groups() -> list[str]:
    params = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
    return list(params["experiments"])


def imported(path: Path) -> set[str]:
    """The embedlab modules a file imports, anywhere in it (relative imports resolved: ``test_dvc_deps``)."""
    package = ".".join(path.relative_to(SRC.parent).with_suffix("").parts[:-1])  # a module's package (or its own)
    return imported_modules(path.read_text(encoding="utf-8"), package)


def test_every_experiment_is_one_package():
    for group in experiment_groups():
        assert (ANALYSIS / group / "__init__.py").exists(), f"experiment group {group}: no package analysis/{group}/"
        assert not (ANALYSIS / f"{group}.py").exists(), f"analysis/{group}.py and analysis/{group}/ both exist"


def test_no_experiment_package_imports_another():
    groups = experiment_groups()
    for group in groups:
        for path in sorted((ANALYSIS / group).rglob("*.py")):
            others = {name for name in imported(path) for other in groups if other != group
                      and (name == f"embedlab.analysis.{other}" or name.startswith(f"embedlab.analysis.{other}."))}
            assert not others, (f"{path.relative_to(ROOT)} imports another experiment's package: {sorted(others)} "
                                "(move what both need into a shared module of analysis/)")


def test_the_check_sees_an_import_of_another_package(tmp_path):
    fake = ANALYSIS / "dimension_scaling" / "__probe__.py"
    fake.write_text("from ..quantization_tradeoffs import plan\n", encoding="utf-8")
    try:
        names = imported(fake)
    finally:
        fake.unlink()
    assert "embedlab.analysis.quantization_tradeoffs" in names


def test_no_module_is_over_600_lines():
    long = {p.relative_to(ROOT).as_posix(): n for p in SRC.rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert not long, f"modules over {MAX_LINES} lines (split them by job): {long}"
