"""The command line turns every user mistake into one line on stderr (no traceback), exit status 2."""

import os
import subprocess
import sys

import pytest
import yaml


def _embedlab(args, cwd, **env):
    proc = subprocess.run([sys.executable, "-m", "embedlab", *args], cwd=cwd, capture_output=True, text=True,
                          env=dict(os.environ, **env), timeout=300)
    return proc.returncode, proc.stderr.strip()


def _one_line_error(code, err, *needles):
    assert code == 2, err
    assert "Traceback" not in err
    last = err.splitlines()[-1]
    assert last.startswith("error: ") and "(fix: " in last, err
    for needle in needles:
        assert needle in last, last


def _project(tmp_path, repo_params, **changes):
    params = dict(repo_params)
    if "data.tasks" in changes:  # validation names full-size standard tasks; keep only experiment 01
        params["experiments"] = {"architecture_comparison": "01_architecture_comparison"}
        params["data"] = dict(params["data"], noise=None)  # data.noise names tasks of the full list
    for dotted, value in changes.items():
        group, key = dotted.split(".")
        params[group] = dict(params[group], **{key: value})
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    return tmp_path


def test_unknown_task(tmp_path, repo_params):
    cwd = _project(tmp_path, repo_params, **{"data.tasks": ["STSBenchmark", "NoSuchTask"], "data.full_size": [],
                                             "architecture_comparison.full_size": []})
    _one_line_error(*_embedlab(["prepare"], cwd), "NoSuchTask")
    assert not (tmp_path / "data" / "tasks" / "index.json").exists(), "no half-written output"


def test_unknown_model_in_experiment(tmp_path, repo_params):
    cwd = _project(tmp_path, repo_params, **{"architecture_comparison.models": ["all-MiniLM-L6-v2", "bert-huge"]})
    _one_line_error(*_embedlab(["embed"], cwd), "bert-huge")


def test_malformed_params(tmp_path):
    (tmp_path / "params.yaml").write_text("data: {tasks: [STSBenchmark]\n")
    _one_line_error(*_embedlab(["prepare"], tmp_path), "not valid YAML")


def test_model_whose_package_is_missing(tmp_path, repo_params):
    models = dict(repo_params["models"])
    models["ghost"] = dict(models["all-MiniLM-L6-v2"], source={"package": "embedlab_no_such_model_pkg"})
    params = dict(repo_params, models=models)
    params["architecture_comparison"] = dict(params["architecture_comparison"], models=["ghost"])
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (tmp_path / "data" / "tasks").mkdir(parents=True)
    (tmp_path / "data" / "tasks" / "index.json").write_text('{"tasks": {}}')
    _one_line_error(*_embedlab(["embed"], tmp_path), "ghost")


def test_missing_mirror_marks_standard_tasks_unavailable(tmp_path, repo_params):
    cwd = _project(tmp_path, repo_params, **{"data.tasks": ["LeeDocSimilarity", "STSBenchmark"],
                                             "data.full_size": [], "data.mirror": str(tmp_path / "no-mirror")})
    proc = subprocess.run([sys.executable, "-m", "embedlab", "prepare"], cwd=cwd, capture_output=True, text=True,
                          env={k: v for k, v in os.environ.items() if k != "EMBEDLAB_MIRROR"} | {"HF_HUB_OFFLINE": "1"},
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    index = yaml.safe_load((tmp_path / "data/tasks/index.json").read_text())["tasks"]
    assert index["LeeDocSimilarity"]["available"] is True
    assert index["STSBenchmark"]["available"] is False
    reason = index["STSBenchmark"]["reason"]
    assert "\n" not in reason and "no-mirror is missing" in reason and "fix: set data.mirror" in reason, reason
