"""Chance levels against hand-computed values, and the margin retention they feed."""

import math

import numpy as np
import pandas as pd
import pytest

from embedlab.chance import chance_level, expected_random_ndcg, margin_retention
from embedlab.errors import EmbedlabError


def test_random_ranking_ndcg_by_hand():
    # one relevant document of 4, k = 2: E[DCG] = 1/4 * (1 + 1/log2(3)); IDCG = 1
    assert expected_random_ndcg({"q": {"d1": 1}}, 4, k=2) == pytest.approx(0.25 * (1 + 1 / math.log2(3)))
    # two relevant of 4, k = 1: E[DCG] = 2/4 * 1; IDCG = 1 -> 0.5; averaged with the query above (k = 1: 0.25)
    assert expected_random_ndcg({"a": {"x": 1, "y": 1}, "b": {"x": 1, "z": 0}}, 4, k=1) == pytest.approx(0.375)
    with pytest.raises(EmbedlabError):
        expected_random_ndcg({"q": {"d": 1}}, 0)


def _task(kind, **test):
    return {"name": "T", "type": kind, "splits": {"test": test}}


def test_chance_levels_per_task_type():
    assert chance_level(_task("sts", score=[1, 2])) == 0.0
    assert chance_level(_task("pair_classification", label=[1, 1, 0, 1])) == 0.75  # MRPC-like positive share
    assert chance_level(_task("classification", label=["a", "a", "b", "c"])) == 0.5
    assert chance_level(_task("retrieval", qrels={"q": {"d1": 1}}, corpus={f"d{i}": "" for i in range(4)}),
                        k=2) == pytest.approx(0.25 * (1 + 1 / math.log2(3)))
    records = pd.DataFrame([{"task": "T", "metric": "v_measure_chance", "value": 0.02},
                            {"task": "T", "metric": "v_measure_chance", "value": 0.04}])
    assert chance_level(_task("clustering", label=[0, 1]), records) == pytest.approx(0.03)
    assert math.isnan(chance_level(_task("clustering", label=[0, 1])))


def test_margin_retention_reads_the_margin_above_chance():
    # AP with chance 0.665: 0.80 of a 0.82 float32 score keeps (0.80-0.665)/(0.82-0.665) of the margin
    assert margin_retention(0.80, 0.82, 0.665) == pytest.approx(0.135 / 0.155)
    assert margin_retention(0.5, 0.8, 0.0) == pytest.approx(0.625)  # STS: chance 0 = plain retention
    assert np.isnan(margin_retention(0.5, 0.6, 0.6))
