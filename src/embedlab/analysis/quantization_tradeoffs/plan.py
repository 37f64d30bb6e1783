"""Experiment 03's plan: every params error raised before any work; the variants, their transforms, bytes and tasks."""

from __future__ import annotations

from ...encoders import loader_info
from ...errors import EmbedlabError
from ...vectors.quantization import VECTOR_PRECISIONS, ScalarQuantization, check_precisions
from ...vectors.reduction import check_dims, check_methods
from ...vectors.transforms import Chain
from ..results import english_scored_tasks
from .caching import cache_settings


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


def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised (one line) before any work."""
    from ...schema import TASK_TYPES

    cfg, g = exp.group, exp.group_name
    registry = exp.params["models"]
    models = exp.check_models(cfg.get("models"), f"{g}.models")
    native = {m: int(registry[m]["dim"]) for m in models}
    precisions = _precision_list(cfg.get("precisions", list(VECTOR_PRECISIONS)), f"{g}.precisions")
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
            "weights": weights_plan(exp, cfg, g), "cache": cache_plan(exp, cfg, g),
            "int8_diagnosis": diagnosis_plan(exp, cfg, g, registry)}


def _check_stored(exp, model: str, tasks: list[str], where: str) -> None:
    """One line naming the first task whose stored embeddings for ``model`` are missing or for another
    version of the task."""
    import json

    from ...paths import embeddings_dir
    from ...store import meta_path

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
        scalar = issubclass(VECTOR_PRECISIONS[name], ScalarQuantization)
        out += [(name, v) for v in p["scalar_values"]] if scalar else [(name, None)]
    return out + [(name, CENTRED) for name in p.get("centred", [])]


def variant_name(precision: str, values: str | None) -> str:
    """``int8`` for dequantized values, ``int8 codes`` for the raw codes, ``binary centred`` for sign bits
    of centred rows, else the precision."""
    return f"{precision} {values}" if values in ("codes", CENTRED) else precision


def make_precision(precision: str, values: str | None = None):
    """A new (unfitted) precision transform; ``values`` picks int8 / uint8's dequantized values or codes,
    or ``centred``: the calibration mean subtracted first (``transforms.Centering``), then the precision."""
    from ...vectors.transforms import Centering

    cls = VECTOR_PRECISIONS[precision]
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


#: how a loader's shipped weights run, where the registry entry has no ``precision`` option
def weight_label(entry: dict) -> str:
    """How a registry entry's weights run: its ``precision`` option, or what its loader ships
    (``LoaderInfo.ships``; fp32 otherwise), plus pruning."""
    options = entry.get("options") or {}
    label = options.get("precision") or (loader_info(entry["loader"]).ships if entry.get("loader") else "") or "fp32"
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


def cache_plan(exp, cfg: dict, g: str) -> dict | None:
    c = cfg.get("cache")
    if not c:
        return None
    exp.check_models([c["model"]], f"{g}.cache")
    from .caching import cache_settings

    return cache_settings(c)


def diagnosis_plan(exp, cfg: dict, g: str, registry: dict) -> dict | None:
    """``int8_diagnosis: {model, task, texts}``: a transformers-loadable model (sentence_transformers or
    transformers loader) and a prepared task whose first ``texts`` sentences are run; None: skipped."""
    d = cfg.get("int8_diagnosis")
    if not d:
        return None
    spec = registry.get(d.get("model"))
    if spec is None or not spec.get("loader") or not loader_info(spec["loader"]).torch_module:
        raise EmbedlabError(f"{g}.int8_diagnosis.model '{d.get('model')}' is not a registry model whose loader runs a "
                            "Hugging Face torch model", "name one, e.g. all-mpnet-base-v2, or set it to null")
    task = exp.task(exp.tasks([d["task"]])[0])
    field = "sentence1" if "sentence1" in task["splits"]["test"] else "text"
    if field not in task["splits"]["test"]:
        raise EmbedlabError(f"{g}.int8_diagnosis.task '{d['task']}' has no sentences", "use an STS or classification task")
    return {**d, "sentences": task["splits"]["test"][field][: int(d.get("texts", 64))]}
