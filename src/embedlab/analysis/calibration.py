"""Vectors to fit a transform on, and the texts it must never see: a task's stored vectors, every text of
the evaluated tasks, their test texts, and a calibration task's vectors with the evaluated texts removed.
Shared by experiments 02, 03 and 04 (an inductive fit never sees a test row)."""

from __future__ import annotations

import numpy as np


def task_vectors(exp, model: str, task: str, roles=None) -> tuple[list[str], np.ndarray]:
    """Every text a task embeds (all roles, or those of ``roles``) and its stored vector."""
    from ..paths import embeddings_dir
    from ..store import load_embeddings

    stored = load_embeddings(embeddings_dir(), model, task, exp.task(task)["checksum"])
    texts, rows = [], []
    for role in sorted(stored):
        if roles is not None and role not in roles:
            continue
        role_texts, array = stored[role]
        texts += role_texts
        rows.append(array)
    return texts, np.concatenate(rows).astype(np.float32)


def evaluated_texts(exp, tasks: list[str]) -> set[str]:
    """Every text of the evaluated tasks, every split."""
    from ..tasks import texts_to_embed

    out = set()
    for t in tasks:
        for texts in texts_to_embed(exp.task(t)).values():
            out.update(texts)
    return out


def test_texts(exp, tasks: list[str]) -> set[str]:
    """Every text of the evaluated tasks' test splits (what a score is measured on; a classification
    task's train split is left in: it is that task's training data)."""
    from ..tasks import texts_to_embed

    out = set()
    for t in tasks:
        task = exp.task(t)
        for texts in texts_to_embed({**task, "splits": {"test": task["splits"]["test"]}}).values():
            out.update(texts)
    return out


def calibration_vectors(exp, model: str, calibration: str, exclude: set[str], roles=None) -> tuple[list[str], np.ndarray]:
    """The calibration task's texts and vectors (of ``roles``, default every role) with every text in
    ``exclude`` removed (the evaluated tasks' texts): an inductive fit never sees a test row."""
    texts, vectors = task_vectors(exp, model, calibration, roles)
    keep = [i for i, t in enumerate(texts) if t not in exclude]
    return [texts[i] for i in keep], vectors[keep]
