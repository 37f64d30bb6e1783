"""Models whose stored vectors coincide: two registry entries that are one model in fact (e.g. the
sentence-transformers MiniLM and the same weights mean-pooled through ``AutoModel``), found from the
embedding store, so that no ranking counts them as two models and no sentence names one of them alone.

Shared by experiments 01 and 04 (and read by the claims ledger through their metrics files).

- ``coincidence_records``: per pair of models of equal dimension and per task, ``max_abs_difference`` of
  their L2-normalised stored vectors (every role of the task); ``coincide`` where it is at most the tolerance.
- ``coinciding_groups``: the models that coincide on every task compared, as groups (best-known name first).
- ``display_names``: model -> the group's label, ``"a = b"``, for every member (others map to themselves).
"""

from __future__ import annotations

from itertools import combinations

import numpy as np
import pandas as pd

from ..intrinsic import max_abs_difference
from .results import display_names  # noqa: F401 (re-exported: 01 and 04 name groups through this module)

#: Largest |difference| of any component of two models' L2-normalised vectors for them to count as one model.
#: float32 pooling of the same weights by two libraries differs around 1e-7; storing the same model in float16
#: would differ around 1e-4, and different models by 1e-2 or more.
DEFAULT_TOLERANCE = 1e-5


def stored_vectors(exp, model: str, task: str) -> np.ndarray:
    """Every stored vector of (model, task): each role's texts (``tasks.texts_to_embed``) in order, stacked."""
    from ..tasks import texts_to_embed

    t = exp.task(task)
    encoder = exp.encoder(model, t)
    return np.concatenate([np.asarray(encoder.lookup(texts, role)) for role, texts in texts_to_embed(t).items()])


def coincidence_records(exp, models: list[str], tasks: list[str], tolerance: float) -> pd.DataFrame:
    """One record per (pair of models with the same vector width, task): metric ``max_abs_difference`` with
    ``model`` / ``other``, ``tolerance`` and ``coincide`` (difference <= tolerance)."""
    cache: dict = {}

    def vectors(model, task):
        if (model, task) not in cache:
            cache[model, task] = stored_vectors(exp, model, task)
        return cache[model, task]

    rows = []
    for task in tasks:
        cache.clear()  # one task's vectors in memory at a time
        t = exp.task(task)
        for a, b in combinations(models, 2):
            x, y = vectors(a, task), vectors(b, task)
            if x.shape != y.shape:
                continue
            d = max_abs_difference(x, y)
            rows.append({"model": a, "other": b, "task": task, "task_type": t["type"], "language": t["language"],
                         "metric": "max_abs_difference", "value": d, "main": False, "tolerance": float(tolerance),
                         "coincide": bool(d <= tolerance), "normalized": True, "section": "coincidence"})
    return pd.DataFrame(rows, columns=["model", "other", "task", "task_type", "language", "metric", "value", "main",
                                       "tolerance", "coincide", "normalized", "section"])


def coinciding_groups(records: pd.DataFrame, models: list[str]) -> list[dict]:
    """Groups of models that coincide on every task both were compared on (connected through such pairs),
    members in the order of ``models``: ``{"models", "label", "max_abs_difference", "tasks", "tolerance"}``."""
    if records.empty:
        return []
    per_pair = records.groupby(["model", "other"], sort=False).agg(
        value=("value", "max"), coincide=("coincide", "all"), tasks=("task", "nunique"), tolerance=("tolerance", "first"))
    parent = {m: m for m in models}

    def root(m):
        while parent[m] != m:
            m = parent[m]
        return m

    for (a, b), row in per_pair.iterrows():
        if row["coincide"] and a in parent and b in parent:
            parent[root(b)] = root(a)
    members: dict = {}
    for m in models:
        members.setdefault(root(m), []).append(m)
    groups = []
    for group in members.values():
        if len(group) < 2:
            continue
        inside = per_pair[[a in group and b in group for a, b in per_pair.index]]
        groups.append({"models": group, "label": " = ".join(group), "max_abs_difference": float(inside["value"].max()),
                       "tasks": int(inside["tasks"].max()), "tolerance": float(inside["tolerance"].iloc[0])})
    return groups


def once(models, names: dict[str, str]) -> list[tuple[str, str]]:
    """``(model, name)`` for each model of ``models`` in order, a coinciding group only at its first member
    and named by its label: a list that names each real model once."""
    out, seen = [], set()
    for m in models:
        label = names.get(m, m)
        if label not in seen:
            seen.add(label)
            out.append((m, label))
    return out


def coincidence_sentence(groups: list[dict]) -> str:
    """One sentence per group: which models produce the same vectors, and by how much they differ at most."""
    return " ".join(
        f"{' and '.join(f'`{m}`' for m in g['models'])} produce the same vectors (largest |difference| of any "
        f"component of the L2-normalised stored vectors {g['max_abs_difference']:.1e} over {g['tasks']} tasks, "
        f"tolerance {g['tolerance']:.0e}): they are one model." for g in groups)
