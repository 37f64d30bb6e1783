"""Embedding precision: quantizing transforms, packed sign bits, Hamming search and rescoring, on tiny arrays."""

from __future__ import annotations

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.vectors.search import flat_ip_index
from embedlab.vectors.quantization import (VECTOR_PRECISIONS, Binary, Float16, Float32, Int8, UInt8, binary_index,
                                   check_precisions, pack_bits, rescore_search, unpack_bits)


def _unit(x):
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def test_calibration_ranges_come_from_the_fit_data_only():
    rng = np.random.default_rng(0)
    calibration = rng.normal(size=(50, 6)).astype(np.float32)
    evaluated = 3 * rng.normal(size=(40, 6)).astype(np.float32)  # wider than the calibration
    q = Int8().fit(calibration, source="a disjoint corpus")
    np.testing.assert_array_equal(q.ranges, [calibration.min(axis=0), calibration.max(axis=0)])
    out = q.apply(evaluated, "document")
    np.testing.assert_array_equal(q.ranges, [calibration.min(axis=0), calibration.max(axis=0)])  # apply learns nothing
    assert (out >= q.ranges[0]).all() and (out <= q.ranges[1]).all()  # clipped to the fitted range
    assert q.labels() == {"transform": "int8", "precision": "int8", "values": "dequantized",
                          "calibration": "a disjoint corpus"}
    with pytest.raises(EmbedlabError, match="not fitted"):
        UInt8().apply(evaluated)


def test_int8_round_trip_is_within_half_a_step_of_the_fitted_range():
    from sentence_transformers import quantize_embeddings

    rng = np.random.default_rng(1)
    calibration = rng.normal(size=(200, 16)).astype(np.float32)
    low, high = calibration.min(axis=0), calibration.max(axis=0)
    inside = np.vstack([low, high, rng.uniform(low, high, size=(300, 16))]).astype(np.float32)
    for cls in (Int8, UInt8):
        q = cls().fit(calibration, source="calibration")
        step = (high - low) / 255
        error = np.abs(q.apply(inside) - inside)
        assert (error <= step / 2 * (1 + 1e-4)).all(), error.max() / step.max()
        codes = quantize_embeddings(inside, precision=cls.name, ranges=np.vstack([low, high]))
        np.testing.assert_array_equal(q.codes(inside), codes)  # sentence-transformers' codes, our ranges
        np.testing.assert_array_equal(cls(values="codes").fit(calibration, source="c").apply(inside), codes)
    np.testing.assert_array_equal(UInt8().fit(calibration, source="c").codes(inside).astype(int),
                                  Int8().fit(calibration, source="c").codes(inside).astype(int) + 128)


def test_a_constant_calibration_coordinate_dequantizes_to_itself():
    calibration = np.array([[0.0, 1.0], [0.5, 1.0], [1.0, 1.0]], dtype=np.float32)
    out = Int8().fit(calibration, source="c").apply(np.array([[0.5, 1.0]]))
    assert out[0, 1] == 1.0 and abs(out[0, 0] - 0.5) <= 1 / 255 / 2


def test_float16_round_trip_is_within_its_rounding_error():
    x = np.array([[0.1, -0.333, 1e-3, 7.7, -123.456, 0.0]], dtype=np.float32)
    y = Float16().apply(x)
    assert y.dtype == np.float32
    assert (np.abs(y - x) <= np.abs(x) * 2.0**-11).all()
    assert (y != x).any()  # it does round
    np.testing.assert_array_equal(Float32().apply(x), x)
    with pytest.raises(EmbedlabError, match="overflow"):
        Float16().apply(np.array([[7e4, 0.0]]))


def test_binary_packing_matches_a_hand_computed_example():
    x = np.array([[0.5, -1, 2, 0, 3, -2, 0.1, -0.1, 1, -1]], dtype=np.float32)
    # bits 1 0 1 0 1 0 1 0 | 1 0 (+ six padding zeros): 0b10101010 = 170, 0b10000000 = 128; 0 is not > 0
    packed = pack_bits(x)
    assert packed.dtype == np.uint8 and packed.tolist() == [[170, 128]]
    signs = [[1, -1, 1, -1, 1, -1, 1, -1, 1, -1]]
    np.testing.assert_array_equal(unpack_bits(packed, 10), signs)
    np.testing.assert_array_equal(Binary().apply(x), signs)
    assert pack_bits(Binary().apply(x)).tolist() == [[170, 128]]  # ±1 rows pack to the same bytes


def test_cosine_of_the_served_bits_is_affine_in_hamming_distance():
    rng = np.random.default_rng(2)
    dim = 20  # not a multiple of 8: the padding bits must not count
    queries, docs = rng.normal(size=(4, dim)), rng.normal(size=(30, dim))
    b = Binary()
    cosine = _unit(b.apply(queries)) @ _unit(b.apply(docs, "document")).T  # what LookupEncoder scores
    distances, ids = binary_index(pack_bits(docs)).search(pack_bits(queries), len(docs))
    hamming = np.empty_like(cosine)
    np.put_along_axis(hamming, ids, distances, axis=1)
    np.testing.assert_allclose(cosine, 1 - 2 * hamming / dim, atol=1e-6)


def test_hamming_search_returns_the_brute_force_top_k():
    rng = np.random.default_rng(3)
    docs, queries, k = rng.normal(size=(300, 64)), rng.normal(size=(8, 64)), 10
    bits_d, bits_q = unpack_bits(pack_bits(docs), 64), unpack_bits(pack_bits(queries), 64)
    brute = (bits_q[:, None, :] != bits_d[None, :, :]).sum(axis=2)
    distances, ids = binary_index(pack_bits(docs)).search(pack_bits(queries), k)
    np.testing.assert_array_equal(distances, np.sort(brute, axis=1)[:, :k])  # the k smallest distances
    np.testing.assert_array_equal(np.take_along_axis(brute, ids, axis=1), distances)  # held by those ids
    assert all(len(set(row)) == k for row in ids.tolist())


def _corpus(seed=4, n=60, dim=16):
    rng = np.random.default_rng(seed)
    return (_unit(rng.normal(size=(7, dim))).astype(np.float32), _unit(rng.normal(size=(n, dim))).astype(np.float32),
            _unit(rng.normal(size=(100, dim))).astype(np.float32))


def test_rescoring_with_a_large_multiplier_equals_exact_float_search():
    queries, docs, calibration = _corpus()
    exact_scores, exact_ids = flat_ip_index(docs).search(queries, 5)
    int8 = Int8().fit(calibration, source="calibration")
    for index in (flat_ip_index(int8.apply(docs, "document")), binary_index(pack_bits(docs))):
        hits = rescore_search(queries, docs, index, k=5, multiplier=len(docs))
        np.testing.assert_array_equal(hits.ids, exact_ids)
        np.testing.assert_allclose(hits.scores, exact_scores, rtol=1e-5)


def test_rescoring_never_returns_fewer_than_k():
    queries, docs, _ = _corpus(n=40, dim=8)  # 8 bits: many documents tie on Hamming distance
    index = binary_index(pack_bits(docs))
    for multiplier in (1, 2, 3, 100):
        ids, scores = rescore_search(queries, docs, index, k=15, multiplier=multiplier)
        assert ids.shape == scores.shape == (7, 15) and (ids >= 0).all()
        assert all(len(set(row)) == 15 for row in ids.tolist())
        np.testing.assert_allclose(scores, np.einsum("qd,qkd->qk", queries, docs[ids]), rtol=1e-5)
        assert (np.diff(scores, axis=1) <= 0).all()  # best first
    one = rescore_search(queries[0], docs, index, k=40, multiplier=1)  # a single query, k = corpus size
    assert one.ids.shape == (1, 40) and sorted(one.ids[0].tolist()) == list(range(40))
    assert rescore_search(queries, docs[:3], binary_index(pack_bits(docs[:3])), k=5).ids.shape == (7, 3)
    with pytest.raises(EmbedlabError, match="do not match"):
        rescore_search(queries, docs[:10], index, k=5)


def test_rescoring_reranks_the_candidates_by_float_score():
    queries, docs, _ = _corpus(seed=5, n=200, dim=32)
    index = binary_index(pack_bits(docs))
    _, candidates = index.search(pack_bits(queries), 20)
    hits = rescore_search(queries, docs, index, k=5, multiplier=4)
    for q, cand, got in zip(queries, candidates, hits.ids):
        best = cand[np.argsort(-(docs[cand] @ q), kind="stable")[:5]]
        assert set(got.tolist()) <= set(cand.tolist()) and got.tolist() == best.tolist()


def test_unknown_precision_is_a_one_line_error_listing_the_known_ones():
    assert check_precisions(["binary", "int8"]) == [Binary, Int8]
    with pytest.raises(EmbedlabError) as err:
        check_precisions(["int8", "int4"])
    message = str(err.value)
    assert "\n" not in message and "unknown precision 'int4'" in message
    assert "float32, float16, int8, uint8, binary" in message
    with pytest.raises(EmbedlabError, match="unknown values 'raw'"):
        Int8(values="raw")


def test_bytes_per_vector_and_labels_per_precision():
    sizes = {name: cls().bytes_per_vector(384) for name, cls in VECTOR_PRECISIONS.items()}
    assert sizes == {"float32": 1536, "float16": 768, "int8": 384, "uint8": 384, "binary": 48}
    assert Binary().bytes_per_vector(20) == 3
    assert all(cls().labels()["precision"] == name for name, cls in VECTOR_PRECISIONS.items())
