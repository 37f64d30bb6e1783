"""Seeded sampling: train/test splits for corpora without one, and sampling a task's full splits
down to the caps of ``data.sizes`` (same inputs and seed, same rows)."""

from __future__ import annotations

import random

from ..errors import EmbedlabError

#: Default caps (the shape of data.sizes in params.yaml); a None value means full size.
DEFAULT_SIZES = {
    "sts_pairs": 1500, "classification_train": 2000, "classification_test": 1000, "clustering_texts": 2000,
    "retrieval_queries": 300, "retrieval_corpus": 1500, "bitext_pairs": 1000, "pair_pairs": 1000,
    "robustness_pairs": 500,
}
#: Share of a corpus that becomes the test split when a task has no published split (stratified, seeded).
TEST_FRACTION = 0.25
#: The cap of each type whose rows are sampled at random (classification and clustering: stratified).
_RANDOM_CAPS = {"sts": "sts_pairs", "bitext_mining": "bitext_pairs", "robustness": "robustness_pairs"}


def seeded_rng(seed: int, *parts: str) -> random.Random:
    """A random generator for one purpose (``parts``, e.g. task name and split) under ``seed``."""
    # A string seed is hashed with sha512 by `random`: stable across runs and Python processes.
    return random.Random(":".join(["embedlab", str(seed), *parts]))


def seeded_split(texts: list[str], labels: list, seed: int, name: str) -> dict:
    """Stratified train/test split (TEST_FRACTION of each label to test), deterministic in ``seed``."""
    by_label: dict = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    rng = seeded_rng(seed, name, "split")
    test = []
    for lab in sorted(by_label, key=str):
        idx = by_label[lab][:]
        rng.shuffle(idx)
        test += idx[: round(len(idx) * TEST_FRACTION)]
    test_set = set(test)
    train = [i for i in range(len(texts)) if i not in test_set]
    test = sorted(test)
    return {"train": {"text": [texts[i] for i in train], "label": [labels[i] for i in train]},
            "test": {"text": [texts[i] for i in test], "label": [labels[i] for i in test]}}


def validate_sizes(sizes: dict | None) -> dict:
    """Caps for every key of DEFAULT_SIZES (None, a missing key or a None value = full size)."""
    if sizes is None:
        return dict.fromkeys(DEFAULT_SIZES)
    unknown = sorted(set(sizes) - set(DEFAULT_SIZES))
    if unknown:
        raise EmbedlabError(f"unknown size key(s) {unknown}; known: {sorted(DEFAULT_SIZES)}",
                            "fix data.sizes in params.yaml")
    for key, value in sizes.items():
        if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 1):
            raise EmbedlabError(f"size {key}={value!r} must be a positive integer or null",
                                "fix data.sizes in params.yaml")
    return {key: sizes.get(key) for key in DEFAULT_SIZES}


def random_rows(n: int, cap: int | None, rng: random.Random) -> list[int]:
    """``cap`` of ``n`` rows at random, in original order (all of them when ``cap`` is None or ≥ n)."""
    if cap is None or cap >= n:
        return list(range(n))
    return sorted(rng.sample(range(n), cap))


def stratified_rows(labels: list, cap: int | None, rng: random.Random) -> list[int]:
    """``cap`` rows with each label's share kept (largest remainders), rows in original order."""
    n = len(labels)
    if cap is None or cap >= n:
        return list(range(n))
    by_label: dict = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    order = sorted(by_label, key=str)
    quota = {lab: cap * len(by_label[lab]) / n for lab in order}
    take = {lab: int(quota[lab]) for lab in order}
    for lab in sorted(order, key=lambda lab: -(quota[lab] - take[lab]))[: cap - sum(take.values())]:
        take[lab] += 1
    rows = []
    for lab in order:
        rows += rng.sample(by_label[lab], take[lab])
    return sorted(rows)


def sample_retrieval(split: dict, max_queries: int | None, max_corpus: int | None, rng: random.Random) -> dict:
    """Keep queries in a seeded order while their relevant docs fit in ``max_corpus`` (at least one query),
    every relevant doc of the kept queries, and random distractors up to ``max_corpus`` docs."""
    qids = list(split["queries"])
    order = qids[:]
    rng.shuffle(order)
    kept, relevant = [], set()
    for q in order:
        if max_queries is not None and len(kept) >= max_queries:
            break
        docs = set(split["qrels"][q]) - relevant
        if kept and max_corpus is not None and len(relevant) + len(docs) > max_corpus:
            continue
        kept.append(q)
        relevant |= docs
    doc_ids = list(split["corpus"])
    others = [d for d in doc_ids if d not in relevant]
    n_extra = len(others) if max_corpus is None else max(0, min(len(others), max_corpus - len(relevant)))
    chosen = relevant | set(rng.sample(others, n_extra))
    kept_set = set(kept)
    return {"queries": {q: t for q, t in split["queries"].items() if q in kept_set},
            "corpus": {d: split["corpus"][d] for d in doc_ids if d in chosen},
            "qrels": {q: rel for q, rel in split["qrels"].items() if q in kept_set}}


def sample_task(name: str, task_type: str, splits: dict, sizes: dict, seed: int) -> dict:
    """The full ``splits`` of task ``name`` sampled down to ``sizes`` (validated caps), seeded per split."""
    if task_type == "retrieval":
        rng = seeded_rng(seed, name, "test")
        return {"test": sample_retrieval(splits["test"], sizes["retrieval_queries"], sizes["retrieval_corpus"], rng)}
    out = {}
    for split, cols in splits.items():
        rng = seeded_rng(seed, name, split)
        n = len(next(iter(cols.values())))
        if task_type == "classification":
            rows = stratified_rows(cols["label"], sizes[f"classification_{split}"], rng)
        elif task_type == "clustering":
            rows = stratified_rows(cols["label"], sizes["clustering_texts"], rng)
        elif task_type == "pair_classification":
            rows = stratified_rows(cols["label"], sizes["pair_pairs"], rng)
        else:
            rows = random_rows(n, sizes[_RANDOM_CAPS[task_type]], rng)
        out[split] = {k: [v[i] for i in rows] for k, v in cols.items()}
    return out


def counts(task_type: str, splits: dict) -> dict:
    """Rows per split (retrieval: queries, corpus documents and relevant pairs)."""
    if task_type == "retrieval":
        s = splits["test"]
        return {"queries": len(s["queries"]), "corpus": len(s["corpus"]),
                "relevant_pairs": sum(len(v) for v in s["qrels"].values())}
    return {name: len(next(iter(cols.values()))) for name, cols in splits.items()}
