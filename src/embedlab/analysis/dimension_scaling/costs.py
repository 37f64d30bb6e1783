"""Experiment 02's costs: bytes per vector and faiss brute-force search time against dimension, timed
with ``search.threads`` faiss threads (default 1, as experiment 03: on a shared machine one thread per
search is the stable measure), as result records so ``dvc metrics diff`` sees them; the sentence the
interpretation quotes is written from those records."""

from __future__ import annotations

import pandas as pd

from ...vectors.reduction import Truncation


def search_costs(exp, p: dict) -> pd.DataFrame:
    """Brute-force top-k search time per query against dimension on every distinct text the store holds
    for ``search.model`` (truncated to each dimension, unit-normalised; search time depends on the
    dimension only, not on how the vectors were reduced): ``IndexFlatIP``, one query at a time and a
    batch, every dimension timed interleaved over ``repeats`` rounds (``vectors.search.time_searches``),
    time over the native dimension's per round (median, min, max), with ``search.threads`` faiss threads."""
    from ...paths import embeddings_dir
    from ...vectors.search import faiss_module, flat_ip_index, held_out_queries, time_searches
    from ...store import stored_corpus

    faiss = faiss_module()
    s = p["search"]
    model = s["model"]
    texts, vectors = stored_corpus(embeddings_dir(), model)
    query_rows, corpus_rows = held_out_queries(len(texts), s, model)
    queries, corpus, n_queries = vectors[query_rows], vectors[corpus_rows], len(query_rows)
    native = p["native"][model]
    dims = sorted(p["dims"][model] + [native])
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(int(s.get("threads") or 1))
    try:
        cases = {dim: (flat_ip_index(Truncation(dim).apply(corpus, "document")), Truncation(dim).apply(queries, "query"))
                 for dim in dims}
        timings = time_searches(cases, k=int(s.get("k", 10)), n_single=int(s.get("single_queries", 200)),
                                batch=n_queries, rounds=int(s.get("repeats", 5)), seed=int(s.get("seed", 0)),
                                reference=native)
    finally:
        faiss.omp_set_num_threads(before)
    rows = []
    for dim in dims:
        t = timings[dim]
        rows.append({"dim": dim, "bytes per vector": 4 * dim, "index MB": 4 * dim * len(corpus) / 1e6,
                     **{k: v for k, v in t.items() if not k.endswith("by_round") and "speedup" not in k},
                     # this dimension's time over the native one's, per round: the per-round speed-up inverted
                     **{f"{pattern} ratio to native{end}": 1 / t[f"{pattern}_speedup{key}"]
                        for pattern in ("single", "batch") for key, end in (("", ""), ("_min", " max"), ("_max", " min"))}})
    return pd.DataFrame(rows).assign(model=model, native_dim=native)


def search_records(costs: pd.DataFrame) -> pd.DataFrame:
    """The search table as flat result records (``task_type`` "cost", ``main`` False): per dimension
    ``bytes_per_vector``, ``search_ms_single`` / ``search_ms_batch`` (median, with ``ms_min`` /
    ``ms_max`` over repeats) and their ratios to the native dimension, each with model, dim, threads."""
    rows = []
    for _, c in costs.iterrows():
        base = {"model": c["model"], "task": f"search ({int(c['n_corpus']):,} stored vectors)", "task_type": "cost",
                "language": None, "main": False, "method": "truncation", "dim": int(c["dim"]),
                "native_dim": int(c["native_dim"]), "threads": int(c["threads"]), "repeats": int(c["repeats"]),
                "n_corpus": int(c["n_corpus"]), "k": int(c["k"])}
        rows.append({**base, "metric": "bytes_per_vector", "value": float(c["bytes per vector"])})
        for pattern in ("single", "batch"):
            rows.append({**base, "metric": f"search_ms_{pattern}", "value": float(c[f"{pattern}_ms_per_query"]),
                         "ms_min": float(c[f"{pattern}_ms_min"]), "ms_max": float(c[f"{pattern}_ms_max"]),
                         "queries": int(c["n_single"] if pattern == "single" else c["batch"])})
            rows.append({**base, "metric": f"search_ratio_{pattern}_to_native", "value": float(c[f"{pattern} ratio to native"]),
                         "min": float(c[f"{pattern} ratio to native min"]), "max": float(c[f"{pattern} ratio to native max"]),
                         "rounds": int(c["repeats"])})
    return pd.DataFrame(rows)


def _at(records: pd.DataFrame, metric: str, dim: int) -> float:
    return float(records[(records["metric"] == metric) & (records["dim"] == dim)]["value"].iloc[0])


def _ratio(records: pd.DataFrame, pattern: str, dim: int) -> str:
    """The time ratio to native at ``dim`` with its per-round range, no more digits than it supports."""
    from ...throughput import format_ratio

    r = records[(records["metric"] == f"search_ratio_{pattern}_to_native") & (records["dim"] == dim)].iloc[0]
    return format_ratio(float(r["value"]), r.get("min"), r.get("max"), most=3)


def cost_sentence(records: pd.DataFrame) -> str:
    """The cost finding at the smallest timed dimension, every number read from ``search_records``."""
    if records.empty:
        return ""
    r = records.sort_values("dim").iloc[0]
    lo, native, threads = int(r["dim"]), int(r["native_dim"]), int(r["threads"])
    share = _at(records, "bytes_per_vector", lo) / _at(records, "bytes_per_vector", native)
    return (f"**Cost** ({int(r['n_corpus']):,} stored vectors, faiss IndexFlatIP, {threads} thread"
            f"{'s' if threads > 1 else ''}, median of {int(r['repeats'])} interleaved rounds): at {lo} dims a vector takes "
            f"{int(_at(records, 'bytes_per_vector', lo))} bytes ({share:.1%} of native); one query at a time costs "
            f"{_ratio(records, 'single', lo)} the native time, a batched query {_ratio(records, 'batch', lo)}.")


def search_title(records: pd.DataFrame) -> str:
    """The search figure's title from the records."""
    r = records.sort_values("dim").iloc[0]
    lo = int(r["dim"])
    return (f"{lo} dims: {_ratio(records, 'single', lo)} the native time one query at a time, "
            f"{_ratio(records, 'batch', lo)} batched ({int(r['n_corpus']):,} vectors, "
            f"{int(r['threads'])} faiss thread{'s' if int(r['threads']) > 1 else ''})")
