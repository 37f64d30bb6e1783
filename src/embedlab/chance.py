"""Chance levels of main scores: what a model that knows nothing scores on a prepared task, so that a
retention can be read as retention of the margin above chance (a score near chance keeps little).

- sts (Spearman of cosine): 0, the expected rank correlation of unrelated scores.
- pair_classification (average precision): the share of positive pairs, the AP of a random ranking.
- classification (accuracy): the share of the most frequent test label, what a constant guess scores.
- clustering (V-measure): the task's ``v_measure_chance`` record (gold labels against random partitions
  of the same sizes, ``stats.chance_v_measure``), read from the records since it is sampled.
- retrieval (nDCG@k): the expected nDCG@k of a uniformly random ranking of the corpus, per query, mean
  over queries (trec_eval's linear gains, as pytrec_eval and mteb compute nDCG).
- bitext_mining (F1): 1 / number of candidate sentences.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd

from .errors import EmbedlabError


def expected_random_ndcg(qrels: dict, n_corpus: int, k: int = 10) -> float:
    """Mean over queries of E[nDCG@k] under a uniformly random ranking of ``n_corpus`` documents.

    Each rank i <= k holds a given document with probability 1 / n_corpus, so E[DCG@k] =
    (sum of the query's gains / n_corpus) * sum_{i<=k} 1 / log2(i + 1); the ideal DCG sorts the gains."""
    if n_corpus < 1:
        raise EmbedlabError("expected_random_ndcg needs a non-empty corpus", "pass the corpus size")
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    values = []
    for docs in qrels.values():
        gains = sorted((float(g) for g in docs.values() if float(g) > 0), reverse=True)
        if not gains:
            continue
        ideal = float(np.sum(np.asarray(gains[:k]) * discounts[: min(k, len(gains))]))
        values.append(sum(gains) / n_corpus * float(discounts.sum()) / ideal)
    return float(np.mean(values)) if values else float("nan")


def chance_level(task: dict, records: pd.DataFrame | None = None, k: int = 10) -> float:
    """The chance level of ``task``'s main score (a prepared task record, see the module docstring);
    clustering reads ``v_measure_chance`` from ``records``. NaN where none is defined."""
    kind, test = task["type"], task["splits"]["test"]
    if kind == "sts":
        return 0.0
    if kind == "pair_classification":
        labels = np.asarray(test["label"], dtype=float)
        return float(np.mean(labels > 0))
    if kind == "classification":
        counts = Counter(test["label"])
        return max(counts.values()) / sum(counts.values())
    if kind == "retrieval":
        return expected_random_ndcg(test["qrels"], len(test["corpus"]), k)
    if kind == "bitext_mining":
        return 1.0 / max(1, len(test.get("sentence2", test.get("sentence1", []))))
    if kind == "clustering" and records is not None and len(records):
        rows = records[(records["task"] == task["name"]) & (records["metric"] == "v_measure_chance")]
        return float(rows["value"].mean()) if len(rows) else float("nan")
    return float("nan")


def margin_retention(value, reference, chance):
    """(value - chance) / (reference - chance): the share of the reference's margin above chance kept
    (1: all of it, 0: down to chance). NaN where the reference is at or below chance."""
    value, reference, chance = (np.asarray(x, dtype=float) for x in (value, reference, chance))
    margin = reference - chance
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(margin > 0, (value - chance) / margin, np.nan)
