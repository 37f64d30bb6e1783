"""Brute-force top-k search timed with faiss, for the two query patterns that tell different stories:

- **one query at a time** (serving): ``index.search`` on a (1, d) array, per query;
- **a batch of queries** (offline evaluation): one ``index.search`` on a (n, d) array, which faiss runs
  as a matrix product, per query.

``time_search`` builds nothing itself: pass a filled faiss index and queries of the matching kind
(float32 rows for ``IndexFlatIP``, packed uint8 rows for ``IndexBinaryFlat``). Each pattern is timed
``repeats`` times after one warm-up pass; the record holds the median and the range, in
milliseconds per query, and faiss's thread count.

``time_searches`` times several indexes **interleaved**: after one warm-up pass of each, every round
times every index once (both patterns) in a seeded order shuffled per round, so a slow stretch of a
shared machine falls on all of them; a speed-up against a reference index is computed per round (same
round pairs) and reported as the median with the min and max over rounds (measured here: the same
float32 search took 3.55 ms in one run and 4.88 ms in another while binary stayed at 0.22 ms, so
ratios of passes timed minutes apart read 16x or 22x).
"""

from __future__ import annotations

import time

import numpy as np

from ..errors import EmbedlabError


def faiss_module():
    """``faiss``, or a one-line error naming the package to install."""
    try:
        import faiss
    except ImportError:
        raise EmbedlabError("faiss is not installed", "run `make install` (it installs faiss-cpu)") from None
    return faiss


def flat_ip_index(vectors) -> object:
    """A faiss ``IndexFlatIP`` holding ``vectors`` (float32, one row per document)."""
    faiss = faiss_module()
    x = np.ascontiguousarray(vectors, dtype=np.float32)
    index = faiss.IndexFlatIP(x.shape[1])
    index.add(x)
    return index


def time_search(index, queries, *, k: int = 10, n_single: int = 200, batch: int = 1000,
                repeats: int = 5) -> dict:
    """Milliseconds per query for one query at a time (the first ``n_single`` queries, each searched
    alone) and for one batch of the first ``batch`` queries; median and range over ``repeats`` timed
    passes after one warm-up pass: ``time_searches`` with one index."""
    return time_searches({"index": (index, queries)}, k=k, n_single=n_single, batch=batch, rounds=repeats)["index"]


def time_searches(cases: dict, *, k: int = 10, n_single: int = 200, batch: int = 1000, rounds: int = 5,
                  seed: int = 0, reference: str | None = None) -> dict[str, dict]:
    """``{name: timing}`` for ``cases`` = ``{name: (index, queries)}``, timed interleaved (module
    docstring). Each timing has ``time_search``'s keys (median, min and max over ``rounds``, with
    ``repeats`` = ``rounds``), the per-round ms under ``single_ms_by_round`` / ``batch_ms_by_round``, and,
    with a ``reference`` name, ``single_speedup`` / ``batch_speedup`` (reference ms over this ms, per
    round) with ``_min`` / ``_max``."""
    from ..throughput import paired_ratio, round_orders, spread

    faiss = faiss_module()
    need = max(n_single, batch)
    for name, (index, queries) in cases.items():
        if len(queries) < need:
            raise EmbedlabError(f"search timing needs {need} queries, got {len(queries)}",
                                "lower search.batch / search.single_queries or use a larger corpus")
    if reference is not None and reference not in cases:
        raise EmbedlabError(f"search timing's reference '{reference}' is not among {sorted(cases)}",
                            "keep the reference precision in the list")
    prepared = {name: (index, np.ascontiguousarray(q)) for name, (index, q) in cases.items()}

    def one_pass(name: str) -> tuple[float, float]:
        index, q = prepared[name]
        start = time.perf_counter()
        for i in range(n_single):
            index.search(q[i : i + 1], k)
        one = (time.perf_counter() - start) / n_single * 1e3
        start = time.perf_counter()
        index.search(q[:batch], k)
        return one, (time.perf_counter() - start) / batch * 1e3

    for name in prepared:  # warm-up: caches and thread pools
        one_pass(name)
    ms = {name: {"single": [0.0] * rounds, "batch": [0.0] * rounds} for name in prepared}
    for r, order in enumerate(round_orders(list(prepared), rounds, seed)):
        for name in order:
            ms[name]["single"][r], ms[name]["batch"][r] = one_pass(name)
    out = {}
    for name, (index, _) in prepared.items():
        timing = {"n_corpus": int(index.ntotal), "k": k, "n_single": n_single, "batch": batch, "repeats": rounds,
                  "rounds": rounds, "threads": int(faiss.omp_get_max_threads())}
        for pattern in ("single", "batch"):
            median = spread(ms[name][pattern])
            timing |= {f"{pattern}_ms_per_query": median["value"], f"{pattern}_ms_min": median["min"],
                       f"{pattern}_ms_max": median["max"], f"{pattern}_ms_by_round": ms[name][pattern]}
            if reference is not None:
                ratio = paired_ratio(ms[name][pattern], ms[reference][pattern])
                timing |= {f"{pattern}_speedup": ratio["value"], f"{pattern}_speedup_min": ratio["min"],
                           f"{pattern}_speedup_max": ratio["max"]}
        out[name] = timing
    return out


def ndcg_at_k(ranked: np.ndarray, query_ids: list[str], doc_ids: list[str], qrels: dict, k: int = 10) -> np.ndarray:
    """Per-query nDCG@k of ranked document rows (one row per query, best first), with pytrec_eval, the
    library mteb computes it with. Only the order counts (pytrec_eval is given scores falling with the
    rank, so ties in an index's distances keep the index's order); queries without qrels are dropped."""
    import pytrec_eval

    truth = {str(q): {str(d): int(r) for d, r in docs.items()} for q, docs in qrels.items()}
    run = {}
    for qid, row in zip(query_ids, np.asarray(ranked)):
        if str(qid) in truth:
            top = [int(j) for j in row[:k] if j >= 0]
            run[str(qid)] = {str(doc_ids[j]): float(k - r) for r, j in enumerate(top)}
    measure = f"ndcg_cut.{k}"
    scores = pytrec_eval.RelevanceEvaluator(truth, {measure}).evaluate(run)
    return np.asarray([scores[q][f"ndcg_cut_{k}"] for q in run], dtype=float)


def held_out_queries(n_texts: int, settings: dict, what: str) -> tuple[np.ndarray, np.ndarray]:
    """``(query rows, corpus rows)`` for timing search on a model's stored vectors: ``batch`` (default
    1,000) seeded rows (``seed``) as queries, the rest as the corpus, which must hold at least
    ``min_corpus`` (default 20,000) rows; a store that small is a one-line error naming ``what``."""
    n_queries, min_corpus = int(settings.get("batch", 1000)), int(settings.get("min_corpus", 20000))
    if n_texts < n_queries + min_corpus:
        raise EmbedlabError(f"the store holds {n_texts} texts for {what}; search timing needs {n_queries + min_corpus}",
                            "pick a model with more stored texts")
    order = np.random.default_rng(int(settings.get("seed", 0))).permutation(n_texts)
    return order[:n_queries], order[n_queries:]
