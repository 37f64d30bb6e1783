"""Experiment 03: faiss search time at each precision over every distinct stored text of one model, in one run."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...vectors.transforms import unit_rows
from .plan import SEARCH_INDEXES, make_precision
from ...vectors.quantization import index_queries, precision_index
from .vectors import fitted_calibration


def search_costs(exp, p: dict) -> pd.DataFrame:
    """Top-k search time per query at each precision on every distinct text the store holds for
    ``search.model`` (unit rows; ``batch`` held-out stored vectors as queries): one query at a time and
    one batch, every precision timed interleaved over ``repeats`` rounds (``vectors.search.time_searches``),
    speed-ups against float32 per round (median, min, max), bytes, with ``search.threads`` faiss threads
    (on a shared machine one thread per search is the stable measure: OpenMP threads that wait on a
    descheduled sibling time the scheduler, not the index)."""
    from ...paths import embeddings_dir
    from ...vectors.search import faiss_module, held_out_queries, time_searches
    from ...store import stored_corpus

    faiss = faiss_module()
    s = p["search"]
    model = s["model"]
    texts, vectors = stored_corpus(embeddings_dir(), model)
    query_rows, corpus_rows = held_out_queries(len(texts), s, model)
    vectors = unit_rows(vectors, np.float32)
    queries, corpus, n_queries = vectors[query_rows], vectors[corpus_rows], len(query_rows)
    cal = unit_rows(fitted_calibration(exp, p, model)[0], np.float32)
    threads = faiss.omp_get_max_threads()
    if s.get("threads"):
        faiss.omp_set_num_threads(int(s["threads"]))
    try:
        indexes = {precision: precision_index(precision, corpus, cal) for precision in s["precisions"]}
        timings = time_searches({name: (index, index_queries(index, queries)) for name, index in indexes.items()},
                                k=int(s.get("k", 10)), n_single=int(s.get("single_queries", 200)), batch=n_queries,
                                rounds=int(s.get("repeats", 5)), seed=int(s.get("seed", 0)), reference="float32")
    finally:
        faiss.omp_set_num_threads(threads)
    rows = []
    for precision, index in indexes.items():
        serialized = faiss.serialize_index_binary(index) if precision == "binary" else faiss.serialize_index(index)
        t = timings[precision]
        rows.append({"model": model, "precision": precision, "index": SEARCH_INDEXES[precision], "dim": corpus.shape[1],
                     "bytes per vector": make_precision(precision).bytes_per_vector(corpus.shape[1]),
                     "index bytes": int(serialized.nbytes), **{k: v for k, v in t.items() if not k.endswith("by_round")},
                     **{f"{pattern} speed-up{end}": t[f"{pattern}_speedup{key}"] for pattern in ("single", "batch")
                        for key, end in (("", ""), ("_min", " min"), ("_max", " max"))}})
    frame = pd.DataFrame(rows)
    ref = frame[frame["precision"] == "float32"].iloc[0]
    frame["memory ratio"] = ref["index bytes"] / frame["index bytes"]
    return frame


def cost_records(results: pd.DataFrame, frontier: pd.DataFrame, costs: pd.DataFrame) -> pd.DataFrame:
    """Bytes per vector of every scored recipe and the search measurements as flat records, each with
    its unit in the metric name (``task_type`` ``cost``, ``main`` False)."""
    keys = ["model", "variant", "precision", "method", "dim", "native_dim"]
    both = pd.concat([results, frontier], ignore_index=True)
    storage = both.drop_duplicates(keys)[keys + ["bytes_per_vector"]].rename(columns={"bytes_per_vector": "value"})
    storage = storage.assign(task="storage", task_type="cost", language=None, metric="bytes_per_vector", main=False)
    rows = []
    for _, c in costs.iterrows():
        base = {"model": c["model"], "task": f"search ({int(c['n_corpus']):,} stored vectors)", "task_type": "cost",
                "language": None, "main": False, "precision": c["precision"], "index": c["index"], "dim": c["dim"],
                "n_corpus": c["n_corpus"], "threads": c["threads"], "repeats": c["repeats"]}
        rows.append({**base, "metric": "index_bytes", "value": c["index bytes"]})
        for pattern, label in (("single", "one query at a time"), ("batch", f"batch of {int(c['batch'])}")):
            rows.append({**base, "metric": "search_ms_per_query", "query_pattern": label,
                         "value": c[f"{pattern}_ms_per_query"], "ms_min": c[f"{pattern}_ms_min"],
                         "ms_max": c[f"{pattern}_ms_max"]})
            rows.append({**base, "metric": "search_speedup_vs_float32", "query_pattern": label,
                         "value": c[f"{pattern} speed-up"], "min": c[f"{pattern} speed-up min"],
                         "max": c[f"{pattern} speed-up max"], "rounds": c["repeats"]})
    return pd.concat([storage, pd.DataFrame(rows)], ignore_index=True)
