"""N/A instead of non-measurements: a model scored on text in a language it was not trained for.

A model's ``languages`` (params.yaml, ``ModelSpec.languages``) decide whether a task is in scope;
when it is not, the (model, task) gets records with value NaN and an ``na_reason`` stating the
measured evidence: the share of ``[UNK]`` tokens under the model's own tokenizer (token models whose
tokenizer transformers can load) and the share of texts whose stored vector is all zeros (every
model; static models give zero vectors for words they do not know).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache

import numpy as np

from .schema import METRICS, main_metric, result_records
from .tasks import texts_to_embed

# Loaders whose tokenizer is a transformers tokenizer at the model's (or options.tokenizer's) source.


def na_reason(spec, task: dict, encoder, cache_dir=None) -> str | None:
    """Why (model, task) is not a measurement, with measured evidence; None when the model covers
    the task's language (or declares no languages)."""
    language = task.get("language") or "en"
    if spec.covers(language):
        return None
    texts = [t for role_texts in texts_to_embed(task).values() for t in role_texts]
    who = "English-only model" if tuple(spec.languages) == ("en",) else f"model for {'/'.join(spec.languages)}"
    evidence = []
    unk = unk_share(spec, texts, cache_dir)
    if unk is not None:
        evidence.append(f"{unk:.0%} of tokens are [UNK]")
    zero = zero_vector_share(encoder, task)
    if unk is None or zero > 0:
        evidence.append(f"{zero:.0%} of texts get a zero vector")
    return f"{who} on {language} text: " + "; ".join(evidence)


def na_records(task: dict, model_id: str, reason: str) -> list[dict]:
    """The task type's records with value NaN and ``na_reason`` (tables and means skip them)."""
    values = {metric: float("nan") for metric in METRICS[task["type"]]}
    return [dict(r, na_reason=reason) for r in result_records(task, model_id, values, main_metric(task))]


def unk_share(spec, texts: list[str], cache_dir=None) -> float | None:
    """Share of the texts' tokens that the model's tokenizer maps to its unknown token (None: the
    model has no transformers tokenizer with an unknown token)."""
    from .encoders import loader_info

    if loader_info(spec.loader).tokenizer != "transformers":
        return None
    source = spec.options.get("tokenizer") or spec.source
    from .encoders import model_location

    where = model_location(dataclasses.replace(spec, source=source), cache_dir)
    tokenizer = _tokenizer(where)
    if tokenizer is None or tokenizer.unk_token_id is None:
        return None
    ids = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    total = sum(len(row) for row in ids)
    return sum(row.count(tokenizer.unk_token_id) for row in ids) / total if total else None


@lru_cache(maxsize=8)
def _tokenizer(where: str):
    try:
        from transformers import AutoTokenizer

        return AutoTokenizer.from_pretrained(where)
    except (OSError, ValueError):
        return None


def zero_vector_share(encoder, task: dict) -> float:
    """Share of the task's texts whose stored vector has zero norm (``encoder``: a LookupEncoder)."""
    rows = [encoder.lookup(texts, role) for role, texts in texts_to_embed(task).items()]
    vectors = np.concatenate(rows, axis=0)
    return float(np.mean(np.linalg.norm(vectors, axis=1) == 0)) if len(vectors) else 0.0
