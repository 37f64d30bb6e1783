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


#: What each part read on its own may import: the stage that reads it depends on these (dvc.yaml), not
#: on the rest of the experiment's package.
ALLOWED_IN_PART = {
    "needs": {"embedlab", "embedlab.needs", "embedlab.errors", "embedlab.params", "embedlab.paths", "embedlab.contract"},
    "claims": {"embedlab", "embedlab.claims", "embedlab.analysis", "embedlab.analysis.results", "embedlab.throughput",
               "embedlab.contract", "embedlab.errors", "embedlab.params", "embedlab.paths"},
}


def test_parts_read_on_their_own_import_only_what_their_stage_depends_on():
    # `embed` reads each needs.py and `report` each claims.py as a file of its own: a relative import
    # would fail there, and any other embedlab module would be a dependency the stage does not list.
    for part, allowed in ALLOWED_IN_PART.items():
        for path in sorted(ANALYSIS.glob(f"*/{part}.py")):
            source = path.read_text(encoding="utf-8")
            assert "from ." not in source, f"{path.relative_to(ROOT)}: use absolute imports (it is loaded on its own)"
            extra = imported(path) - allowed
            assert not extra, f"{path.relative_to(ROOT)} imports {sorted(extra)}: its stage does not depend on them"


def test_every_decided_claim_lives_in_the_package_of_the_experiment_it_names():
    from embedlab.claims import UNTESTABLE, experiment_claims, package_claims

    listed = dict(yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["experiments"])
    claims = experiment_claims(listed)
    assert [c.id for c in claims] == [f"C{i:02d}" for i in range(1, 25)]
    for group, name in listed.items():
        for claim in package_claims(group):
            assert next(c for c in claims if c.id == claim.id).experiments == (name,)
    assert all(c.assess is None and c.untestable for c in UNTESTABLE)
    claims_source = (SRC / "claims.py").read_text(encoding="utf-8")
    assert not any(name in claims_source for name in listed.values()), "claims.py names an experiment"


def test_an_experiment_without_a_package_is_one_line_and_one_without_needs_encodes_its_grid(tmp_path):
    import pytest

    from embedlab.errors import EmbedlabError
    from embedlab.needs import experiment_needs

    with pytest.raises(EmbedlabError, match="lists group 'nowhere'.*not a package"):
        experiment_needs({"nowhere": {"models": ["m"]}}, "nowhere")
    # 01 has no needs.py: its grid (models x tasks) is what it encodes.
    assert not (ANALYSIS / "architecture_comparison" / "needs.py").exists()
    assert experiment_needs({"architecture_comparison": {"models": ["a"], "tasks": ["T"]}}, "architecture_comparison") == {"a": ["T"]}


def test_embed_reads_every_listed_experiments_needs_file():
    from embedlab.needs import all_needs
    from embedlab.params import load_params

    params = load_params(ROOT / "params.yaml")
    needs = all_needs(params)
    assert set(needs) == set(params["experiments"])
    cal = params["quantization_tradeoffs"]["calibration"]
    assert all(cal in needs["quantization_tradeoffs"][m] for m in params["quantization_tradeoffs"]["models"])


def test_the_readme_locator_lists_each_experiments_package_and_claims():
    import re

    from embedlab.claims import package_claims

    listed = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))["experiments"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for group, name in listed.items():
        row = next((line for line in readme.splitlines() if f"`notebooks/{name}.ipynb`" in line and line.startswith("|")), None)
        assert row, f"README's locator table has no row for {name}"
        cells = [c.strip() for c in row.strip("|").split("|")]
        assert cells[2:6] == [f"`{group}`", f"`src/embedlab/analysis/{group}/`", f"`reports/metrics/{name}.json`",
                              f"`reports/figures/{name}/`"], row
        decided = sorted(c.id for c in package_claims(group))
        assert sorted(re.findall(r"C\d\d", cells[6])) == decided, f"{name}: README lists {cells[6]}, the package decides {decided}"
