"""Names and labels of prepared tasks: a standard task cut in any split is ``<Name>-sample`` (only
full-size numbers carry the bare MTEB name), and every sampled task has a human label saying how much
of it was used, e.g. "STS12 (300 of 2,358 pairs)"."""

from __future__ import annotations

#: Appended to the name of a standard task prepared on a sample.
SAMPLE_SUFFIX = "-sample"
#: What one row of a split is, by task type (classification and retrieval are labelled by split).
_UNITS = {"sts": "pairs", "pair_classification": "pairs", "bitext_mining": "pairs", "robustness": "pairs",
          "clustering": "texts", "polysemy": "sentences"}


def is_cut(n_used: dict, n_full: dict) -> bool:
    """Whether any split (or a retrieval task's queries or corpus) holds fewer rows than in full."""
    return any(n_used[k] != n_full[k] for k in n_full)


def prepared_name(name: str, source: str, cut: bool) -> str:
    """The name a prepared task gets: ``<name>-sample`` for a standard (non-package) task that is cut,
    else ``name`` (embedded tasks are not MTEB's, so they keep their names; their labels show the cut)."""
    return f"{name}{SAMPLE_SUFFIX}" if cut and source != "package" else name


def base_name(name: str) -> str:
    """The catalog name of a prepared task (``STS12-sample`` -> ``STS12``)."""
    return name[: -len(SAMPLE_SUFFIX)] if name.endswith(SAMPLE_SUFFIX) else name


def _n(x: int) -> str:
    return f"{x:,}"


def task_label(task: dict) -> str:
    """A human label of a prepared task: its catalog name, plus what was used where it was cut.

    Uses ``base_name`` (else ``name``), ``type``, ``n_used``, ``n_full`` and ``sampling`` of the task
    dict, e.g. "STS12 (300 of 2,358 pairs)", "Banking77Classification (test 300 of 3,080; train 6,160
    of 10,003, ≤80 per label)", "SciFact (50 of 300 queries; 1,500 of 5,183 documents: 55 relevant,
    1,000 TF-IDF negatives (20 per query), 445 random)". A task used in full is its bare name.
    """
    name = task.get("base_name") or base_name(task["name"])
    used, full, how = task["n_used"], task["n_full"], task.get("sampling") or {}
    if not is_cut(used, full):
        return name
    if task["type"] == "retrieval":
        parts = [f"{_n(used['queries'])} of {_n(full['queries'])} queries"]
        corpus = how.get("corpus") or {}
        docs = f"{_n(used['corpus'])} of {_n(full['corpus'])} documents"
        if used["corpus"] == full["corpus"]:
            docs = f"all {_n(full['corpus'])} documents"
        elif "relevant" in corpus:
            kinds = [f"{_n(corpus['relevant'])} relevant"]
            if corpus.get("tfidf_negatives"):
                kinds.append(f"{_n(corpus['tfidf_negatives'])} TF-IDF negatives "
                             f"({corpus['negatives_per_query']} per query)")
            if corpus.get("random"):
                kinds.append(f"{_n(corpus['random'])} random")
            docs += ": " + ", ".join(kinds)
        return f"{name} ({'; '.join(parts + [docs])})"
    if task["type"] == "polysemy" and "lemmas" in how:
        return f"{name} ({_n(how['lemmas']['used'])} of {_n(how['lemmas']['full'])} words: {_n(used['test'])} sentences)"
    if task["type"] == "classification":
        parts = [f"test {_n(used['test'])} of {_n(full['test'])}" if used["test"] != full["test"]
                 else f"test all {_n(full['test'])}"]
        if used["train"] != full["train"]:
            cap = how.get("train_per_label")
            parts.append(f"train {_n(used['train'])} of {_n(full['train'])}"
                         + (f", ≤{cap} per label" if cap is not None else ""))
        return f"{name} ({'; '.join(parts)})"
    return f"{name} ({_n(used['test'])} of {_n(full['test'])} {_UNITS[task['type']]})"
