"""The embedding cache and its Zipf query streams, on hand-checked examples (no model)."""

import numpy as np
import pytest

from embedlab.cache import EmbeddingCache, serve, zipf_probabilities, zipf_stream
from embedlab.errors import EmbedlabError


def test_zipf_probabilities_follow_the_power_law():
    p = zipf_probabilities(3, 1.0)  # 1, 1/2, 1/3 normalised by 11/6
    np.testing.assert_allclose(p, [6 / 11, 3 / 11, 2 / 11])
    np.testing.assert_allclose(zipf_probabilities(4, 0.0), [0.25] * 4)  # skew 0: uniform


def test_zipf_stream_is_seeded_and_favours_the_head():
    pool = [f"q{i}" for i in range(50)]
    a, b = zipf_stream(pool, 2000, 1.2, seed=3), zipf_stream(pool, 2000, 1.2, seed=3)
    assert a == b and a != zipf_stream(pool, 2000, 1.2, seed=4)
    share = a.count("q0") / len(a)
    assert abs(share - zipf_probabilities(50, 1.2)[0]) < 0.03


def test_cache_counts_hits_by_hand_and_encodes_each_text_once():
    calls = []

    def encode_one(text):
        calls.append(text)
        return np.array([len(text)], dtype=np.float32)

    cache = EmbeddingCache(encode_one, "fp", maxsize=2)
    for text in ["a", "bb", "a", "ccc", "bb", "a"]:
        cache(text)
    # LRU of 2: a(miss) bb(miss) a(hit) ccc(miss, evicts bb) bb(miss, evicts a) a(miss, evicts ccc)
    assert cache.info()["hits"] == 1 and cache.info()["misses"] == 5 and calls == ["a", "bb", "ccc", "bb", "a"]
    np.testing.assert_array_equal(cache("bb"), [2])  # still cached: no call
    assert len(calls) == 5 and cache.info()["hits"] == 2


def test_cache_keys_include_the_model_fingerprint():
    a = EmbeddingCache(lambda t: np.zeros(1), "model-a")
    b = EmbeddingCache(lambda t: np.ones(1), "model-b")
    assert a("x")[0] == 0 and b("x")[0] == 1


def test_serve_counts_every_query():
    out = serve(lambda t: np.zeros(1), ["a"] * 7)
    assert out["queries"] == 7 and out["qps"] > 0


def test_a_negative_skew_is_a_one_line_error():
    with pytest.raises(EmbedlabError, match="skew >= 0"):
        zipf_probabilities(5, -1)
