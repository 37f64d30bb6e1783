"""Any monolingual MTEB task named in params, for online users: its record comes from mteb's task
registry (type, main score, dataset id and revision), its data from the Hugging Face hub through the
same ``datasets.load_dataset`` call as the standard suite, or from a local folder holding a copy of
that dataset (``data.dataset_folders``), which is how this path is tested offline."""

from __future__ import annotations

from ..errors import EmbedlabError, require_package
from ..schema import MAIN_METRICS, MTEB_TYPES
from .hub import beir_retrieval, load_split
from .spec import TaskSpec

#: embedlab's type of each mteb type it evaluates.
TYPES = {mteb_type: kind for kind, mteb_type in MTEB_TYPES.items()}
#: mteb's language codes -> the codes of embedlab's records.
ISO = {"eng": "en", "zho": "zh", "cmn": "zh"}


def mteb_task_spec(name: str) -> TaskSpec | None:
    """A TaskSpec built from mteb's metadata for ``name``, or None when mteb knows no such task."""
    mteb = require_package("mteb")
    try:
        meta = mteb.get_task(name).metadata
    except KeyError:
        return None
    kind = TYPES.get(meta.type)
    if kind is None:
        raise EmbedlabError(f"MTEB task '{name}' is a {meta.type} task, which embedlab does not evaluate",
                            f"use a task of type {', '.join(TYPES)}")
    if not isinstance(meta.eval_langs, list):
        raise EmbedlabError(f"MTEB task '{name}' has language subsets, which embedlab does not read yet",
                            "use a monolingual MTEB task, or add a loader to embedlab.tasks.standard")
    code = meta.eval_langs[0].split("-")[0]
    languages = sorted({ISO.get(lang.split("-")[0], lang.split("-")[0]) for lang in meta.eval_langs})
    main_scores = {MAIN_METRICS[k] for k in MTEB_TYPES}
    return TaskSpec(
        name=name, type=kind, language="-".join(languages) if len(languages) > 1 else ISO.get(code, code),
        source="hub", origin=(f"hf://datasets/{meta.dataset['path']}@{meta.dataset.get('revision')}",),
        main_score=meta.main_score if meta.main_score in main_scores else MAIN_METRICS[kind],
        splits=("train", "test") if kind == "classification" else ("test",), license=str(meta.license),
        hub_id=meta.dataset["path"], hub_revision=meta.dataset.get("revision"), mteb_name=name,
        note=f"named in params; record from mteb's registry, evaluated on its '{meta.eval_splits[0]}' split",
    )


def _column(ds, *names):
    for name in names:
        if name in ds.column_names:
            return list(ds[name])
    raise EmbedlabError(f"dataset has none of the columns {names} (it has {ds.column_names})",
                        "point data.dataset_folders at a copy with mteb's column names")


def _flatten(values):
    """mteb's older clustering / pair datasets pack a whole set into one row of lists."""
    return [x for v in values for x in v] if values and isinstance(values[0], list) else values


def load_generic(spec: TaskSpec, eval_split: str = "test") -> dict:
    """Full splits of an MTEB-format dataset, by task type (hub id or local folder in ``spec.hub_id``)."""
    if spec.type == "retrieval":
        return beir_retrieval(spec)  # BEIR layout: corpus / queries / default (qrels) configs
    if spec.type == "classification":
        out = {}
        for split, ours in (("train", "train"), (eval_split, "test")):
            ds = load_split(spec, split=split)
            out[ours] = {"text": _column(ds, "text", "sentence"),
                         "label": [str(x) for x in _column(ds, "label_text", "label")]}
        return out
    ds = load_split(spec, split=eval_split)
    if spec.type == "clustering":
        return {"test": {"text": _flatten(_column(ds, "sentences", "text")),
                         "label": [str(x) for x in _flatten(_column(ds, "labels", "label"))]}}
    s1, s2 = _flatten(_column(ds, "sentence1")), _flatten(_column(ds, "sentence2"))
    if spec.type == "sts":
        scores = _column(ds, "score", "similarity_score", "label")
        keep = [i for i, s in enumerate(scores) if s is not None]
        return {"test": {"sentence1": [s1[i] for i in keep], "sentence2": [s2[i] for i in keep],
                         "score": [float(scores[i]) for i in keep]}}
    if spec.type == "pair_classification":
        return {"test": {"sentence1": s1, "sentence2": s2,
                         "label": [int(x) for x in _flatten(_column(ds, "labels", "label"))]}}
    return {"test": {"sentence1": s1, "sentence2": s2}}  # bitext_mining
