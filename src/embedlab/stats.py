"""Uncertainty of main scores: per-item data that reproduces mteb's number, and seeded bootstraps of it.

``ItemScores`` holds what mteb computed per test item (per pair, per query, per test text) for one
(model, task); ``statistic(idx)`` recomputes the main score on resamples of those items, vectorised
over a ``(resamples, n)`` matrix of item indices. The point estimate (``idx = arange(n)``) equals
mteb's main score (tests/test_stats.py checks it against mteb's own number per task type).

``bootstrap`` gives a percentile interval (95% by default) over resampled test items;
``paired_bootstrap`` resamples the SAME items for two models, so the interval is that of their
difference. Resample indices depend only on ``(n, n_resamples, seed)``: two models scored on the
same task with the same seed see the same resamples.

Clustering has no item-level statistic (k-means would have to run per resample): its spread is
mteb's own bootstrap runs (``kind="runs"``: the interval is the 2.5-97.5 percentile of the runs,
and paired differences are taken run by run; mteb draws the same texts per run for every model).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import EmbedlabError

DEFAULT_RESAMPLES = 1000
DEFAULT_LEVEL = 0.95


# -- statistics on resampled items -------------------------------------------------------------------

def resample_indices(n: int, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0) -> np.ndarray:
    """``(n_resamples, n)`` item indices drawn with replacement; the same for the same (n, n_resamples, seed)."""
    if n < 1:
        raise EmbedlabError("cannot bootstrap an empty test split", "check that the task has test items")
    if n_resamples < 1:
        raise EmbedlabError(f"bootstrap needs at least 1 resample, got {n_resamples}", "set n_resamples to e.g. 1000")
    return np.random.default_rng(seed).integers(0, n, size=(int(n_resamples), n))


def _counts(idx: np.ndarray, n: int) -> np.ndarray:
    """How often each item occurs in each resample: ``(B, n)`` from ``(B, n)`` indices."""
    b = idx.shape[0]
    flat = (np.arange(b)[:, None] * n + idx).ravel()
    return np.bincount(flat, minlength=b * n).reshape(b, n).astype(np.float64)


def rowwise_spearman(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of ``x`` with the same row of ``y`` (average ranks for ties)."""
    from scipy.stats import rankdata

    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx * rx).sum(axis=1) * (ry * ry).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (rx * ry).sum(axis=1) / denom, np.nan)


def weighted_average_precision(labels: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """sklearn's ``average_precision_score`` (no interpolation, ties as one threshold) per row of
    ``weights`` (item multiplicities, ``(B, n)``); higher ``scores`` = more likely positive."""
    order = np.argsort(-scores, kind="mergesort")
    s, y, w = scores[order], labels[order].astype(np.float64), weights[:, order]
    last_of_tie = np.r_[np.diff(s) != 0, True]  # a threshold ends where the next score differs
    tps = np.cumsum(w * y, axis=1)[:, last_of_tie]
    total = np.cumsum(w, axis=1)[:, last_of_tie]
    positives = tps[:, -1:]
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(total > 0, tps / np.where(total > 0, total, 1), 0.0)
        recall = tps / positives
        step = np.diff(np.concatenate([np.zeros((len(w), 1)), recall], axis=1), axis=1)
        ap = (step * precision).sum(axis=1)
    return np.where(positives[:, 0] > 0, ap, np.nan)


def weighted_bitext_f1(predictions: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """mteb's bitext-mining F1 (sklearn ``f1_score(average="weighted")``, gold of item i is i) per row
    of item multiplicities ``weights`` (``(B, n)``)."""
    b, n = weights.shape
    pred = np.asarray(predictions, dtype=np.int64)
    correct = pred == np.arange(n)
    tp = weights * correct
    fn = weights * ~correct
    wrong = np.flatnonzero(~correct & (pred >= 0) & (pred < n))
    flat = (np.arange(b)[:, None] * n + pred[wrong][None, :]).ravel()
    fp = np.bincount(flat, weights=weights[:, wrong].ravel(), minlength=b * n).reshape(b, n)
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros_like(tp), where=denom > 0)
    return (weights * f1).sum(axis=1) / weights.sum(axis=1)


# -- per-item data of one (model, task) --------------------------------------------------------------

@dataclass
class ItemScores:
    """What mteb computed per test item for one (model, task), enough to recompute its main score.

    ``kind`` and ``data``:
      ``sts``: ``gold``, ``cosine`` (per pair) -> Spearman (mteb ``cosine_spearman``)
      ``pair_classification``: ``labels``, ``scores`` ``(n, k)`` (each similarity function, signed so
        higher = more similar) -> max over functions of average precision (mteb ``max_ap``)
      ``classification``: ``correct`` ``(experiments, n)`` -> mean accuracy (mteb ``accuracy``)
      ``retrieval``: ``per_query`` (pytrec_eval's value per query) -> mean (mteb ``ndcg_at_10``)
      ``bitext_mining``: ``predictions`` (nearest target per source) -> weighted F1 (mteb ``f1``)
      ``runs``: ``runs`` (clustering: mteb's per-run V-measure) -> mean
    """

    kind: str
    data: dict = field(default_factory=dict)

    @property
    def n(self) -> int:
        """The number of resampled units (pairs, queries, test texts; runs for clustering)."""
        key = {"sts": "gold", "pair_classification": "labels", "retrieval": "per_query",
               "bitext_mining": "predictions", "runs": "runs"}.get(self.kind)
        if self.kind == "classification":
            return int(np.asarray(self.data["correct"]).shape[1])
        return len(self.data[key])

    def statistic(self, idx: np.ndarray) -> np.ndarray:
        """The main score on each row of resampled item indices ``idx`` (``(B, n)``)."""
        d = self.data
        if self.kind == "sts":
            return rowwise_spearman(np.asarray(d["gold"], float)[idx], np.asarray(d["cosine"], float)[idx])
        if self.kind == "pair_classification":
            weights = _counts(idx, self.n)
            labels, scores = np.asarray(d["labels"]), np.asarray(d["scores"], float)
            per_fn = [weighted_average_precision(labels, scores[:, k], weights) for k in range(scores.shape[1])]
            return np.nanmax(np.stack(per_fn), axis=0)
        if self.kind == "classification":
            return np.asarray(d["correct"], float).mean(axis=0)[idx].mean(axis=1)
        if self.kind in ("retrieval", "runs"):
            key = "per_query" if self.kind == "retrieval" else "runs"
            return np.asarray(d[key], float)[idx].mean(axis=1)
        if self.kind == "bitext_mining":
            return weighted_bitext_f1(d["predictions"], _counts(idx, self.n))
        raise EmbedlabError(f"no item-level statistic for kind {self.kind!r}",
                            "use one of sts, pair_classification, classification, retrieval, bitext_mining, runs")

    def point(self) -> float:
        """The main score on all items (equals mteb's)."""
        return float(self.statistic(np.arange(self.n)[None, :])[0])


def _interval(values: np.ndarray, level: float) -> tuple[float, float]:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = 50 * (1 - level)
    low, high = np.percentile(values, [tail, 100 - tail])
    return float(low), float(high)


def _check_level(level: float) -> None:
    if not 0 < level < 1:
        raise EmbedlabError(f"confidence level must lie strictly between 0 and 1, got {level}", "use e.g. 0.95")


def _resampled(items: ItemScores, n_resamples: int, seed: int) -> np.ndarray:
    """Resampled main scores; mteb's clustering runs are used as they are (they are its own bootstrap)."""
    if items.kind == "runs":
        return np.asarray(items.data["runs"], float)
    return items.statistic(resample_indices(items.n, n_resamples, seed))


def bootstrap(items: ItemScores, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
              level: float = DEFAULT_LEVEL) -> dict:
    """``{"value", "ci_low", "ci_high", "n"}``: the main score and its percentile interval over
    ``n_resamples`` resamples of the test items (clustering: over mteb's runs)."""
    _check_level(level)
    low, high = _interval(_resampled(items, n_resamples, seed), level)
    return {"value": items.point(), "ci_low": low, "ci_high": high, "n": items.n}


def paired_bootstrap(a: ItemScores, b: ItemScores, n_resamples: int = DEFAULT_RESAMPLES, seed: int = 0,
                     level: float = DEFAULT_LEVEL) -> dict:
    """``{"difference", "ci_low", "ci_high", "n"}`` of main score ``a - b``, resampling the same test
    items for both (clustering: the same mteb run for both)."""
    _check_level(level)
    diffs = paired_differences(a, b, n_resamples, seed)
    low, high = _interval(diffs, level)
    return {"difference": a.point() - b.point(), "ci_low": low, "ci_high": high, "n": a.n}


def paired_differences(a: ItemScores, b: ItemScores, n_resamples: int = DEFAULT_RESAMPLES,
                       seed: int = 0) -> np.ndarray:
    """Resampled ``a - b`` on the same items (``n_resamples`` values; clustering: one per mteb run)."""
    if a.kind != b.kind or a.n != b.n:
        raise EmbedlabError(f"cannot pair scores of kind {a.kind} on {a.n} items with {b.kind} on {b.n} items",
                            "compare two models on the same prepared task")
    if a.kind == "runs":
        return np.asarray(a.data["runs"], float) - np.asarray(b.data["runs"], float)
    idx = resample_indices(a.n, n_resamples, seed)
    return a.statistic(idx) - b.statistic(idx)


def mean_difference(pairs: list[tuple[ItemScores, ItemScores]], n_resamples: int = DEFAULT_RESAMPLES,
                    seed: int = 0, level: float = DEFAULT_LEVEL) -> dict:
    """Paired bootstrap of the difference of two models' mean main score over several tasks.

    Each task's items are resampled independently (tasks are independent samples); the mean over
    tasks of the per-resample differences gives the interval. A clustering task contributes one of
    mteb's runs per resample (drawn with replacement, seeded).
    """
    _check_level(level)
    if not pairs:
        raise EmbedlabError("no task to compare the models on", "pass at least one task both models were scored on")
    rng = np.random.default_rng(seed)
    draws = []
    for k, (a, b) in enumerate(pairs):
        d = paired_differences(a, b, n_resamples, seed + k)
        if a.kind == "runs":
            d = d[rng.integers(0, len(d), size=n_resamples)]
        draws.append(d)
    low, high = _interval(np.mean(draws, axis=0), level)
    return {"difference": float(np.mean([a.point() - b.point() for a, b in pairs])),
            "ci_low": low, "ci_high": high, "n": len(pairs)}


def separated(interval: dict) -> bool:
    """True when a difference's interval (``ci_low``, ``ci_high``) excludes zero: the one rule for "A and B
    differ" (a NaN bound never separates)."""
    return bool(interval["ci_low"] > 0 or interval["ci_high"] < 0)


def adjacent_separation(ranking: list[str], compare) -> list[dict]:
    """For each adjacent pair of ``ranking`` (best first): ``{"better", "worse", "difference", "ci_low",
    "ci_high", "n", "separated"}``; ``separated`` is True only when the interval excludes zero.
    ``compare(a, b)`` returns a paired-bootstrap dict (e.g. ``Experiment.compare``)."""
    rows = []
    for better, worse in zip(ranking, ranking[1:]):
        result = compare(better, worse)
        rows.append({"better": better, "worse": worse, **result, "separated": separated(result)})
    return rows


def chance_v_measure(labels, n_draws: int = 100, seed: int = 0) -> float:
    """Mean V-measure of the gold labels against ``n_draws`` random partitions with the same
    cluster sizes (seeded permutations of the labels): what a clustering that knows nothing scores."""
    from sklearn.metrics import v_measure_score

    y = np.asarray([str(v) for v in labels])
    rng = np.random.default_rng(seed)
    return float(np.mean([v_measure_score(y, rng.permutation(y)) for _ in range(int(n_draws))]))


def combined_mean_interval(values, lows, highs, level: float = DEFAULT_LEVEL) -> tuple[float, float, float]:
    """(mean, low, high) of a mean of independent scores given each one's interval: each interval's
    half-width is read as a normal standard error (``half / z``), the mean's error is
    ``sqrt(sum se^2) / k``. Used for the English mean drawn in figures (test-item noise only; the
    choice of tasks is fixed)."""
    from scipy.stats import norm

    v, lo, hi = (np.asarray(a, float) for a in (values, lows, highs))
    keep = np.isfinite(v)
    if not keep.any():
        return float("nan"), float("nan"), float("nan")
    z = norm.ppf(0.5 + level / 2)
    se = np.where(np.isfinite(lo[keep]) & np.isfinite(hi[keep]), (hi[keep] - lo[keep]) / (2 * z), 0.0)
    mean = float(v[keep].mean())
    half = float(z * np.sqrt((se ** 2).sum()) / keep.sum())
    return mean, mean - half, mean + half
