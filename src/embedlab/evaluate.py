"""mteb tasks built from prepared task files, and their scores as flat result records.

A prepared task (``data/tasks/<task>.json``, docs/ARCHITECTURE.md) becomes an mteb 2.x task
class whose ``load_data`` builds the ``datasets`` objects from the JSON; ``mteb.evaluate`` then
runs its evaluator unchanged, so every number is mteb's own (0-1 scale). Nothing is cached:
``cache=None`` and ``overwrite_strategy="always"`` (mteb's default cache in ``~/.cache/mteb``
silently skips tasks it has seen before).
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
import sys

import numpy as np

from .errors import EmbedlabError
from .paths import isolate_mteb_cache
from .schema import METRICS, MTEB_TYPES, main_metric, result_records
from .stats import DEFAULT_RESAMPLES, ItemScores, bootstrap, chance_v_measure
from .vectors.transforms import unit_rows

# We never use it (cache=None below), so point it at a throwaway folder unless the user chose one.
isolate_mteb_cache()

# Computed here on the embeddings (not by mteb): see clustering_geometry().
OWN_METRICS = {"silhouette", "kmeans_silhouette", "davies_bouldin"}

_DEFAULT_BATCH = 512

#: Task types whose vectors are L2-normalised before mteb sees them, for every model: a logistic
#: regression and k-means respond to vector scale, so two models giving the same directions at
#: different norms would otherwise score differently (the rule most embedding users follow).
NORMALIZED_TYPES = ("classification", "clustering")

#: mteb's retrieval metric names -> pytrec_eval's per-query keys (for the per-query bootstrap).
_PYTREC_KEYS = {"ndcg_at_": "ndcg_cut_", "map_at_": "map_cut_", "recall_at_": "recall_", "precision_at_": "P_"}


def mteb_task(task: dict, *, n_experiments: int | None = None, samples_per_label: int | None = None,
              clustering_bootstraps: int | None = None, clustering_sample_size: int | None = None,
              seed: int = 42):
    """An mteb task object holding the prepared ``task`` (no download, no hub).

    Classification: ``n_experiments`` (mteb default 10) logistic regressions, each trained on
    ``samples_per_label`` (mteb default 8) examples per label drawn from ``train``.
    Clustering: mteb's non-legacy ``AbsTaskClustering``, every text embedded, then
    ``clustering_bootstraps`` (mteb default 10) k-means runs on ``clustering_sample_size``
    (mteb default 16,384) texts drawn with replacement; V-measure is their mean.
    """
    base, attrs = _task_parts(task)
    if n_experiments is not None:
        attrs["n_experiments"] = int(n_experiments)
    if samples_per_label is not None:
        attrs["samples_per_label"] = int(samples_per_label)
    if clustering_bootstraps is not None:
        attrs["n_clusters"] = int(clustering_bootstraps)
    if clustering_sample_size is not None:
        attrs["max_documents_per_cluster"] = int(clustering_sample_size)
    attrs["metadata"] = _metadata(task)
    # what mteb computes per item while scoring (see item_scores); a class attribute, like metadata
    attrs["captured"] = {}
    # metadata must be a class attribute: mteb's unload_data() drops instance-level metadata
    cls = type(f"Local{_identifier(task['name'])}", (base,), attrs)
    return cls(seed=seed)


def evaluate_task(task: dict, encoder, model_id: str, **options) -> list[dict]:
    """Run mteb on one prepared task with ``encoder``; one flat record per metric.

    Records: ``{"model", "task", "task_type", "language", "metric", "value", "main"}`` (plus
    ``"dim"`` when the encoder carries a ``dim`` label). Metrics per type: see ``METRICS``;
    clustering adds silhouette and Davies-Bouldin computed here with the gold labels. The main
    record carries ``ci_low`` / ``ci_high`` (see ``score_task``). Options: those of ``score_task``.
    """
    return score_task(task, encoder, model_id, **options)[0]


def score_task(task: dict, encoder, model_id: str, *, n_experiments: int | None = None,
               samples_per_label: int | None = None, clustering_bootstraps: int | None = None,
               clustering_sample_size: int | None = None, seed: int = 42,
               batch_size: int = _DEFAULT_BATCH, quiet: bool = True,
               bootstrap_resamples: int = DEFAULT_RESAMPLES, bootstrap_seed: int = 0) -> tuple[list[dict], ItemScores]:
    """``(records, items)``: mteb's records for one task, and the per-item data behind its main score.

    Uncertainty on the main record: ``ci_low`` / ``ci_high``, a seeded 95% percentile bootstrap
    (``bootstrap_resamples`` resamples of the test items, ``stats.bootstrap``) of the per-item data
    mteb computed (captured from mteb's own scoring; the point estimate equals mteb's).
    Classification also gets ``sd_over_experiments`` (over mteb's experiments; the bootstrap
    resamples test texts, each scored by the mean correctness over experiments). Clustering's
    interval is the spread of mteb's own k-means runs (``sd_over_runs`` too), and two extra records
    follow: ``v_measure_chance`` (gold labels against random partitions of the same sizes) and
    ``adjusted_mutual_info`` (mteb's AMI of the same k-means runs: V-measure is NMI with the
    arithmetic mean, so AMI is exactly V-measure corrected for its expectation under chance).
    Types in ``NORMALIZED_TYPES`` see L2-normalised vectors; their records say ``normalized: True``.
    """
    import mteb

    kind = task.get("type")
    if kind not in MTEB_TYPES:
        raise EmbedlabError(f"task {task.get('name')} has type {kind!r}, which mteb does not evaluate here",
                            "use intrinsic.intrinsic_records for robustness tasks")
    main = main_metric(task)
    mtask = mteb_task(task, n_experiments=n_experiments, samples_per_label=samples_per_label,
                      clustering_bootstraps=clustering_bootstraps,
                      clustering_sample_size=clustering_sample_size, seed=seed)
    normalized = kind in NORMALIZED_TYPES
    if normalized:
        encoder = UnitNormEncoder(encoder)
    try:
        with _quiet(quiet):
            result = mteb.evaluate(
                encoder, mtask, cache=None, overwrite_strategy="always", co2_tracker=False,
                show_progress_bar=False, raise_error=True,
                encode_kwargs={"batch_size": int(batch_size), "show_progress_bar": False},
            )
    except KeyError as exc:  # mteb looks the main score up by name after scoring
        if exc.args and exc.args[0] == mtask.metadata.main_score:
            raise EmbedlabError(f"task {task['name']} names main_score '{main}', which mteb does not compute "
                                f"for {kind} tasks", "fix main_score in the prepared task") from None
        raise
    if result.exceptions or not result.task_results:
        raise EmbedlabError(f"mteb failed on {task['name']}: {result.exceptions}", "see the message above")
    scores = result.task_results[0].scores["test"][0]

    values = {}
    for metric in METRICS[kind] + ([main] if main not in METRICS[kind] else []):
        if metric in OWN_METRICS:
            continue
        if metric not in scores:
            raise EmbedlabError(f"mteb returned no '{metric}' for {task['name']} (has: {', '.join(sorted(scores))})",
                                "fix main_score in the prepared task")
        values[metric] = float(scores[metric])
    extra = {}
    if kind == "clustering":
        split = task["splits"]["test"]
        values.update(clustering_geometry(_embed(encoder, split["text"], mtask), split["label"], seed=seed))
        extra = {"v_measure_chance": _chance(task, bootstrap_seed), "adjusted_mutual_info": float(scores["ami"])}
    records = result_records(task, model_id, {**values, **extra}, main, dim=getattr(encoder, "dim", None))

    items = item_scores(task, main, mtask.captured, scores)
    uncertainty = {}
    if items is not None:
        ci = bootstrap(items, n_resamples=bootstrap_resamples, seed=bootstrap_seed)
        uncertainty = {"ci_low": ci["ci_low"], "ci_high": ci["ci_high"]}
        if kind == "classification":
            uncertainty["sd_over_experiments"] = float(np.std(
                [e["accuracy"] for e in scores["scores_per_experiment"]]))
        if kind == "clustering":
            uncertainty["sd_over_runs"] = float(np.std(items.data["runs"]))
    for rec in records:
        if rec["main"]:
            rec.update(uncertainty)
        if normalized:
            rec["normalized"] = True
    return records, items


def item_scores(task: dict, main: str, captured: dict, scores: dict) -> ItemScores | None:
    """The per-item data behind mteb's main score, from what the task class captured while mteb
    scored it (None where the main score has no item-level form, e.g. a non-default main metric)."""
    kind = task["type"]
    if kind == "sts" and main == "cosine_spearman":
        return ItemScores("sts", {"gold": np.asarray(captured["gold"], float),
                                  "cosine": np.asarray(captured["cosine"], float)})
    if kind == "pair_classification" and main == "max_ap":
        return ItemScores("pair_classification", {"labels": np.asarray(captured["labels"]),
                                                  "scores": np.asarray(captured["scores"], float)})
    if kind == "classification" and main == "accuracy":
        correct = [np.asarray(pred) == np.asarray(gold) for gold, pred in captured["experiments"]]
        return ItemScores("classification", {"correct": np.asarray(correct)})
    if kind == "retrieval":
        key = next((main.replace(ours, theirs) for ours, theirs in _PYTREC_KEYS.items() if main.startswith(ours)), None)
        per_query = captured.get("per_query", {})
        if key is None or not per_query:
            return None
        return ItemScores("retrieval", {"per_query": np.asarray([q[key] for q in per_query.values()], float)})
    if kind == "bitext_mining" and main == "f1":
        return ItemScores("bitext_mining", {"predictions": np.asarray(captured["predictions"], np.int64)})
    if kind == "clustering" and main in ("v_measure", *OWN_METRICS):
        runs = [v for level in scores["v_measures"].values() for v in level]
        return ItemScores("runs", {"runs": np.asarray(runs, float)}) if main == "v_measure" else None
    return None


_CHANCE: dict[tuple[str, int], float] = {}


def _chance(task: dict, seed: int) -> float:
    """``stats.chance_v_measure`` of the task's gold labels, once per (task version, seed)."""
    key = (str(task.get("checksum") or task["name"]), seed)
    if key not in _CHANCE:
        _CHANCE[key] = chance_v_measure(task["splits"]["test"]["label"], seed=seed)
    return _CHANCE[key]


class UnitNormEncoder:
    """An mteb encoder serving ``encoder``'s vectors scaled to unit L2 norm (``NORMALIZED_TYPES``)."""

    def __init__(self, encoder):
        self.inner = encoder
        self.dim = getattr(encoder, "dim", None)

    def encode(self, inputs, **kwargs) -> np.ndarray:
        return _unit(self.inner.encode(inputs, **kwargs))

    def similarity(self, a, b):
        return self.inner.similarity(a, b)

    def similarity_pairwise(self, a, b):
        return self.inner.similarity_pairwise(a, b)

    @property
    def mteb_model_meta(self):
        return self.inner.mteb_model_meta


def _unit(x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float32)
    return unit_rows(x)


def clustering_geometry(embeddings, labels, *, seed: int = 0, max_samples: int = 5000) -> dict[str, float]:
    """How well the gold classes separate in the embedding space itself (no k-means).

    ``silhouette``: sklearn's silhouette score with cosine distance, -1..1, higher is better.
    ``kmeans_silhouette``: the same silhouette of the partition k-means finds (k = number of gold
    classes, on L2-normalised embeddings, seeded, 10 inits): how well-separated the clusters a
    clustering pipeline would report are, whatever the labels.
    ``davies_bouldin``: sklearn's Davies-Bouldin index on L2-normalised embeddings (so models
    with different vector norms are comparable), >= 0, lower is better. Above ``max_samples``
    texts all three use a seeded sample of that size. NaN when there are fewer than 2 classes.
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import davies_bouldin_score, silhouette_score

    x = np.asarray(embeddings, dtype=np.float64)
    y = np.asarray([str(v) for v in labels])
    if len(x) > max_samples:
        idx = np.random.default_rng(seed).choice(len(x), size=max_samples, replace=False)
        x, y = x[idx], y[idx]
    n_classes = len(set(y.tolist()))
    if n_classes < 2 or n_classes >= len(y):
        return {"silhouette": float("nan"), "kmeans_silhouette": float("nan"), "davies_bouldin": float("nan")}
    unit = unit_rows(x)
    found = KMeans(n_clusters=n_classes, n_init=10, random_state=seed).fit_predict(unit)
    return {"silhouette": float(silhouette_score(x, y, metric="cosine")),
            "kmeans_silhouette": (float(silhouette_score(x, found, metric="cosine"))
                                  if len(set(found.tolist())) > 1 else float("nan")),
            "davies_bouldin": float(davies_bouldin_score(unit, y))}


# -- task construction ---------------------------------------------------------------------------

def _task_parts(task: dict):
    """(mteb base class, class attributes including load_data) for a prepared task."""
    from datasets import Dataset, DatasetDict

    kind = task["type"]
    splits = task.get("splits") or {}
    if "test" not in splits:
        raise EmbedlabError(f"prepared task {task.get('name')} has no test split", "run `dvc repro prepare`")
    test = splits["test"]

    if kind == "sts":
        from mteb.abstasks.sts import AbsTaskSTS as base

        scores = [float(s) for s in test["score"]]
        dataset = DatasetDict({"test": Dataset.from_dict(
            {"sentence1": list(test["sentence1"]), "sentence2": list(test["sentence2"]), "score": scores})})
        # mteb rescales gold scores linearly (irrelevant to the correlations); keep them in 0..1
        attrs = {"min_score": min(scores), "max_score": max(scores) if max(scores) > min(scores) else min(scores) + 1}

        def _calculate_scores(self, scores, normalized_scores):
            self.captured.update(gold=list(normalized_scores), cosine=list(scores["cosine_scores"]))
            return base._calculate_scores(self, scores, normalized_scores)

        attrs["_calculate_scores"] = _calculate_scores
    elif kind == "classification":
        from mteb.abstasks.classification import AbsTaskClassification as base

        if "train" not in splits:
            raise EmbedlabError(f"classification task {task['name']} has no train split", "run `dvc repro prepare`")
        train = splits["train"]
        classes = sorted(set(train["label"]) | set(test["label"]), key=lambda v: (type(v).__name__, v))
        code = {c: i for i, c in enumerate(classes)}  # string labels break mteb's binary AP
        dataset = DatasetDict({
            name: Dataset.from_dict({"text": list(part["text"]), "label": [code[v] for v in part["label"]]})
            for name, part in (("train", train), ("test", test))})

        def _calculate_scores(self, y_test, y_pred):
            # datasets 5 hands mteb a lazy Column; sklearn then reads it row by row (~1 s per
            # experiment at 1,000 test texts). One slice reads it at once; the scores are unchanged.
            y_test = np.asarray(y_test[:])
            self.captured.setdefault("experiments", []).append((y_test, np.asarray(y_pred)))
            return base._calculate_scores(self, y_test, y_pred)

        def _undersample_data(self, dataset, experiment_num, idxs=None):
            # mteb's own sampling, reading the label column once instead of one row at a time
            return base._undersample_data(self, _EagerColumns(dataset), experiment_num, idxs)

        attrs = {"_calculate_scores": _calculate_scores, "_undersample_data": _undersample_data}
    elif kind == "clustering":
        from mteb.abstasks.clustering import AbsTaskClustering as base

        dataset = DatasetDict({"test": Dataset.from_dict(
            {"sentences": list(test["text"]), "labels": [str(v) for v in test["label"]]})})
        attrs = {"max_fraction_of_documents_to_embed": None, "max_document_to_embed": None}
    elif kind == "pair_classification":
        from mteb.abstasks.pair_classification import AbsTaskPairClassification as base

        if len(test["label"]) < 2:
            raise EmbedlabError(f"pair classification task {task['name']} needs at least 2 pairs", "check prepare")
        dataset = DatasetDict({"test": Dataset.from_dict(
            {"sentence1": list(test["sentence1"]), "sentence2": list(test["sentence2"]),
             "labels": [int(v) for v in test["label"]]})})

        def _compute_metrics(self, similarity_scores, labels):
            # mteb's max_ap is the max over these functions; distances count as dissimilarities
            columns = [similarity_scores["similarity_scores"], similarity_scores["cosine_scores"],
                       -np.asarray(similarity_scores["manhattan_distances"]),
                       -np.asarray(similarity_scores["euclidean_distances"]), similarity_scores["dot_scores"]]
            self.captured.update(labels=list(labels), scores=np.stack([np.asarray(c, float) for c in columns], axis=1))
            return base._compute_metrics(self, similarity_scores, labels)

        attrs = {"_compute_metrics": _compute_metrics}
    elif kind == "bitext_mining":
        from mteb.abstasks.text.bitext_mining import AbsTaskBitextMining as base

        dataset = DatasetDict({"test": Dataset.from_dict(
            {"sentence1": list(test["sentence1"]), "sentence2": list(test["sentence2"])})})

        def _compute_metrics(self, nearest_neighbors, gold):
            self.captured["predictions"] = [int(x["corpus_id"]) for x in nearest_neighbors]
            return base._compute_metrics(self, nearest_neighbors, gold)

        attrs = {"_compute_metrics": _compute_metrics}
    elif kind == "retrieval":
        from mteb.abstasks.retrieval import AbsTaskRetrieval as base
        from mteb.abstasks.retrieval_dataset_loaders import RetrievalSplitData

        queries, corpus = test["queries"], test["corpus"]
        qrels = {str(q): {str(d): int(r) for d, r in docs.items()} for q, docs in test["qrels"].items()}
        dataset = {"default": {"test": RetrievalSplitData(
            queries=Dataset.from_dict({"id": [str(k) for k in queries], "text": list(queries.values())}),
            # the corpus text is already "title body"; mteb joins title and text with a space
            corpus=Dataset.from_dict({"id": [str(k) for k in corpus], "text": list(corpus.values()),
                                      "title": [""] * len(corpus)}),
            relevant_docs=qrels, top_ranked=None)}}

        def task_specific_scores(self, scores, qrels, results, hf_split, hf_subset):
            self.captured["per_query"] = dict(scores)  # pytrec_eval's measures per query
            return base.task_specific_scores(self, scores, qrels, results, hf_split, hf_subset)

        attrs = {"task_specific_scores": task_specific_scores}
    else:
        raise EmbedlabError(f"task type {kind!r} is not an mteb task", "use intrinsic.intrinsic_records")

    def load_data(self, num_proc=None, **kwargs):
        self.dataset = dataset
        self.data_loaded = True

    attrs["load_data"] = load_data
    return base, attrs


def _metadata(task: dict):
    from mteb.abstasks.task_metadata import TaskMetadata

    kind = task["type"]
    return TaskMetadata(
        name=task["name"],
        description=f"embedlab prepared task {task['name']} ({task.get('source', 'local')}: {task.get('origin', '')})",
        dataset={"path": f"embedlab/{task['name']}", "revision": str(task.get("checksum") or "local")},
        type=MTEB_TYPES[kind],
        category="t2c" if kind in ("classification", "clustering") else "t2t",
        modalities=["text"],
        reference=None,
        eval_splits=["test"],
        eval_langs=mteb_languages(task.get("language") or "en"),
        main_score=_mteb_main_score(task),
        date=None, domains=None, task_subtypes=None, license=None, annotations_creators=None,
        dialect=[], sample_creation=None, bibtex_citation="",
    )


def _mteb_main_score(task: dict) -> str:
    main = main_metric(task)
    # silhouette / davies_bouldin are ours; mteb's own main score for clustering is v_measure
    return "v_measure" if main in OWN_METRICS else main


def mteb_languages(language: str) -> list[str]:
    """mteb language-script codes for a task language: "en" -> ["eng-Latn"], "zh-en" -> both."""
    if re.fullmatch(r"[a-z]{3}-[A-Z][a-z]{3}", language):
        return [language]
    try:
        from mteb.languages.iso_mappings import _get_iso1_to_iso3, _get_iso3_to_default_script

        iso3, scripts = _get_iso1_to_iso3(), _get_iso3_to_default_script()
    except ImportError:  # private helpers of mteb 2.26; fall back to the languages we ship
        iso3, scripts = {"en": "eng", "zh": "zho"}, {"eng": "Latn", "zho": "Hans"}
    out = []
    for part in re.split(r"[-_ ,/]+", language):
        code = iso3.get(part, part)
        out.append(f"{code}-{scripts.get(code, 'Latn')}")
    return out


class _EagerColumns:
    """A Dataset seen through ``len``, ``[column]`` (a list, read at once) and ``select``."""

    def __init__(self, dataset):
        self._dataset = dataset

    def __len__(self) -> int:
        return len(self._dataset)

    def __getitem__(self, column: str) -> list:
        return list(self._dataset[column][:])

    def select(self, indices):
        return self._dataset.select(indices)


def _identifier(name: str) -> str:
    return re.sub(r"\W", "_", name)


def _embed(encoder, texts: list[str], mtask) -> np.ndarray:
    """The encoder's vectors for ``texts`` (symmetric role), as mteb would get them."""
    if isinstance(encoder, UnitNormEncoder):
        return _unit(_embed(encoder.inner, texts, mtask))
    if hasattr(encoder, "lookup"):
        return encoder.lookup(texts, "query")
    from mteb._create_dataloaders import create_dataloader
    from datasets import Dataset

    loader = create_dataloader(Dataset.from_dict({"text": list(texts)}), task_metadata=mtask.metadata,
                               input_column="text", batch_size=_DEFAULT_BATCH)
    return np.asarray(encoder.encode(loader, task_metadata=mtask.metadata, hf_split="test", hf_subset="default"))


@contextlib.contextmanager
def _quiet(enabled: bool):
    """Silence mteb's and datasets' progress bars and log lines; replay them if something fails."""
    if not enabled:
        yield
        return
    import datasets

    bars_were_on = not datasets.utils.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    mteb_logger = logging.getLogger("mteb")
    level = mteb_logger.level
    mteb_logger.setLevel(logging.ERROR)
    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured):
            yield
    except BaseException:
        sys.stderr.write(captured.getvalue())
        raise
    finally:
        mteb_logger.setLevel(level)
        if bars_were_on:
            datasets.enable_progress_bars()
