"""The transform protocol: fitted once on calibration vectors, the same state applied to every role."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.store import LookupEncoder, save_embeddings
from embedlab.vectors.transforms import Chain, FunctionTransform, Transform


class CenterAndCut(Transform):
    """Subtracts the calibration mean, keeps the first ``dim`` coordinates; counts its fits."""

    name = "center_cut"

    def __init__(self, dim):
        super().__init__()
        self.dim, self.fits, self.seen = dim, 0, None

    @property
    def params(self):
        return {"dim": self.dim}

    def _fit(self, x):
        self.fits += 1
        self.seen = x.copy()
        self.mean = x.mean(axis=0)

    def _apply(self, x, role):
        return (x - self.mean)[:, : self.dim]


def _store(tmp_path):
    queries = np.array([[1, 2, 3], [3, 2, 1]], dtype=np.float32)
    docs = np.array([[0, 0, 1], [1, 1, 1], [2, 0, 0]], dtype=np.float32)
    meta = {"task_checksum": "abc"}
    save_embeddings(tmp_path, "m", "t", "query", ["q1", "q2"], queries, meta)
    save_embeddings(tmp_path, "m", "t", "document", ["d1", "d2", "d3"], docs, meta)
    return queries, docs


def test_fitted_once_and_applied_to_both_roles_with_the_same_state(tmp_path):
    queries, docs = _store(tmp_path)
    calibration = np.array([[1, 1, 1], [3, 3, 3]], dtype=np.float32)
    t = CenterAndCut(2).fit(calibration, source="a disjoint corpus")
    enc = LookupEncoder(tmp_path, "m", "t", transform=t)
    assert t.fits == 1
    np.testing.assert_array_equal(t.seen, calibration)  # fitted on the calibration rows, nothing else
    np.testing.assert_allclose(enc.lookup(["q1"], "query"), [[-1, 0]])
    np.testing.assert_allclose(enc.lookup(["d3"], "document"), [[0, -2]])  # the query's mean (2, 2) again
    assert t.labels() == {"transform": "center_cut", "dim": 2, "calibration": "a disjoint corpus"}


def test_an_unfitted_transform_is_refused_before_anything_is_served(tmp_path):
    _store(tmp_path)
    with pytest.raises(EmbedlabError, match="not fitted"):
        LookupEncoder(tmp_path, "m", "t", transform=CenterAndCut(2))
    with pytest.raises(EmbedlabError, match="must be a transforms.Transform"):
        LookupEncoder(tmp_path, "m", "t", transform=lambda x: x)


def test_transductive_fits_are_labelled():
    t = CenterAndCut(1).fit(np.ones((3, 2)), source="test split", transductive=True)
    assert t.labels()["calibration"] == "transductive"


def test_chain_fits_each_step_on_the_previous_output():
    first, second = CenterAndCut(2), CenterAndCut(1)
    chain = Chain(first, second).fit(np.array([[1, 2, 3], [3, 4, 5]]), source="cal")
    np.testing.assert_allclose(second.seen, [[-1, -1], [1, 1]])
    np.testing.assert_allclose(chain.apply(np.array([[2, 3, 9]])), [[0]])
    assert chain.name == "center_cut+center_cut" and chain.fitted


def test_own_similarity_replaces_cosine(tmp_path):
    _store(tmp_path)

    class Sign(FunctionTransform):
        def similarity(self, a, b):  # agreement of sign bits
            return -np.abs(np.sign(a)[:, None, :] - np.sign(b)[None, :, :]).sum(-1)

    enc = LookupEncoder(tmp_path, "m", "t", transform=Sign(lambda x: x - 1, name="sign"))
    sim = enc.similarity(enc.lookup(["q1"]), enc.lookup(["d1", "d2"], "document"))
    assert sim.shape == (1, 2)
    np.testing.assert_allclose(sim, [[-4, -2]])  # signs (0,1,1) vs (-1,-1,0) and (0,0,0)


def test_bad_input_is_a_one_line_error():
    with pytest.raises(EmbedlabError, match="non-empty"):
        CenterAndCut(1).fit(np.zeros((0, 3)), source="x")
    with pytest.raises(EmbedlabError, match="unknown role"):
        FunctionTransform(lambda x: x).apply(np.ones((1, 2)), role="passage")
