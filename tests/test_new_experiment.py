"""Adding an experiment edits no shared file: a params group listed under ``experiments``, a notebook and a
package of ``analysis/`` are enough for ``dvc repro`` to encode what it lists, run it, and put its headline
and key figure in the report. Built in a copy of the repository (the copy, with experiment 99, is removed
with the test's folder)."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from test_pipeline_smoke import TINY_TASKS, _run

GROUP, NAME = "trivial", "99_trivial"

PACKAGE = '''"""Experiment 99 (a test's trivial experiment): the mean main score per model, and one sentence."""

from __future__ import annotations

import pandas as pd

from ...schema import Findings

KEY_FIGURE = "mean_scores"


def mean_scores(results: pd.DataFrame) -> pd.Series:
    """Mean main score per model over the scored tasks."""
    main = results[results["main"].astype(bool) & results["value"].notna()]
    return main.groupby("model")["value"].mean()


def headline(means: pd.Series) -> str:
    best = means.idxmax()
    return f"{best} has the highest mean main score, {means[best]:.3f}, over the tasks of experiment 99."


def findings(means: pd.Series) -> Findings:
    return Findings(headline=headline(means), key_figure=KEY_FIGURE,
                    interpretation=", ".join(f"`{m}` {v:.3f}" for m, v in means.items()))
'''

#: Its claim rule, read by the ledger from the package (a made-up claim id the seed article lacks).
CLAIMS = '''"""Experiment 99's claim."""

from __future__ import annotations

from embedlab.claims import Claim, missing


def assess_c99(results, families, datasets=None, payload=None, experiment="this experiment"):
    main = results[results["main"].astype(bool) & results["value"].notna()] if len(results) else results
    if main.empty:
        return missing(f"main scores in {experiment}")
    best = main.groupby("model")["value"].mean().max()
    return ("supported" if best > 0.5 else "contradicted"), f"{experiment}: best mean main score {best:.3f}"


CLAIMS = [Claim("C99", "Some model's mean main score is above 0.5.", assess_c99)]
'''

NOTEBOOK_CELLS = [
    ("code", "params = None"),
    ("code", "import matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
             "from embedlab import Experiment\nfrom embedlab.analysis import trivial\n\n"
             "exp = Experiment('99_trivial', params)\nmodels, tasks = exp.group['models'], exp.group['tasks']\n"
             "results = exp.evaluate(models, tasks, intrinsic=False, n_experiments=1)\n"
             "means = trivial.mean_scores(results)"),
    ("code", "fig, ax = plt.subplots()\nax.bar(means.index, means.values)\nax.set_ylabel('mean main score')\n"
             "ax.set_title(trivial.headline(means))\nexp.savefig(fig, 'mean_scores')"),
    ("code", "exp.write_metrics(results, models, tasks, findings=trivial.findings(means))"),
]


def notebook() -> dict:
    cells = []
    for i, (kind, source) in enumerate(NOTEBOOK_CELLS):
        cell = {"cell_type": kind, "id": f"cell{i}", "metadata": {"tags": ["parameters"]} if i == 0 else {},
                "source": source}
        if kind == "code":
            cell.update(execution_count=None, outputs=[])
        cells.append(cell)
    return {"cells": cells, "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


@pytest.mark.smoke
@pytest.mark.large
def test_a_new_experiment_needs_only_its_group_notebook_and_package(tmp_path, root, mirror, repo_params):
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(root / "dvc.yaml", project)
    shutil.copytree(root / "notebooks", project / "notebooks")
    shutil.copytree(root / "src", project / "src", ignore=shutil.ignore_patterns("__pycache__"))
    shared = {p.relative_to(project).as_posix(): p.read_bytes() for p in project.rglob("*") if p.is_file()}

    # The three things an experiment is, and nothing else:
    params = dict(repo_params)
    params["data"] = dict(params["data"], scale=0.02, tasks=TINY_TASKS, full_size=[], keep_corpus=[],
                          noise={"rates": [0.1], "tasks": {}})
    params["models"] = {m: params["models"][m] for m in ("all-MiniLM-L6-v2", "glove-6b-50d")}
    params["throughput"] = dict(params["throughput"], texts=16, rounds=1, references={}, memory=[],
                                baseline="all-MiniLM-L6-v2")
    params[GROUP] = {"models": ["all-MiniLM-L6-v2", "glove-6b-50d"], "tasks": ["STSBenchmark-sample", "MRPolarity"]}
    params["experiments"] = {GROUP: NAME}
    (project / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    (project / "notebooks" / f"{NAME}.ipynb").write_text(json.dumps(notebook(), indent=1))
    (project / "src/embedlab/analysis" / GROUP).mkdir()
    (project / "src/embedlab/analysis" / GROUP / "__init__.py").write_text(PACKAGE)
    (project / "src/embedlab/analysis" / GROUP / "claims.py").write_text(CLAIMS)

    env = dict(os.environ, EMBEDLAB_MIRROR=str(mirror), DVC_NO_ANALYTICS="1",
               PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", PYTHONPATH=str(project / "src"))
    env.pop("EMBEDLAB_ROOT", None)
    dvc = [sys.executable, "-m", "dvc"]
    _run([*dvc, "init", "--no-scm", "-q"], project, env)
    _run([*dvc, "repro"], project, env)

    metrics = json.loads((project / "reports/metrics" / f"{NAME}.json").read_text())
    assert {(r["model"], r["task"]) for r in metrics["results"] if r["main"]} == {
        (m, t) for m in ("all-MiniLM-L6-v2", "glove-6b-50d") for t in ("STSBenchmark-sample", "MRPolarity")}
    report = (project / "reports/README.md").read_text()
    assert metrics["headline"] in report and f"figures/{NAME}/mean_scores.png" in report
    assert (project / "reports/html" / f"{NAME}.html").exists()
    assert metrics["interpretation"].startswith("`")  # the package's findings, written whole
    claims = (project / "reports/CLAIMS.md").read_text()  # its claim rule, gathered from its package
    c99 = next(line for line in claims.splitlines() if line.startswith("| C99 |"))
    assert f"{NAME}: best mean main score" in c99 and f"(html/{NAME}.html)" in c99
    status = subprocess.run([*dvc, "status"], cwd=project, env=env, capture_output=True, text=True).stdout
    assert "changed" not in status and "modified" not in status, status
    # No file the repository already had was edited to add it.
    edited = [p for p, data in shared.items() if (project / p).read_bytes() != data]
    assert not edited, f"adding experiment 99 edited shared files: {edited}"
