"""faiss search timing and the store's corpus of distinct texts, on tiny inputs."""

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.vectors.search import flat_ip_index, time_search
from embedlab.store import save_embeddings, stored_corpus


def test_flat_index_finds_the_exact_neighbours_and_timing_reports_both_patterns():
    rng = np.random.default_rng(0)
    docs = rng.normal(size=(500, 16)).astype(np.float32)
    index = flat_ip_index(docs)
    _, found = index.search(docs[:3], 1)
    assert found[:, 0].tolist() == np.argmax(docs[:3] @ docs.T, axis=1).tolist()
    out = time_search(index, docs[:50], k=5, n_single=10, batch=50, repeats=2)
    assert out["n_corpus"] == 500 and out["k"] == 5 and out["repeats"] == 2 and out["threads"] >= 1
    with pytest.raises(EmbedlabError, match="needs 100 queries, got 50"):
        time_search(index, docs[:50], n_single=10, batch=100)


def test_time_search_drops_the_warm_up_pass_and_reports_median_and_range(monkeypatch):
    import types

    import embedlab.vectors.search as search

    clock = {"t": 0.0}
    monkeypatch.setattr(search, "time", types.SimpleNamespace(perf_counter=lambda: clock["t"]))
    # seconds per call, per pass: a slow warm-up, then three timed passes (2 single queries, 1 batch of 4)
    passes = [(1.0, 1.0), (0.002, 0.008), (0.004, 0.004), (0.003, 0.012)]
    calls = iter(cost for single, batch in passes for cost in (single, single, batch))

    class Index:
        ntotal = 9

        def search(self, q, k):
            clock["t"] += next(calls)

    out = time_search(Index(), np.zeros((4, 2), dtype=np.float32), k=3, n_single=2, batch=4, repeats=3)
    assert (out["single_ms_per_query"], out["single_ms_min"], out["single_ms_max"]) == pytest.approx((3.0, 2.0, 4.0))
    assert (out["batch_ms_per_query"], out["batch_ms_min"], out["batch_ms_max"]) == pytest.approx((2.0, 1.0, 3.0))
    assert out["n_corpus"] == 9 and out["repeats"] == 3


def test_stored_corpus_holds_each_text_once(tmp_path):
    meta = {"task_checksum": "c", "model_fingerprint": "f"}
    save_embeddings(tmp_path, "m", "A", "query", ["x", "y"], np.array([[1.0, 0], [0, 1.0]]), meta)
    save_embeddings(tmp_path, "m", "B", "query", ["y", "z"], np.array([[0, 1.0], [1.0, 1.0]]), meta)
    texts, vectors = stored_corpus(tmp_path, "m")
    assert texts == ["x", "y", "z"] and vectors.shape == (3, 2)
    np.testing.assert_array_equal(vectors[2], [1.0, 1.0])
    with pytest.raises(EmbedlabError, match="holds no embeddings for model other"):
        stored_corpus(tmp_path, "other")


def test_held_out_queries_split_a_store_and_refuse_a_small_one():
    from embedlab.errors import EmbedlabError
    from embedlab.vectors.search import held_out_queries

    queries, corpus = held_out_queries(30, {"batch": 10, "min_corpus": 20, "seed": 1}, "m")
    assert len(queries) == 10 and len(corpus) == 20 and sorted([*queries, *corpus]) == list(range(30))
    again, _ = held_out_queries(30, {"batch": 10, "min_corpus": 20, "seed": 1}, "m")
    assert list(again) == list(queries)  # seeded
    with pytest.raises(EmbedlabError, match="holds 29 texts for m; search timing needs 30"):
        held_out_queries(29, {"batch": 10, "min_corpus": 20}, "m")


def test_time_searches_interleaves_the_indexes_and_pairs_ratios_by_round(monkeypatch):
    """Each round times every index once in a shuffled order; a speed-up is the reference's time over the
    index's in the same round, so a slow round (every index 3x slower) leaves the ratio unchanged."""
    import types

    import embedlab.vectors.search as search

    clock = {"t": 0.0}
    monkeypatch.setattr(search, "time", types.SimpleNamespace(perf_counter=lambda: clock["t"]))
    slow = {"round": 0}
    seen = []

    class Index:
        ntotal = 9

        def __init__(self, name, cost):
            self.name, self.cost = name, cost

        def search(self, q, k):
            seen.append(self.name)
            clock["t"] += self.cost * (3.0 if slow["round"] == 2 else 1.0)

    q = np.zeros((4, 2), dtype=np.float32)
    cases = {"float32": (Index("float32", 0.004), q), "binary": (Index("binary", 0.001), q)}
    calls = {"n": 0}
    original = Index.search

    def counting(self, q_, k):  # 3 calls per pass (2 single, 1 batch); passes: 2 warm-up, then 2 per round
        calls["n"] += 1
        slow["round"] = (calls["n"] - 1) // 6 - 1  # -1 for the warm-up, then rounds 0, 1, 2
        original(self, q_, k)

    monkeypatch.setattr(Index, "search", counting)
    out = search.time_searches(cases, k=3, n_single=2, batch=4, rounds=3, seed=1, reference="float32")
    assert out["binary"]["single_speedup"] == pytest.approx(4.0)
    assert (out["binary"]["single_speedup_min"], out["binary"]["single_speedup_max"]) == pytest.approx((4.0, 4.0))
    assert out["float32"]["single_speedup"] == pytest.approx(1.0) and out["binary"]["rounds"] == 3
    assert out["float32"]["single_ms_max"] == pytest.approx(3 * out["float32"]["single_ms_min"])  # the slow round
    rounds = [seen[6 + 6 * r: 12 + 6 * r: 3] for r in range(3)]  # first call of each pass, per round
    assert all(sorted(r) == ["binary", "float32"] for r in rounds) and len({tuple(r) for r in rounds}) == 2
    with pytest.raises(search.EmbedlabError, match="reference 'int4' is not among"):
        search.time_searches(cases, n_single=2, batch=4, rounds=1, reference="int4")
