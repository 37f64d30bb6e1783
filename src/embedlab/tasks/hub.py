"""Reading a task's dataset from the Hugging Face Hub at its pinned revision (users who are online),
or from a local folder holding a copy of it: the same ``datasets.load_dataset`` call either way.
Shared by the standard suite's hub loaders and by any MTEB task named in params."""

from __future__ import annotations

from ..errors import require_package
from .spec import TaskSpec


def load_split(spec: TaskSpec, config: str | None = None, split: str | None = "test"):
    """``spec.hub_id`` (hub id or local folder) at ``spec.hub_revision``: one split, or every split
    as a DatasetDict when ``split`` is None."""
    datasets = require_package("datasets")
    return datasets.load_dataset(spec.hub_id, config, revision=spec.hub_revision, split=split)


def only_split(dsdict):
    """The single split of a DatasetDict, whatever it is called."""
    return dsdict[next(iter(dsdict))]


def sts_loader(config: str | None = None, score_column: str = "score"):
    """A hub loader for an STS dataset: ``sentence1``, ``sentence2`` and a score column; unscored
    rows dropped."""
    def load(spec: TaskSpec, seed: int) -> dict:
        ds = load_split(spec, config)
        keep = [i for i, s in enumerate(ds[score_column]) if s is not None]
        s1, s2, sc = list(ds["sentence1"]), list(ds["sentence2"]), list(ds[score_column])
        return {"test": {"sentence1": [s1[i] for i in keep], "sentence2": [s2[i] for i in keep],
                         "score": [float(sc[i]) for i in keep]}}
    return load


def beir_retrieval(spec: TaskSpec) -> dict:
    """A retrieval dataset in the BEIR layout (configs ``corpus``, ``queries`` and ``default`` = test
    qrels): corpus text = title + " " + text; only queries with qrels kept."""
    corpus_ds = only_split(load_split(spec, "corpus", split=None))
    queries_ds = only_split(load_split(spec, "queries", split=None))
    qrels_ds = load_split(spec, "default", split="test")
    corpus = {str(i): f"{t} {x}".strip() for i, t, x in zip(corpus_ds["_id"], corpus_ds["title"], corpus_ds["text"])}
    qrels = {}
    for q, d, s in zip(qrels_ds["query-id"], qrels_ds["corpus-id"], qrels_ds["score"]):
        qrels.setdefault(str(q), {})[str(d)] = int(s)
    all_queries = dict(zip(map(str, queries_ds["_id"]), queries_ds["text"]))
    return {"test": {"queries": {q: all_queries[q] for q in qrels}, "corpus": corpus, "qrels": qrels}}
