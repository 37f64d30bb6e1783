"""Smoke test: the whole DVC pipeline (prepare -> embed -> throughput -> experiments -> report) on tiny
params, then the source notebook run by hand from notebooks/ (as JupyterLab would) on the same data."""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from embedlab.schema import INTRINSIC_TYPES

TINY_TASKS = ["LeeDocSimilarity", "MRPolarity", "BrownGenreClustering", "RottenTomatoesPlotRetrieval",
              "HSKBitextMining", "RobustnessWordOrder", "WordNetPolysemy", "STSBenchmark", "MRPC"]
TINY_MODELS = ["all-MiniLM-L6-v2", "minilm-bert-cls", "glove-6b-50d"]
WEIGHT_VARIANT = "all-MiniLM-L6-v2-torch-int8"  # experiment 03's weight path, through embed and throughput


def _run(cmd, cwd, env, timeout=900):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def tiny_params(repo_params: dict) -> dict:
    params = dict(repo_params)
    full = [t for t in params["data"]["full_size"] if t in TINY_TASKS]
    params["data"] = dict(params["data"], scale=0.02, tasks=TINY_TASKS, full_size=full, keep_corpus=[],
                          noise={"rates": [0.1, 0.2], "tasks": {"STSBenchmark": ["synonym", "typo"]}})
    params["models"] = {m: params["models"][m] for m in TINY_MODELS + [WEIGHT_VARIANT]}
    params["throughput"] = dict(params["throughput"], texts=32, rounds=2, references={WEIGHT_VARIANT: "all-MiniLM-L6-v2"},
                                memory=["all-MiniLM-L6-v2", WEIGHT_VARIANT])
    group = dict(params["architecture_comparison"], models=TINY_MODELS, tasks=None, n_experiments=1)
    group["pooling_groups"] = {"MiniLM weights": {"sentence-transformers": "all-MiniLM-L6-v2", "CLS": "minilm-bert-cls"}}
    params["architecture_comparison"] = group
    # Validation on one full-size task (STS-B, 1,379 pairs): the published-score path end to end.
    params["validation"] = dict(params["validation"], runs={"all-MiniLM-L6-v2": ["STSBenchmark"]}, n_experiments=1)
    # Dimension scaling on tiny dims (a 0.02-scale task has a dozen texts; PCA needs as many as components).
    params["dimension_scaling"] = dict(
        params["dimension_scaling"], models=["all-MiniLM-L6-v2", "glove-6b-50d"], dims=[4, 8], dims_per_model={},
        # the 0.02-scale calibration corpus has fewer texts (46) than the pair's 50 dims: no inductive PCA here
        # (tests/test_dimension_scaling.py covers it)
        methods=["truncation", "pca_transductive", "random_projection"],
        tasks=["STSBenchmark-sample", "MRPolarity", "MRPC-sample", "BrownGenreClustering"],
        dims_by_type={"classification": [8], "clustering": [8]}, calibration="RottenTomatoesPlotRetrieval",
        random_projection_spread={"dim": 4, "seeds": [0, 1]}, same_recipe={"small": "glove-6b-50d", "large": "all-MiniLM-L6-v2"},
        zoo=["glove-6b-50d", "all-MiniLM-L6-v2"], n_experiments=1, in_domain_calibration={},
        search=dict(params["dimension_scaling"]["search"], model="all-MiniLM-L6-v2", single_queries=5, batch=10,
                    repeats=1, min_corpus=20))
    q = params["quantization_tradeoffs"]
    params["quantization_tradeoffs"] = dict(
        q, models=["all-MiniLM-L6-v2", "glove-6b-50d"], precisions=["float32", "float16", "int8", "binary"],
        tasks=["STSBenchmark-sample", "MRPC-sample", "MRPolarity", "RottenTomatoesPlotRetrieval"],
        calibration="LeeDocSimilarity", rescoring=dict(q["rescoring"], tasks=["RottenTomatoesPlotRetrieval"], multipliers=[1, 2],
                                                       report_multiplier=2, models=None),
        search=dict(q["search"], single_queries=5, batch=10, repeats=1, min_corpus=20),
        frontier=dict(q["frontier"], dims=[4, 8]), n_experiments=1,
        weights={"tasks": ["STSBenchmark-sample"], "variants": {WEIGHT_VARIANT: "all-MiniLM-L6-v2"}},
        cache=dict(q["cache"], task="STSBenchmark-sample", pool=10, warmup=30, stream=30, skews=[0.5, 1.5], maxsize=5,
                   repeats=1, unseen_shares=[0.0, 0.2]),
        int8_diagnosis={"model": "all-MiniLM-L6-v2", "task": "STSBenchmark-sample", "texts": 4})
    i = params["intrinsic_robustness"]
    params["intrinsic_robustness"] = dict(
        i, models=TINY_MODELS, tasks=["MRPolarity", "BrownGenreClustering", "STSBenchmark-sample", "WordNetPolysemy"],
        fidelity=dict(i["fidelity"], tasks=["MRPolarity", "BrownGenreClustering"], figure_task="MRPolarity"),
        centering={"tasks": ["STSBenchmark-sample"]}, polysemy={"task": "WordNetPolysemy", "token_models": ["all-MiniLM-L6-v2", "glove-6b-50d"]},
        robustness={"english": {"models": ["all-MiniLM-L6-v2", "glove-6b-50d"], "tasks": ["STSBenchmark-sample"]}}, n_experiments=1)
    params["experiments"] = {"validation": "00_validation", "architecture_comparison": "01_architecture_comparison",
                             "dimension_scaling": "02_dimension_scaling", "quantization_tradeoffs": "03_quantization_tradeoffs",
                             "intrinsic_robustness": "04_intrinsic_robustness"}
    return params


def params_names(project: Path) -> list[str]:
    return list(yaml.safe_load((project / "params.yaml").read_text())["experiments"].values())


@pytest.mark.smoke
@pytest.mark.large
def test_dvc_repro_on_tiny_params(tmp_path, root, mirror, repo_params, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(root / "dvc.yaml", project)
    shutil.copytree(root / "notebooks", project / "notebooks")
    shutil.copytree(root / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    (project / "params.yaml").write_text(yaml.safe_dump(tiny_params(repo_params), sort_keys=False))
    env = dict(os.environ, EMBEDLAB_MIRROR=str(mirror), DVC_NO_ANALYTICS="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
               PYTHONPATH=str(project / "src"))
    env.pop("EMBEDLAB_ROOT", None)
    dvc = [sys.executable, "-m", "dvc"]
    _run([*dvc, "init", "--no-scm", "-q"], project, env)
    _run([*dvc, "repro"], project, env)
    check_outputs(project, repo_params)
    status = _run([*dvc, "status"], project, env)
    assert "changed" not in status and "modified" not in status, status
    # Nothing under data/ records where the clone lives.
    for path in (project / "data/tasks").glob("*.json"):
        assert str(tmp_path) not in path.read_text(), f"{path.name} records an absolute path"
    check_notebook_by_hand(project, monkeypatch)


def check_outputs(project: Path, repo_params: dict) -> None:
    """What the tiny pipeline wrote: every experiment's records, figures, pages and the ledger."""
    metrics = json.loads((project / "reports/metrics/01_architecture_comparison.json").read_text())
    scored = {(r["model"], r["task"]) for r in metrics["results"]}
    # experiment 01 scores the default-size variants: the cut standard tasks under <Name>-sample ...
    index = json.loads((project / "data/tasks/index.json").read_text())["tasks"]
    defaults = [name for name, entry in index.items() if entry["default"]]
    assert [index[n]["base_name"] for n in defaults] == TINY_TASKS
    assert {"STSBenchmark-sample", "MRPC-sample", "STSBenchmark"} <= set(index)  # + STS-B at full size
    # ... except the intrinsic tasks (robustness, polysemy), which are experiment 04's
    with_main = [t for t in defaults if index[t]["type"] not in INTRINSIC_TYPES]
    assert {"RobustnessWordOrder", "WordNetPolysemy"} <= set(defaults) - set(with_main)
    # ... and STS-B at full size instead of its sample (architecture_comparison.full_size)
    full = {f"{t}-sample": t for t in repo_params["architecture_comparison"]["full_size"]}
    assert scored == {(m, full.get(t, t)) for m in TINY_MODELS for t in with_main}
    prov = metrics["provenance"]
    assert set(prov["models"]) == set(TINY_MODELS)
    assert all(prov["datasets"][full.get(t, t)].get("checksum") for t in with_main)
    assert prov["libraries"]["mteb"] and prov["wall_time_seconds"] > 0
    figures = sorted(p.name for p in (project / "reports/figures/01_architecture_comparison").glob("*.png"))
    assert figures == ["heatmap_main_scores.png", "pooling_variants.png", "quality_vs_throughput.png"]
    executed = json.loads((project / "reports/01_architecture_comparison.ipynb").read_text())
    assert not [o for c in executed["cells"] for o in c.get("outputs", []) if o.get("output_type") == "error"]
    throughput = json.loads((project / "reports/metrics/throughput.json").read_text())
    assert set(throughput["models"]) == set(TINY_MODELS + [WEIGHT_VARIANT]) and throughput["baseline"]["texts_per_second"] > 0
    int8 = throughput["footprint"][WEIGHT_VARIANT]
    assert int8["weights"]["bytes"] < throughput["footprint"]["all-MiniLM-L6-v2"]["weights"]["bytes"]
    assert int8["peak_memory"]["rss_encode_mb"] > int8["peak_memory"]["rss_imports_mb"] > 0
    assert "01_architecture_comparison" in (project / "reports/SUMMARY.md").read_text()
    validation = json.loads((project / "reports/metrics/00_validation.json").read_text())
    row = next(r for r in validation["validation"] if r["task"] == "STSBenchmark")
    assert row["status"] == "PASS" and abs(row["ours"] - 0.8203) < 0.003  # MTEB's published 82.03
    dims = json.loads((project / "reports/metrics/02_dimension_scaling.json").read_text())
    reduced = {(r["model"], r["method"], r["dim"]) for r in dims["results"] if r["main"] and r.get("method")}
    assert ("all-MiniLM-L6-v2", "truncation", 50) in reduced          # cut to the small model's size
    assert ("glove-6b-50d", "truncation", 4) in reduced and ("glove-6b-50d", "native", 50) in reduced
    assert sorted(p.name for p in (project / "reports/figures/02_dimension_scaling").glob("*.png")) == [
        "explained_variance.png", "quality_vs_bytes.png", "retention_vs_dimension.png", "search_time_vs_dimension.png",
        "smallest_dimension_99_95.png"]
    assert dims["search"] and dims["same_recipe"] and "02_dimension_scaling" in (project / "reports/SUMMARY.md").read_text()
    quant = json.loads((project / "reports/metrics/03_quantization_tradeoffs.json").read_text())
    scored = {(r["model"], r.get("variant"), r["task"]) for r in quant["results"] if r["main"]}
    assert ("glove-6b-50d", "binary", "MRPC-sample") in scored and ("all-MiniLM-L6-v2", "int8", "STSBenchmark-sample") in scored
    variant = next(r for r in quant["weights"] if r["model"] == WEIGHT_VARIANT)
    assert variant["reference"] == "all-MiniLM-L6-v2" and 0.9 < variant["cosine to reference"] <= 1.0
    # per skew: a cold and a warm stream, and a warm one with 20% never-seen queries
    assert len(quant["cache"]) == 6 and all(0 <= r["hit rate"] <= 1 for r in quant["cache"])
    assert ("glove-6b-50d", "binary centred", "MRPC-sample") in scored and quant["margin_retention"]
    assert len(quant["int8_diagnosis"]["layers"]) == 6  # MiniLM-L6's FFN output layers
    assert {"weight_precision.png", "cache_qps.png", "compression_frontier.png"} <= {
        p.name for p in (project / "reports/figures/03_quantization_tradeoffs").glob("*.png")}
    intrinsic = json.loads((project / "reports/metrics/04_intrinsic_robustness.json").read_text())
    assert {r["model"] for r in intrinsic["fidelity"]} == set(TINY_MODELS)
    assert {(r["noise"], r["rate"]) for r in intrinsic["robustness_moves"]} == {("synonym", 0.1), ("synonym", 0.2),
                                                                                ("typo", 0.1), ("typo", 0.2)}
    glove = next(r for r in intrinsic["polysemy"] if r["model"] == "glove-6b-50d")
    assert glove["word auc"] == 0.5  # one vector per word: chance by construction
    noisy = [r for r in intrinsic["results"] if r.get("noise") == "typo" and r["main"] and r["task_type"] == "sts"]
    assert noisy and all(r["task"].startswith("STSBenchmark-sample-noisy-typo") for r in noisy)
    claims = (project / "reports/CLAIMS.md").read_text()
    assert claims.count("\n| C") == 24 and "| C05 |" in claims and "(html/04_intrinsic_robustness.html)" in claims
    readme = (project / "reports/README.md").read_text()
    assert all(f"## {n[:2]} · " in readme for n in params_names(project)) and "[CLAIMS.md](CLAIMS.md)" in readme
    for name in params_names(project):
        page = (project / "reports/html" / f"{name}.html").read_text()
        # figures inlined; nothing loaded from the network (the template's mermaid loader only imports its
        # library when a page has a mermaid diagram, which none has)
        assert "data:image/png;base64" in page and not re.search(r'<(?:script|link|img)[^>]+(?:src|href)="https?://', page)
        assert 'class="jp-Mermaid' not in page


def check_notebook_by_hand(project: Path, monkeypatch) -> None:
    # The source notebook, run by hand with its kernel in notebooks/ (no papermill parameters): the
    # repository root and the params are found from there, and the scores are the pipeline's.
    import nbformat
    from nbclient import NotebookClient

    metrics = json.loads((project / "reports/metrics/01_architecture_comparison.json").read_text())
    nb = nbformat.read(project / "notebooks/01_architecture_comparison.ipynb", as_version=4)
    monkeypatch.setenv("PYTHONPATH", str(project / "src"))
    monkeypatch.delenv("EMBEDLAB_ROOT", raising=False)
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(project / "notebooks")}}).execute()
    by_hand = json.loads((project / "reports/metrics/01_architecture_comparison.json").read_text())
    main = lambda payload: {(r["model"], r["task"]): r["value"] for r in payload["results"] if r["main"]}  # noqa: E731
    assert main(by_hand) == pytest.approx(main(metrics), abs=1e-9)
