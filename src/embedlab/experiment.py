"""What every experiment notebook does around its own analysis: evaluate a grid from the
embedding store, record provenance, write the metrics file and the figures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from tqdm.std import tqdm

from .errors import EmbedlabError
from .params import load_params
from .pipeline import EMBEDDINGS_DIR, REPORTS_DIR, TASKS_DIR, available_tasks
from .provenance import atomic_write_json, library_versions


def summary(results: pd.DataFrame, models: list[str]) -> dict:
    """Per model: mean main score by task type and over English tasks (what `dvc metrics show` lists;
    it ignores the ``results`` list)."""
    from .architecture import english_mean, type_means

    table = type_means(results, models)
    table["english_mean"] = english_mean(results)
    return {m: {k: round(float(v), 4) for k, v in row.items() if pd.notna(v)} for m, row in table.iterrows()}


def _show_in_notebook(fig, path: Path) -> None:
    """Show the saved PNG inline when running under IPython (the figures module uses the Agg backend,
    which registers no inline display), then free the figure."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    try:
        from IPython import get_ipython
        from IPython.display import Image, display
    except ImportError:
        return
    if get_ipython() is not None:
        display(Image(filename=str(path)))


class Experiment:
    """One experiment: its name, its params group, its clock, its output paths."""

    def __init__(self, name: str, params_path: str = "params.yaml"):
        self.name = name
        self.params = load_params(params_path)
        self.group = self.params.get(name, {})
        self.started = time.time()
        self.metrics_path = REPORTS_DIR / "metrics" / f"{name}.json"
        self.figures_dir = REPORTS_DIR / "figures" / name
        self.figures_dir.mkdir(parents=True, exist_ok=True)

    def tasks(self, wanted: list[str] | None = None) -> list[str]:
        """The prepared, available tasks (optionally limited to ``wanted``, in its order)."""
        available = available_tasks(TASKS_DIR)
        if wanted is None:
            return available
        unknown = [t for t in wanted if t not in available]
        if unknown:
            raise EmbedlabError(f"experiment {self.name} asks for tasks not prepared: {', '.join(unknown)}",
                                "add them to data.tasks in params.yaml (or check index.json for why they are unavailable)")
        return list(wanted)

    def task(self, name: str) -> dict:
        from .tasks import load_prepared

        return load_prepared(name, TASKS_DIR)

    def evaluate(self, models: list[str], tasks: list[str], transform=None, intrinsic: bool = True,
                 **options) -> pd.DataFrame:
        """Score every (model, task) from stored embeddings through mteb; one row per metric.

        With ``intrinsic``, each task also gets the intrinsic measures of its embeddings (class-cosine
        gap, PCA variance, anisotropy) as extra rows with ``main=False``.
        """
        from .evaluate import evaluate_task
        from .intrinsic import intrinsic_records
        from .store import LookupEncoder

        prepared = {t: self.task(t) for t in tasks}
        records = []
        for model in tqdm(models, desc=f"{self.name}: models"):
            for name, task in prepared.items():
                encoder = LookupEncoder(EMBEDDINGS_DIR, model, name, transform=transform,
                                        expected_task_checksum=task["checksum"])
                if task["type"] == "robustness":
                    records += intrinsic_records(task, encoder, model)
                else:
                    records += evaluate_task(task, encoder, model, **options)
                    if intrinsic:
                        records += [dict(r, main=False) for r in intrinsic_records(task, encoder, model)]
        return pd.DataFrame.from_records(records)

    def throughput(self, models: list[str]) -> pd.DataFrame:
        """Measured encode throughput per model (written by the embed stage)."""
        rows = []
        for model in models:
            path = EMBEDDINGS_DIR / model / "throughput.json"
            if not path.exists():
                raise EmbedlabError(f"no throughput measurement for {model}", "run `dvc repro embed`")
            rows.append(json.loads(path.read_text(encoding="utf-8")))
        return pd.DataFrame(rows)

    def throughput_baseline(self) -> dict:
        """Plain SentenceTransformer.encode on the same sentences (written by the embed stage)."""
        path = EMBEDDINGS_DIR / "throughput_baseline.json"
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}

    def provenance(self, models: list[str], tasks: list[str]) -> dict:
        """Models with source/version, dataset checksums, params, library versions, wall time."""
        index = json.loads((TASKS_DIR / "index.json").read_text(encoding="utf-8"))["tasks"]
        model_meta = {}
        for model in models:
            metas = sorted((EMBEDDINGS_DIR / model).glob("*.meta.json"))
            if metas:
                meta = json.loads(metas[0].read_text(encoding="utf-8"))
                model_meta[model] = meta.get("model_provenance", meta)
        return {
            "experiment": self.name,
            "models": model_meta,
            "datasets": {t: index.get(t, {}) for t in tasks},
            "params": {"data": self.params["data"], self.name: self.group},
            "libraries": library_versions(),
            "wall_time_seconds": round(time.time() - self.started, 1),
        }

    def write_metrics(self, results: pd.DataFrame, models: list[str], tasks: list[str], **extra) -> Path:
        """Write reports/metrics/<name>.json: the flat ``results`` list plus provenance."""
        payload = {"summary": summary(results, models), "results": json.loads(results.to_json(orient="records")),
                   **extra, "provenance": self.provenance(models, tasks)}
        atomic_write_json(self.metrics_path, payload)
        return self.metrics_path

    def savefig(self, fig, stem: str) -> Path:
        """Save a figure as PNG under reports/figures/<name>/."""
        path = self.figures_dir / f"{stem}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        _show_in_notebook(fig, path)
        return path
