"""The embedding cache, its Zipf query streams (warm-up, measured, unseen tail) and the hit rate a x5 claim
needs, on hand-checked examples (no model)."""

import numpy as np
import pandas as pd
import pytest

from embedlab.vectors.cache import EmbeddingCache, query_streams, serve, zipf_probabilities, zipf_stream
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


# -- warm / cold / unseen streams ---------------------------------------------------------------------

POOL = [f"q{i}" for i in range(40)]
UNSEEN = [f"new{i}" for i in range(300)]


def test_warm_up_and_measured_streams_share_the_distribution_but_not_the_draws():
    warm, measured = query_streams(POOL, UNSEEN, warmup=20000, length=20000, skew=1.1, seed=5)
    assert len(warm) == len(measured) == 20000 and warm != measured
    p = zipf_probabilities(len(POOL), 1.1)
    for stream in (warm, measured):
        shares = np.array([stream.count(q) for q in POOL]) / len(stream)
        assert np.abs(shares - p).max() < 0.01  # both follow the same Zipf law over the same pool
    assert set(warm) <= set(POOL) and set(measured) <= set(POOL)


def test_the_unseen_share_is_exact_distinct_outside_the_pool_and_seeded():
    warm, measured = query_streams(POOL, UNSEEN, warmup=100, length=250, skew=1.0, unseen_share=0.2, seed=1)
    tail = [q for q in measured if q not in POOL]
    assert len(tail) == 50 and len(set(tail)) == 50 and set(tail) <= set(UNSEEN)  # exactly 20%, each new once
    assert not set(warm) & set(UNSEEN)
    again = query_streams(POOL, UNSEEN, warmup=100, length=250, skew=1.0, unseen_share=0.2, seed=1)
    assert again == (warm, measured)
    assert query_streams(POOL, UNSEEN, warmup=100, length=250, skew=1.0, unseen_share=0.2, seed=2)[1] != measured
    # the share replaces queries, it does not change the pool part's draws
    _, plain = query_streams(POOL, UNSEEN, warmup=100, length=250, skew=1.0, unseen_share=0.0, seed=1)
    same = [a == b for a, b in zip(plain, measured) if b in POOL]
    assert all(same) and len(same) == 200


def test_unseen_texts_must_be_outside_the_pool_and_numerous_enough():
    with pytest.raises(EmbedlabError, match="in the pool"):
        query_streams(POOL, ["q3", "fresh"], warmup=0, length=10, skew=1.0, unseen_share=0.1)
    with pytest.raises(EmbedlabError, match="needs 6 distinct texts"):
        query_streams(POOL, UNSEEN[:5], warmup=0, length=20, skew=1.0, unseen_share=0.3)


def test_warming_leaves_the_state_serving_would_and_counts_only_later_queries():
    calls = []

    def encode_one(text):
        calls.append(text)
        return np.array([len(text)], dtype=np.float32)

    warm_up = ["a", "bb", "a", "ccc", "dddd"]
    served, warmed = EmbeddingCache(encode_one, "fp", maxsize=2), EmbeddingCache(encode_one, "fp", maxsize=2)
    for text in warm_up:
        served(text)
    calls.clear()
    warmed.warm(warm_up, {t: np.array([len(t)], dtype=np.float32) for t in set(warm_up)})
    assert calls == [] and warmed.info()["hits"] == 0 and warmed.info()["misses"] == 0  # no forward pass, reset counts
    for text in ["dddd", "ccc", "a"]:  # LRU of 2 after the warm-up: {ccc, dddd}
        warmed(text)
    assert warmed.info()["hits"] == 2 and warmed.info()["misses"] == 1 and calls == ["a"]
    assert warmed.info()["hit_rate"] == pytest.approx(2 / 3)


# -- the hit rate a x5 claim needs ------------------------------------------------------------------------

def _runs(hits, cost_of_hit=0.01, repeats=(0, 1)):
    """Speed-ups of an ideal cache: a miss costs 1, a hit ``cost_of_hit``."""
    rows = []
    for r in repeats:
        for i, h in enumerate(hits):
            rows.append({"repeat": r, "skew": 0.5 + 0.25 * i, "cache": "warm", "unseen share": 0.0, "stream": "warm",
                         "hit rate": h, "speed-up": 1 / ((1 - h) + h * cost_of_hit)})
    return pd.DataFrame(rows)


def test_hit_rate_needed_for_x5_solves_the_fitted_line():
    from embedlab.analysis.quantization_tradeoffs.caching import hit_rate_needed

    needed = hit_rate_needed(_runs([0.3, 0.5, 0.7, 0.9]))
    # 1/S = 1 - 0.99 h = 1/5  ->  h = 0.8 / 0.99
    assert needed["value"] == pytest.approx(0.8 / 0.99) and needed["min"] == needed["max"]
    assert needed["repeats"] == 2 and needed["runs"] == 8 and needed["no_overhead"] == pytest.approx(0.8)
    # a costlier hit needs a higher hit rate: 1 - 0.9 h = 0.2 -> h = 0.889
    assert hit_rate_needed(_runs([0.2, 0.6, 0.95], cost_of_hit=0.1))["value"] == pytest.approx(0.8 / 0.9)
    # no spread in hit rate: nothing to fit
    assert np.isnan(hit_rate_needed(_runs([0.5, 0.5]))["value"])


def test_skews_reaching_a_hit_rate_per_stream_kind():
    from embedlab.analysis.quantization_tradeoffs.caching import skews_reaching

    summary = pd.DataFrame({
        "skew": [1.0, 1.2, 1.5, 1.0, 1.2, 1.5, 1.0, 1.2, 1.5],
        "cache": ["cold"] * 3 + ["warm"] * 3 + ["warm"] * 3,
        "unseen share": [0.0] * 6 + [0.2] * 3,
        "hit rate": [0.60, 0.75, 0.86, 0.70, 0.83, 0.92, 0.55, 0.66, 0.74],
        "speed-up": [2.4, 3.9, 6.5, 3.2, 5.6, 10.0, 2.2, 2.9, 3.8]})
    reach = skews_reaching(summary, 0.81).set_index("stream")
    assert list(reach.index) == ["cold", "warm", "warm, 20% unseen"]
    assert reach.loc["cold", "skew reaching hit rate"] == 1.5 and reach.loc["warm", "skew reaching hit rate"] == 1.2
    assert reach.loc["warm", "skew reaching ×5"] == 1.2
    assert np.isnan(reach.loc["warm, 20% unseen", "skew reaching hit rate"])
    assert reach.loc["warm, 20% unseen", "hit rate ceiling"] == pytest.approx(0.8)


def test_cache_summary_and_records_carry_median_and_range_over_repeats():
    from embedlab.analysis.quantization_tradeoffs.caching import cache_records, cache_summary, hit_rate_needed

    runs = _runs([0.3, 0.6, 0.9], repeats=(0, 1, 2))
    runs.loc[runs["repeat"] == 1, "speed-up"] *= 1.2  # one faster repeat: the range must show it
    runs = runs.assign(model="m", task="t", pool=40, warmup=100, queries=250, maxsize=16,
                       **{"qps without cache": 10.0, "cpu ms/query without": 1.0, "cpu ms/query with": 0.5})
    runs["qps with cache"] = 10.0 * runs["speed-up"]
    summary = cache_summary(runs)
    assert len(summary) == 3 and (summary["repeats"] == 3).all()
    first = summary.iloc[0]
    ideal = 1 / (0.7 + 0.3 * 0.01)
    assert first["speed-up"] == pytest.approx(ideal) and first["speed-up max"] == pytest.approx(1.2 * ideal)
    records = cache_records(summary, hit_rate_needed(runs))
    ratio = records[(records["metric"] == "cache_qps_ratio") & (records["skew"] == 0.5)].iloc[0]
    assert ratio["value"] == pytest.approx(ideal) and ratio["max"] == pytest.approx(1.2 * ideal)
    assert ratio["cache"] == "warm" and ratio["unseen_share"] == 0.0 and ratio["hit_rate"] == pytest.approx(0.3)
    assert set(records["metric"]) == {"cache_hit_rate", "cache_qps_ratio", "cache_hit_rate_for_x5"}
