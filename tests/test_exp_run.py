"""Every params group can be set from the command line, as the README shows: `dvc exp run -S group.key=value`
(DVC parses -S with Hydra's grammar, where a key may not start with a digit)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest
import yaml

from conftest import ROOT


def one_key(group: str, values: dict) -> str:
    """An override of one key of ``group`` to its current value (a scalar where there is one)."""
    for key, value in values.items():
        if isinstance(value, (bool, int, float, str)):
            return f"{group}.{key}={str(value).lower() if isinstance(value, bool) else value}"
    for key, value in values.items():  # a registry: go one level down
        if isinstance(value, dict):
            return one_key(f"{group}.{key}", value)
    key, value = next(iter(values.items()))
    return f"{group}.{key}={yaml.safe_dump(value, default_flow_style=True).strip()}"


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A committed copy of the pipeline's definition and code (dvc exp run works on commits)."""
    project = tmp_path_factory.mktemp("exp") / "project"
    project.mkdir()
    for name in ("dvc.yaml", "params.yaml"):
        shutil.copy(ROOT / name, project)
    for name in ("src", "notebooks"):
        shutil.copytree(ROOT / name, project / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, DVC_NO_ANALYTICS="1", GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@t",
               GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@t")
    for cmd in (["git", "init", "-q"], [sys.executable, "-m", "dvc", "init", "-q"], ["git", "add", "-A"],
                ["git", "commit", "-qm", "pipeline"]):
        subprocess.run(cmd, cwd=project, env=env, check=True, capture_output=True)
    return project, env


PARAMS = yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


@pytest.mark.parametrize("group", list(PARAMS))
def test_dvc_exp_run_accepts_a_key_of_every_group(project, group):
    path, env = project
    override = one_key(group, PARAMS[group])
    # Targeting `prepare` keeps the dry run from hashing outputs this bare copy has not produced; the
    # override is parsed and applied to params.yaml all the same.
    proc = subprocess.run([sys.executable, "-m", "dvc", "exp", "run", "--dry", "-S", override, "prepare"],
                          cwd=path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, f"dvc exp run --dry -S {override!r} failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
    assert "LexerNoViableAlt" not in proc.stdout + proc.stderr


def test_a_group_named_with_a_leading_digit_would_not_parse(project):
    path, env = project
    proc = subprocess.run([sys.executable, "-m", "dvc", "exp", "run", "--dry", "-S", "01_group.key=1", "prepare"],
                          cwd=path, env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0  # why experiment groups drop their number (params.experiments maps them)
    assert "LexerNoViableAlt" in proc.stdout + proc.stderr
