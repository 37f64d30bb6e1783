"""Intrinsic measures of experiment 04 against hand-computed values on tiny matrices."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.intrinsic import anisotropy, centered_anisotropy, fidelity, pair_fidelity, roc_auc, sense_separation
from embedlab.vectors.transforms import Centering


def test_roc_auc_by_hand():
    # positives 0.9, 0.4; negatives 0.5, 0.1: of 4 (pos, neg) pairs, 3 are ordered right -> 0.75
    assert roc_auc([0.9, 0.4, 0.5, 0.1], [1, 1, 0, 0]) == pytest.approx(0.75)
    assert roc_auc([1, 1, 1], [1, 0, 1]) == pytest.approx(0.5)  # ties count half
    assert np.isnan(roc_auc([0.1, 0.2], [1, 1]))


def test_fidelity_by_hand():
    # unit vectors at 0, 60 and 90 degrees: cos(a,b) = 0.5 (same class), cos(a,c) = 0, cos(b,c) = 0.866
    emb = [[1, 0], [0.5, np.sqrt(3) / 2], [0, 1]]
    got = fidelity(emb, ["x", "x", "y"], same_above=0.8, different_below=0.3)
    assert got["same_median"] == pytest.approx(0.5)
    assert got["different_median"] == pytest.approx((0 + np.sqrt(3) / 2) / 2)
    assert got["same_above"] == 0.0 and got["different_below"] == 0.5
    assert got["auc"] == pytest.approx(0.5)  # 0.5 beats 0 but not 0.866
    assert (got["n_same"], got["n_different"]) == (1, 2)
    # the same measures from the three pair cosines directly (a, b), (a, c), (b, c)
    assert pair_fidelity([0.5, 0.0, np.sqrt(3) / 2], [True, False, False], 0.8, 0.3) == pytest.approx(got)


def test_fidelity_auc_is_unchanged_by_a_narrow_band_while_thresholds_flip():
    rng = np.random.default_rng(0)
    centres = np.eye(4)[:2]
    emb = np.vstack([centres[i % 2] + 0.3 * rng.normal(size=4) for i in range(40)])
    labels = [i % 2 for i in range(40)]
    shifted = emb + 3.0 * np.ones(4)  # a common component: every cosine moves up into a narrow band
    a, b = fidelity(emb, labels), fidelity(shifted, labels)
    assert a["auc"] > 0.9 and b["auc"] > 0.6
    assert b["different_below"] == 0.0 < a["different_below"]


def test_anisotropy_before_and_after_centering_by_hand():
    emb = np.array([[1.0, 1.0], [1.0, 2.0]])
    assert anisotropy(emb) == pytest.approx(3 / np.sqrt(10))
    # minus the mean (1, 1.5): (0, -0.5) and (0, 0.5) -> cosine -1
    assert centered_anisotropy(emb, emb.mean(axis=0)) == pytest.approx(-1.0)
    out = Centering().fit(emb, source="t").apply(emb)
    np.testing.assert_allclose(out, [[0, -1], [0, 1]])


def test_sense_separation_by_hand():
    # lemma "bank": senses r, r, m; lemma "bat": senses a, b (no same-sense pair)
    emb = np.array([[1, 0], [0.8, 0.6], [0, 1], [1, 0], [0, 1]], dtype=float)
    got = sense_separation(emb, ["bank", "bank", "bank", "bat", "bat"], ["r", "r", "m", "a", "b"])
    # bank pairs: (0,1) same cos 0.8; (0,2) diff 0; (1,2) diff 0.6 -> AUC 1; bat has no same-sense pair: left out
    assert got["auc"] == pytest.approx(1.0)
    # rows 0 and 1 have another same-sense row: both nearest neighbours are the other r -> accuracy 1, chance 1/2
    assert got["nn_accuracy"] == 1.0 and got["nn_chance"] == pytest.approx(0.5)


def test_one_vector_per_word_scores_exactly_chance():
    emb = np.tile([[0.3, 0.7]], (4, 1))
    got = sense_separation(emb, ["w"] * 4, ["a", "a", "b", "b"])
    assert got["auc"] == 0.5
    assert got["nn_accuracy"] == pytest.approx(got["nn_chance"]) == pytest.approx(1 / 3)  # all tied: chance


def test_sense_separation_averages_per_word_so_word_baselines_do_not_mix():
    # word p: same-sense cos 0.9 below both different-sense cosines (0.98, 0.969) -> AUC 0
    # word q: same-sense cos 0.995 above both different-sense cosines (0, 0.1) -> AUC 1
    p_vecs = [[1.0, 0.0], [0.9, np.sqrt(1 - 0.81)], [0.98, np.sqrt(1 - 0.98**2)]]
    q_vecs = [[0.0, 1.0], [0.1, np.sqrt(1 - 0.01)], [1.0, 0.0]]
    emb = np.array(p_vecs + q_vecs, dtype=float)
    got = sense_separation(emb, ["p"] * 3 + ["q"] * 3, ["s", "s", "t", "s", "s", "t"])
    assert got["auc"] == pytest.approx(0.5)  # mean of 0 and 1; one ranking pooled over both words gives 0.75
