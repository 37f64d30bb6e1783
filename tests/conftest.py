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


def pytest_collection_modifyitems(config, items):
    """EMBEDLAB_SKIP_LARGE=1 skips the tests that load real models (they run by default, CI included)."""
    if os.environ.get("EMBEDLAB_SKIP_LARGE") not in (None, "", "0"):
        skip = pytest.mark.skip(reason="EMBEDLAB_SKIP_LARGE is set")
        for item in items:
            if "large" in item.keywords:
                item.add_marker(skip)
