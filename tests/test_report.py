"""The `report` stage: SUMMARY.md and CLAIMS.md from every listed experiment's metrics file."""

from __future__ import annotations

import json

import pytest
import yaml

from embedlab.errors import EmbedlabError
from embedlab.stages import report


def _project(tmp_path, monkeypatch, repo_params, experiments, write=(), headline=True):
    params = dict(repo_params, experiments=experiments)
    for group in experiments:
        params.setdefault(group, {"models": []})
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    monkeypatch.setenv("EMBEDLAB_ROOT", str(tmp_path))
    for name in write:
        payload = {"results": [
            {"model": "all-MiniLM-L6-v2", "task": "STSBenchmark", "task_type": "sts", "language": "en",
             "metric": "cosine_spearman", "value": 0.82, "main": True},
            {"model": "glove-6b-50d", "task": "STSBenchmark", "task_type": "sts", "language": "en",
             "metric": "cosine_spearman", "value": 0.5, "main": True}],
            "provenance": {"wall_time_seconds": 1.0, "datasets": {}}}
        if headline:
            payload.update(headline=f"{name} found something.", key_figure="main")
            figure = tmp_path / "reports" / "figures" / name / "main.png"
            figure.parent.mkdir(parents=True, exist_ok=True)
            figure.write_bytes(b"png")
        path = tmp_path / "reports" / "metrics" / f"{name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(payload))
    return tmp_path


def test_summary_has_a_section_per_listed_experiment(tmp_path, monkeypatch, repo_params):
    root = _project(tmp_path, monkeypatch, repo_params, {"first": "01_first", "second": "02_second"},
                    write=["01_first", "02_second"])
    report.run()
    text = (root / "reports/SUMMARY.md").read_text()
    assert "## 01_first" in text and "## 02_second" in text
    assert "| all-MiniLM-L6-v2 | 0.820 | 0.820 |" in text
    claims = (root / "reports/CLAIMS.md").read_text()
    assert "`reports/metrics/01_first.json`, `reports/metrics/02_second.json`" in claims


def test_a_missing_metrics_file_fails_before_anything_is_written(tmp_path, monkeypatch, repo_params):
    root = _project(tmp_path, monkeypatch, repo_params, {"first": "01_first", "second": "02_second"},
                    write=["01_first"])
    with pytest.raises(EmbedlabError, match="02_second.json not found"):
        report.run()
    assert not (root / "reports/SUMMARY.md").exists() and not (root / "reports/CLAIMS.md").exists()


def test_readme_has_each_experiments_headline_figure_and_links(tmp_path, monkeypatch, repo_params):
    root = _project(tmp_path, monkeypatch, repo_params, {"first": "01_first"}, write=["01_first"])
    report.run()
    text = (root / "reports/README.md").read_text()
    assert "## 01 · First" in text and "01_first found something." in text
    assert "![main](figures/01_first/main.png)" in text
    assert "[HTML page](html/01_first.html)" in text and "[executed notebook](01_first.ipynb)" in text
    assert "[CLAIMS.md](CLAIMS.md)" in text and "not testable here" in text


def test_readme_fails_loudly_on_a_missing_headline_and_writes_nothing(tmp_path, monkeypatch, repo_params):
    root = _project(tmp_path, monkeypatch, repo_params, {"first": "01_first"}, write=["01_first"], headline=False)
    with pytest.raises(EmbedlabError, match="01_first.json has no headline"):
        report.run()
    assert not any((root / "reports" / f).exists() for f in ("README.md", "SUMMARY.md", "CLAIMS.md"))


def test_readme_fails_loudly_on_a_missing_key_figure(tmp_path, monkeypatch, repo_params):
    root = _project(tmp_path, monkeypatch, repo_params, {"first": "01_first"}, write=["01_first"])
    (root / "reports/figures/01_first/main.png").unlink()
    with pytest.raises(EmbedlabError, match="key figure reports/figures/01_first/main.png"):
        report.run()
