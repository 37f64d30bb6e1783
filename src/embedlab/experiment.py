"""What every experiment notebook does around its own analysis: evaluate a grid from the embedding
store, record provenance, write the metrics file and the figures."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pandas as pd
from tqdm.std import tqdm

from .analysis.results import summary
from .schema import INTRINSIC_TYPES
from .errors import EmbedlabError
from .params import experiment_group, load_params
from .paths import embeddings_dir, figures_dir, metrics_path, from_root, relative_to_root, tasks_dir
from .provenance import atomic_write_json, library_versions
from .store import LookupEncoder
from .tasks import available_tasks, default_tasks, load_prepared


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
    """One experiment: its name, its params group, its clock, its output paths.

    ``name`` is the experiment's stage / notebook name (``01_architecture_comparison``) or its params
    group (``architecture_comparison``). ``params``: the group's values as papermill injects them; None
    (a notebook opened by hand) reads the same group from the repository's params.yaml.
    """

    def __init__(self, name: str, params: dict | None = None, params_path: str | Path | None = None):
        self.params = load_params(params_path)
        self.group_name, group = experiment_group(self.params, name)
        self.name = self.params["experiments"][self.group_name]
        self.group = dict(group if params is None else params)
        self.started = time.time()
        self.metrics_path = metrics_path(self.name)
        self.figures_dir = figures_dir(self.name)
        self.figures_dir.mkdir(parents=True, exist_ok=True)
        #: per-item data behind each main score, ``{(model, task): stats.ItemScores}`` (see ``compare``)
        self.items: dict = {}
        self._na: dict = {}
        self._options: dict = {}
        self._specs = None

    @property
    def bootstrap_settings(self) -> dict:
        """Resamples and seed of every interval: the group's ``bootstrap_resamples`` /
        ``bootstrap_seed`` when set, else 1,000 and ``data.seed``."""
        from .stats import DEFAULT_RESAMPLES

        return {"bootstrap_resamples": int(self.group.get("bootstrap_resamples", DEFAULT_RESAMPLES)),
                "bootstrap_seed": int(self.group.get("bootstrap_seed", self.params["data"].get("seed", 0)))}

    def tasks(self, wanted: list[str] | None = None) -> list[str]:
        """The prepared, available tasks named in ``wanted`` (in its order); None: the default-size
        variant of every task (``STS12-sample``, not the full-size ``STS12`` that data.full_size adds)."""
        available = available_tasks(tasks_dir())
        if wanted is None:
            return default_tasks(tasks_dir())
        unknown = [t for t in wanted if t not in available]
        if unknown:
            raise EmbedlabError(f"experiment {self.name} asks for tasks not prepared: {', '.join(unknown)}",
                                "add them to data.tasks in params.yaml (or check index.json for why they are unavailable)")
        return list(wanted)

    def task(self, name: str) -> dict:
        return load_prepared(name, tasks_dir())

    @property
    def resampling(self) -> dict:
        """``bootstrap_settings`` as ``stats`` takes them: ``{"n_resamples", "seed"}``."""
        b = self.bootstrap_settings
        return {"n_resamples": b["bootstrap_resamples"], "seed": b["bootstrap_seed"]}

    def check_models(self, models, where: str) -> list[str]:
        """``models`` as a list, each in the registry (params.yaml: models), else a one-line error naming
        ``where`` (the params key that lists it) and the known models."""
        registry = self.params["models"]
        models = list(models or [])
        for m in models:
            if m not in registry:
                raise EmbedlabError(f"{where} names model '{m}', which is not in the registry (params.yaml: models)",
                                    f"use one of: {', '.join(registry)}")
        return models

    def task_labels(self, tasks: list[str]) -> dict[str, str]:
        """Display name per task: the prepared task's ``label`` (e.g. "STS12 (300 of 3,108 pairs)"
        when it runs on a sample), else its name."""
        index = json.loads((tasks_dir() / "index.json").read_text(encoding="utf-8"))["tasks"]
        return {t: (index.get(t) or {}).get("label") or t for t in tasks}

    def families(self, models: list[str]) -> dict[str, str]:
        return {m: self.params["models"][m]["family"] for m in models}

    def encoder(self, model: str, task: str | dict, transform=None) -> LookupEncoder:
        """Stored embeddings of (model, task) as an mteb encoder, checked against the prepared task."""
        task = self.task(task) if isinstance(task, str) else task
        return LookupEncoder(embeddings_dir(), model, task["name"], transform=transform,
                             expected_task_checksum=task["checksum"])

    def evaluate(self, models: list[str], tasks: list[str], transform=None, intrinsic: bool = False,
                 progress: bool = True, items: dict | None = None, **options) -> pd.DataFrame:
        """Score every (model, task) from stored embeddings through mteb; one row per metric.

        ``transform``: a fitted ``transforms.Transform`` applied to every role of every task (the
        caller fits it once, on calibration vectors). With ``intrinsic`` (off by default; experiment 04
        studies these measures on their own), each task also gets the intrinsic measures of its embeddings
        (class-cosine gap, PCA variance, anisotropy) as extra rows with ``main=False``. Main records carry ``ci_low`` / ``ci_high`` (``evaluate.score_task``,
        settings in ``bootstrap_settings``); a model on a language it does not cover gets NaN records
        with an ``na_reason`` (``coverage.na_reason``). ``progress``: a bar over the models (callers
        that loop over many small calls show their own). ``items``: where the per-item data of each scored
        (model, task) goes, ``{(model, task): ItemScores}``, for the caller's own paired tests (e.g. of a
        transformed variant); default, the experiment's cache that ``compare`` reads (untransformed
        scores). ``options`` go to ``evaluate.score_task``.
        """
        from .evaluate import score_task
        from .intrinsic import intrinsic_records

        options = {**self.bootstrap_settings, **options}
        self._options = {"transform": transform, **options}
        prepared = {t: self.task(t) for t in tasks}
        records = []
        for model in tqdm(models, desc=f"{self.name}: models", disable=not progress):
            for name, task in prepared.items():
                encoder = self.encoder(model, task, transform=transform)
                reason = self.na_reason(model, task, encoder)
                if reason is not None:
                    from .coverage import na_records

                    scored = na_records(task, model, reason)
                elif task["type"] in INTRINSIC_TYPES:
                    scored = intrinsic_records(task, encoder, model)
                else:
                    scored, (self.items if items is None else items)[model, name] = score_task(task, encoder, model, **options)
                    if intrinsic:
                        scored += [dict(r, main=False) for r in intrinsic_records(task, encoder, model)]
                labels = transform.labels() if transform is not None else {}
                records += [dict(r, **labels) for r in scored]
        return pd.DataFrame.from_records(records)

    def na_reason(self, model: str, task: dict, encoder) -> str | None:
        """Why (model, task) is not a measurement (``coverage.na_reason``), measured once per pair."""
        key = (model, task["name"])
        if key not in self._na:
            from .coverage import na_reason
            from .encoders import models_from_params

            if self._specs is None:
                self._specs = models_from_params(self.params["models"])
            spec = self._specs.get(model)
            cache_dir = self.params.get("embed", {}).get("cache_dir")
            self._na[key] = None if spec is None else na_reason(
                spec, task, encoder, None if cache_dir is None else from_root(cache_dir))
        return self._na[key]

    def compare(self, model_a: str, model_b: str, task: str | list[str]) -> dict:
        """``{"difference", "ci_low", "ci_high", "n"}`` of ``model_a - model_b``'s main score, by a
        paired bootstrap resampling the same test items for both. ``task``: one task, or a list
        (the difference of the means over them; each task resampled independently). Pairs not
        scored yet are scored with the options of the last ``evaluate`` call."""
        from .stats import mean_difference, paired_bootstrap

        tasks = [task] if isinstance(task, str) else list(task)
        pairs = [(self._item_scores(model_a, t), self._item_scores(model_b, t)) for t in tasks]
        settings = {"n_resamples": self._options.get("bootstrap_resamples", self.bootstrap_settings["bootstrap_resamples"]),
                    "seed": self._options.get("bootstrap_seed", self.bootstrap_settings["bootstrap_seed"])}
        if len(pairs) == 1:
            return paired_bootstrap(*pairs[0], **settings)
        return mean_difference(pairs, **settings)

    def separated(self, ranking: list[str], task: str | list[str]) -> pd.DataFrame:
        """For each adjacent pair of ``ranking`` (best first): the paired difference on ``task`` (one
        or a list, as in ``compare``) and ``separated``: whether its interval excludes zero. The
        written interpretation says "A beats B" only where ``separated`` is True."""
        from .stats import adjacent_separation

        return pd.DataFrame(adjacent_separation(ranking, lambda a, b: self.compare(a, b, task)))

    def _item_scores(self, model: str, task: str):
        if (model, task) not in self.items:
            options = dict(self._options)
            transform = options.pop("transform", None)
            self.evaluate([model], [task], transform=transform, intrinsic=False, progress=False, **options)
        items = self.items.get((model, task))
        if items is None:
            reason = self._na.get((model, task)) or "its main score has no per-item form (robustness or a non-default main metric)"
            raise EmbedlabError(f"cannot compare {model} on {task}: {reason}", "compare on tasks both models are scored on")
        return items

    def throughput(self) -> dict:
        """The `throughput` stage's measurements: ``{"models": {id: record}, "baseline": record}``."""
        path = metrics_path("throughput")
        if not path.exists():
            raise EmbedlabError(f"{relative_to_root(path)} not found", "run `dvc repro throughput`")
        return json.loads(path.read_text(encoding="utf-8"))

    def provenance(self, models: list[str], tasks: list[str]) -> dict:
        """Models with source/version, dataset checksums, params, bootstrap settings, the normalisation
        rule, library versions, wall time."""
        from .evaluate import NORMALIZED_TYPES

        index = json.loads((tasks_dir() / "index.json").read_text(encoding="utf-8"))["tasks"]
        model_meta = {}
        for model in models:
            metas = sorted((embeddings_dir() / model).glob("*.meta.json"))
            if metas:
                meta = json.loads(metas[0].read_text(encoding="utf-8"))
                model_meta[model] = meta.get("model_provenance", meta)
        return {
            "experiment": self.name,
            "models": model_meta,
            "datasets": {t: index.get(t, {}) for t in tasks},
            "params": {"data": self.params["data"], self.group_name: self.group},
            "uncertainty": {**self.bootstrap_settings, "level": 0.95,
                            "method": "percentile bootstrap over test items of the per-item data mteb computed; "
                                      "clustering: the spread of mteb's own k-means runs"},
            "vector_normalization": {"l2_normalized_before": list(NORMALIZED_TYPES),
                                     "why": "logistic regression and k-means respond to vector scale"},
            "libraries": library_versions(),
            "wall_time_seconds": round(time.time() - self.started, 1),
        }

    def write_metrics(self, results: pd.DataFrame, models: list[str], tasks: list[str],
                      summary_of: pd.DataFrame | None = None, findings=None, **tables) -> Path:
        """Write reports/metrics/<name>.json: a per-model ``summary`` (of ``summary_of`` when given, e.g. the
        unreduced scores only; else of ``results``), the flat ``results`` list, the experiment's ``tables``
        (a DataFrame becomes its list of rows; anything else is written as it is), the package's
        ``findings`` (``schema.Findings``: headline, key figure, interpretation) and provenance."""
        extra = {k: v.to_dict(orient="records") if isinstance(v, pd.DataFrame) else v for k, v in tables.items()}
        if findings is not None:
            extra.update(headline=findings.headline, key_figure=findings.key_figure,
                         interpretation=findings.interpretation)
        payload = {"summary": summary(results if summary_of is None else summary_of, models),
                   "results": json.loads(results.to_json(orient="records")),
                   **extra, "provenance": self.provenance(models, tasks)}
        atomic_write_json(self.metrics_path, payload)
        return self.metrics_path

    def savefig(self, fig, stem: str) -> Path:
        """Save a figure as PNG under reports/figures/<name>/."""
        path = self.figures_dir / f"{stem}.png"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        _show_in_notebook(fig, path)
        return path
