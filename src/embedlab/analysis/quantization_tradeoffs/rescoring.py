"""Experiment 03: retrieval from a real faiss index over the quantized corpus, ``k * m`` candidates re-ranked by
the float32 query; nDCG@k from the task's qrels; agreement with mteb's own score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import EmbedlabError
from ...vectors.quantization import index_queries, precision_index, rescore_search
from ...vectors.search import ndcg_at_k
from ...vectors.transforms import unit_rows
from .plan import CENTRED, SEARCH_INDEXES, make_precision
from .vectors import fitted_calibration, main_rows


def retrieval_vectors(exp, model: str, task: str):
    """(query ids, unit query vectors, document ids, unit document vectors, qrels) of a retrieval task
    from the store: the indexes hold unit rows, so inner product is mteb's cosine."""
    prepared = exp.task(task)
    test = prepared["splits"]["test"]
    encoder = exp.encoder(model, prepared)
    qids, dids = list(test["queries"]), list(test["corpus"])
    queries = encoder.lookup([test["queries"][q] for q in qids], "query")
    documents = encoder.lookup([test["corpus"][d] for d in dids], "document")
    return qids, unit_rows(queries, np.float32), dids, unit_rows(documents, np.float32), test["qrels"]


def rescoring(exp, p: dict) -> pd.DataFrame:
    """nDCG@k per (model, task, precision, multiplier, rescored against): the index's own top k
    (``rescore_multiplier`` NaN) and ``k * m`` candidates re-ranked by the float32 query, with retention
    against exact float32 search computed the same way (``mteb_agreement`` compares that with mteb's) and
    its 95% interval: a paired bootstrap over queries (the same resampled queries for both searches).
    ``binary centred``: the sign bits of rows and queries minus the calibration rows' mean."""
    r = p["rescoring"]
    k, rows = r["k"], []
    boot = exp.bootstrap_settings
    for model in r.get("models", p["models"]):
        cal = unit_rows(fitted_calibration(exp, p, model)[0], np.float32)
        for task in r["tasks"]:
            qids, q, dids, docs, qrels = retrieval_vectors(exp, model, task)

            def add(precision, m, against, ranked, index):
                per_query = ndcg_at_k(ranked, qids, dids, qrels, k)
                rows.append({"model": model, "task": task, "precision": precision, "rescore_multiplier": m,
                             "rescore_against": against, "index": index, "value": float(per_query.mean()),
                             "n_queries": len(per_query), "n_corpus": len(dids),
                             "candidate_share": np.nan if m != m else min(1.0, k * m / len(dids)),
                             "_per_query": per_query})

            exact = precision_index("float32", docs).search(q, k)[1]
            add("float32", np.nan, None, exact, SEARCH_INDEXES["float32"])
            for precision in r["precisions"]:
                centred = precision.endswith(CENTRED)
                base = precision.split()[0]
                shift = cal.mean(axis=0) if centred else np.zeros(q.shape[1], dtype=np.float32)
                q_in, docs_in = (q - shift).astype(np.float32), (docs - shift).astype(np.float32)
                index = precision_index(base, docs_in, cal - shift)
                add(precision, np.nan, None, index.search(index_queries(index, q_in), k)[1], SEARCH_INDEXES[precision])
                for against in r["against"]:
                    if base == "int8" and against == "quantized":
                        continue  # the SQ8 index already scores the float32 query against its int8 rows
                    # the float32 query re-scores the float32 rows; the quantized rows are scored in their own
                    # (centred) space with the query mapped the same way
                    query, rows_for = (q, docs) if against == "float32" else (q_in, _served(base, docs_in))
                    for m in r["multipliers"]:
                        hits = rescore_search(query, rows_for, index, k=k, multiplier=m, index_queries=q_in)
                        add(precision, m, against, hits.ids, SEARCH_INDEXES[precision])
    frame = pd.DataFrame(rows)
    key = ["model", "task"]
    exact = frame[frame["precision"] == "float32"].set_index(key)
    ref = exact["value"].reindex(pd.MultiIndex.from_frame(frame[key])).to_numpy()
    frame["retention"] = frame["value"] / ref
    draws = {}  # per (model, task): the resampled query rows, and exact search's mean over each resample
    for pair, per_query in exact["_per_query"].items():
        idx = np.random.default_rng(boot["bootstrap_seed"]).integers(
            0, len(per_query), size=(boot["bootstrap_resamples"], len(per_query)))
        draws[pair] = idx, per_query[idx].mean(axis=1)
    low, high = [], []
    for _, row in frame.iterrows():
        idx, base = draws[row["model"], row["task"]]
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = row["_per_query"][idx].mean(axis=1) / base
        low.append(float(np.nanpercentile(ratio, 2.5)))
        high.append(float(np.nanpercentile(ratio, 97.5)))
    return frame.assign(retention_ci_low=low, retention_ci_high=high).drop(columns="_per_query")


def _served(precision: str, docs: np.ndarray) -> np.ndarray:
    """The rows a quantized index keeps, as float32 (binary: ±1 bits)."""
    return make_precision(precision).apply(docs, "document")


def rescoring_records(frame: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """The rescoring table as flat result records (``metric`` ndcg_at_<k>; ``main`` False: these are our
    own searches, not mteb's run)."""
    return frame.assign(task_type="retrieval", language="en", metric=f"ndcg_at_{k}", main=False, method="native")


def index_against_mteb(frame: pd.DataFrame, results: pd.DataFrame) -> pd.DataFrame:
    """Per model, task and precision: the quantized index's own top k (retention of nDCG@10) beside part A's
    retention of mteb's score for the same precision. The indexes hold unit rows quantized with ranges
    fitted on unit calibration rows; part A quantizes the stored rows as they are, which differs for a
    model whose vectors are not unit length."""
    own = frame[frame["rescore_multiplier"].isna() & (frame["precision"] != "float32")]
    a = main_rows(results)[["model", "task", "variant", "retention"]].rename(
        columns={"variant": "precision", "retention": "part A retention"})
    out = own[["model", "task", "precision", "retention"]].rename(columns={"retention": "index retention"})
    return out.merge(a, on=["model", "task", "precision"], how="left")


def mteb_agreement(frame: pd.DataFrame, results: pd.DataFrame, k: int = 10) -> float:
    """Largest |our exact float32 nDCG@k - mteb's| over models and rescored tasks also in ``results``
    (NaN where mteb's records hold no nDCG at this k)."""
    ours = frame[frame["precision"] == "float32"].set_index(["model", "task"])["value"]
    theirs = results[(results["variant"] == "float32") & (results["method"] == "native")
                     & (results["metric"] == f"ndcg_at_{k}")]
    theirs = theirs.set_index(["model", "task"])["value"]
    both = ours.index.intersection(theirs.index)
    return float(np.max(np.abs(ours[both] - theirs[both]))) if len(both) else float("nan")
