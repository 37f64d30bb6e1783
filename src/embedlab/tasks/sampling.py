"""Seeded sampling: train/test splits for corpora without one, and sampling a task's full splits
down to the caps of ``data.sizes`` (same inputs and seed, same rows).

Classification keeps mteb's protocol: mteb 2.26 (``AbsTaskClassification._undersample_data``) draws
``samples_per_label`` (8) rows per label from train in each of ``n_experiments`` (10) experiments, so
the train split is sampled per label (``classification_train_per_label``, default 8 x 10 = 80), never
to a total that would leave a many-label task with fewer than 8 rows of a label. Retrieval keeps every
relevant document of a kept query and, when the corpus is cut, hard negatives at a fixed ratio
(``negatives.py``)."""

from __future__ import annotations

import random

from ..errors import EmbedlabError
from ..params import REPLACED_SIZE_KEYS, SIZE_KEYS
from .negatives import tfidf_neighbours

#: Default caps (the shape of data.sizes in params.yaml); a None value means full size.
DEFAULT_SIZES = {
    "sts_pairs": 1500, "classification_train_per_label": 80, "classification_test": 1000,
    "clustering_texts": 2000, "retrieval_queries": 300, "retrieval_corpus": 1500,
    "retrieval_negatives_per_query": 20, "bitext_pairs": 1000, "pair_pairs": 1000, "robustness_pairs": 500,
    "polysemy_lemmas": 300,
}
assert tuple(DEFAULT_SIZES) == SIZE_KEYS  # one list of keys: params.SIZE_KEYS
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
    for old, new in REPLACED_SIZE_KEYS.items():
        if old in sizes:
            raise EmbedlabError(f"size key '{old}' was replaced by '{new[0]}' ({new[1]})",
                                f"rename it to {new[0]} in data.sizes")
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


def group_rows(groups: list, cap: int | None, rng: random.Random) -> list[int]:
    """Every row of ``cap`` distinct groups drawn at random (all rows when ``cap`` is None or covers
    them), in original order."""
    distinct = list(dict.fromkeys(groups))
    if cap is None or cap >= len(distinct):
        return list(range(len(groups)))
    kept = set(rng.sample(distinct, cap))
    return [i for i, g in enumerate(groups) if g in kept]


def per_label_rows(labels: list, per_label: int | None, rng: random.Random) -> list[int]:
    """``min(per_label, rows of the label)`` rows of every label at random, in original order (all rows
    when ``per_label`` is None)."""
    if per_label is None:
        return list(range(len(labels)))
    by_label: dict = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    rows = []
    for lab in sorted(by_label, key=str):
        rows += rng.sample(by_label[lab], min(per_label, len(by_label[lab])))
    return sorted(rows)


def sample_retrieval(split: dict, max_queries: int | None, max_corpus: int | None, negatives_per_query: int,
                     rng: random.Random) -> tuple[dict, dict]:
    """A retrieval split with at most ``max_queries`` queries and ``max_corpus`` documents, and how its
    corpus was kept (``{"relevant", "tfidf_negatives", "random"}`` counts, or ``{"whole": True}``).

    Queries are taken in a seeded order. A corpus within ``max_corpus`` is kept whole. Otherwise a
    query is kept while its relevant documents plus ``negatives_per_query`` negatives still fit (the
    first query always is): every relevant document of a kept query stays, each kept query adds its
    ``negatives_per_query`` nearest non-relevant documents by TF-IDF cosine not already kept, and
    seeded random documents fill what is left of ``max_corpus``.
    """
    qids = list(split["queries"])
    order = qids[:]
    rng.shuffle(order)
    corpus_ids = list(split["corpus"])
    cut = max_corpus is not None and len(corpus_ids) > max_corpus
    kept, relevant = [], set()
    for q in order:
        if max_queries is not None and len(kept) >= max_queries:
            break
        docs = set(split["qrels"][q]) - relevant
        if kept and cut and len(relevant) + len(docs) + negatives_per_query * (len(kept) + 1) > max_corpus:
            continue
        kept.append(q)
        relevant |= docs
    kept_set = set(kept)
    queries = {q: t for q, t in split["queries"].items() if q in kept_set}
    qrels = {q: rel for q, rel in split["qrels"].items() if q in kept_set}
    if not cut:
        return {"queries": queries, "corpus": dict(split["corpus"]), "qrels": qrels}, {"whole": True}
    others = [d for d in corpus_ids if d not in relevant]
    negatives: list[str] = []
    if negatives_per_query and others:
        ranked = tfidf_neighbours([split["queries"][q] for q in kept], [split["corpus"][d] for d in others])
        taken: set[int] = set()
        for row in ranked:  # each kept query, in kept order, adds its nearest documents not yet kept
            new = [j for j in row if j not in taken][:negatives_per_query]
            taken.update(new)
            negatives += [others[j] for j in new]
    rest = [d for d in others if d not in set(negatives)]
    n_random = max(0, min(len(rest), max_corpus - len(relevant) - len(negatives)))
    chosen = relevant | set(negatives) | set(rng.sample(rest, n_random))
    corpus = {d: split["corpus"][d] for d in corpus_ids if d in chosen}
    return ({"queries": queries, "corpus": corpus, "qrels": qrels},
            {"relevant": len(relevant), "tfidf_negatives": len(negatives),
             "negatives_per_query": negatives_per_query, "random": n_random})


def sample_task(name: str, task_type: str, splits: dict, sizes: dict, seed: int,
                keep_corpus: bool = False) -> tuple[dict, dict]:
    """The full ``splits`` of task ``name`` sampled down to ``sizes`` (validated caps), seeded per split,
    and a record of how (per-label train cap; a retrieval corpus's kinds of documents).

    ``keep_corpus``: a retrieval task whose corpus is never cut (only its queries are sampled).
    """
    if task_type == "retrieval":
        rng = seeded_rng(seed, name, "test")
        split, how = sample_retrieval(splits["test"], sizes["retrieval_queries"],
                                      None if keep_corpus else sizes["retrieval_corpus"],
                                      sizes["retrieval_negatives_per_query"] or 0, rng)
        return {"test": split}, {"corpus": how}
    out, how = {}, {}
    for split, cols in splits.items():
        rng = seeded_rng(seed, name, split)
        n = len(next(iter(cols.values())))
        if task_type == "classification" and split == "train":
            rows = per_label_rows(cols["label"], sizes["classification_train_per_label"], rng)
            how["train_per_label"] = sizes["classification_train_per_label"]
        elif task_type == "classification":
            rows = stratified_rows(cols["label"], sizes["classification_test"], rng)
        elif task_type == "clustering":
            rows = stratified_rows(cols["label"], sizes["clustering_texts"], rng)
        elif task_type == "pair_classification":
            rows = stratified_rows(cols["label"], sizes["pair_pairs"], rng)
        elif task_type == "polysemy":  # whole words: every sentence of a kept word
            rows = group_rows(cols["lemma"], sizes["polysemy_lemmas"], rng)
            how["lemmas"] = {"used": len({cols["lemma"][i] for i in rows}), "full": len(set(cols["lemma"]))}
        else:
            rows = random_rows(n, sizes[_RANDOM_CAPS[task_type]], rng)
        out[split] = {k: [v[i] for i in rows] for k, v in cols.items()}
    return out, how


def counts(task_type: str, splits: dict) -> dict:
    """Rows per split (retrieval: queries, corpus documents and relevant pairs)."""
    if task_type == "retrieval":
        s = splits["test"]
        return {"queries": len(s["queries"]), "corpus": len(s["corpus"]),
                "relevant_pairs": sum(len(v) for v in s["qrels"].values())}
    return {name: len(next(iter(cols.values()))) for name, cols in splits.items()}
