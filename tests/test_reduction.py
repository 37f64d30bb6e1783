"""Reductions on tiny matrices (no model): what each keeps, that PCA is scikit-learn's, that random
projection is seeded and keeps norms in expectation, and that impossible dimensions fail early."""

import numpy as np
import pytest
from sklearn.decomposition import PCA

from embedlab.errors import EmbedlabError
from embedlab.vectors.reduction import (METHODS, PCAReduction, RandomProjection, Truncation, check_dim, check_dims,
                                check_methods, effective_rank, variance_profile)

X = np.random.default_rng(0).normal(size=(40, 8)).astype(np.float32)


def test_truncation_keeps_the_prefix_and_renormalises():
    raw = Truncation(3, renormalize=False).apply(X)
    np.testing.assert_array_equal(raw, X[:, :3])
    unit = Truncation(3).apply(X)
    np.testing.assert_allclose(unit, X[:, :3] / np.linalg.norm(X[:, :3], axis=1, keepdims=True), rtol=1e-6)
    assert Truncation(3).labels() == {"transform": "truncation", "dim": 3}


def test_pca_equals_scikit_learn_on_the_same_data():
    fit, test = X[:30], X[30:]
    ours = PCAReduction(4, renormalize=False).fit(fit, source="first 30 rows").apply(test)
    ref = PCA(n_components=4, svd_solver="full").fit(fit.astype(np.float64)).transform(test.astype(np.float64))
    np.testing.assert_allclose(ours, ref, rtol=1e-5, atol=1e-6)
    whitened = PCAReduction(4, whiten=True, renormalize=False).fit(fit, source="x").apply(fit)
    np.testing.assert_allclose(whitened.std(axis=0, ddof=1), np.ones(4), rtol=1e-4)


def test_pca_cannot_fit_more_components_than_calibration_rows():
    with pytest.raises(EmbedlabError, match="3 calibration vectors cannot fit 4 components"):
        PCAReduction(4).fit(X[:3], source="x")


def test_random_projection_is_seeded_and_keeps_norms_in_expectation():
    a = RandomProjection(4, seed=1, renormalize=False).fit(X, source="x").apply(X)
    b = RandomProjection(4, seed=1, renormalize=False).fit(X, source="x").apply(X)
    c = RandomProjection(4, seed=2, renormalize=False).fit(X, source="x").apply(X)
    np.testing.assert_array_equal(a, b)
    assert not np.allclose(a, c)
    # squared norms: E ||Rx||^2 = ||x||^2 for R with N(0, 1/d) entries; average over 300 seeds
    x = X[:1]
    ratios = [np.sum(RandomProjection(4, seed=s, renormalize=False).fit(X, source="x").apply(x) ** 2) / np.sum(x**2)
              for s in range(300)]
    assert np.mean(ratios) == pytest.approx(1.0, abs=0.1)


def test_a_dim_above_native_is_a_one_line_error_naming_model_size_and_dim():
    native = {"small": 8, "big": 16}
    assert check_dims([2, 4, 8, 12], native) == {"small": [2, 4], "big": [2, 4, 8, 12]}
    with pytest.raises(EmbedlabError) as err:
        check_dims([2, 4], native, per_model={"small": [4, 12]})
    assert "12" in str(err.value) and "small" in str(err.value) and "8" in str(err.value)
    assert "\n" not in str(err.value).strip()
    with pytest.raises(EmbedlabError, match="above small's native size 8"):
        check_dim("small", 9, 8, "same_recipe")
    with pytest.raises(EmbedlabError, match="cannot reduce 8-dim vectors to 9"):
        Truncation(9).apply(X)


def test_unknown_method_lists_the_known_ones():
    with pytest.raises(EmbedlabError, match="unknown reduction method 'svd'"):
        check_methods(["truncation", "svd"])
    assert METHODS["pca_transductive"].transductive and not METHODS["pca_inductive"].transductive


def test_variance_profile_and_effective_rank_by_hand():
    # centred singular values 3, 1 (x-axis and y-axis spreads): variance shares 0.9 and 0.1
    x = np.array([[3, 0], [-3, 0], [0, 1], [0, -1]], dtype=float) * np.sqrt(2) / 2
    prof = variance_profile(x, top=1)
    assert prof["pca_variance_top1"] == pytest.approx(0.9)
    assert prof["components_85"] == 1 and prof["components_95"] == 2
    p = np.array([3, 1]) / 4
    assert effective_rank(x) == pytest.approx(np.exp(-(p * np.log(p)).sum()))
    assert effective_rank(np.eye(5)) == pytest.approx(4)  # centring leaves 4 equal directions
