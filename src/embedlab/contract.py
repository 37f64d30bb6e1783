"""An experiment's package, ``src/embedlab/analysis/<params group>/``, and the parts of it that other
stages read: ``needs.py`` (what `embed` encodes: ``embedlab.needs``) and ``claims.py`` (the ledger's rules
it decides: ``embedlab.claims``). Each part is read as a file of its own, without importing the rest of
its package, so the stage that reads it does not depend on the experiment's analysis code; such a part
imports other modules by absolute name only (tests/test_layout.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

from .errors import EmbedlabError

ANALYSIS = Path(__file__).resolve().parent / "analysis"
PARTS = ("needs", "claims")


def package_dir(group: str) -> Path:
    """The experiment's package folder; one line when it does not exist."""
    path = ANALYSIS / group
    if not (path / "__init__.py").exists():
        raise EmbedlabError(f"params 'experiments' lists group '{group}', but src/embedlab/analysis/{group}/ "
                            "is not a package", "add the experiment's package there (see docs/ARCHITECTURE.md)")
    return path


def part(group: str, name: str) -> ModuleType | None:
    """``analysis/<group>/<name>.py`` loaded on its own (a module named ``_embedlab_<name>_<group>``), or
    None where the package has no such file."""
    if name not in PARTS:
        raise ValueError(f"unknown part {name!r}: use one of {PARTS}")
    path = package_dir(group) / f"{name}.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location(f"_embedlab_{name}_{group}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
