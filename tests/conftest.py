"""Shared fixtures: the repository root, the benchmark mirror, the model registry from params.yaml."""

import os
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("EMBEDLAB_MIRROR", ROOT.parent / "shared" / "benchmarks"))


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / "MANIFEST.sha256").exists():
        pytest.skip(f"benchmark mirror not found at {MIRROR} (set EMBEDLAB_MIRROR)")
    return MIRROR


@pytest.fixture(scope="session")
def repo_params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))
