"""The standard suite: published benchmarks read from the local benchmark mirror (files checked
against its MANIFEST.sha256), or from the Hugging Face Hub at mteb's pinned revision for users who
are online. Each task's record is registered next to its mirror loader and its hub loader."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

from ..errors import EmbedlabError
from .files import Files, TaskUnavailable
from .hub import beir_retrieval, load_split, sts_loader
from .sampling import seeded_split
from .spec import CATALOG, TaskSpec, declare, register


def _read_sts_csv(path: Path) -> dict:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return {"sentence1": [r[0] for r in rows], "sentence2": [r[1] for r in rows],
            "score": [float(r[2]) for r in rows]}


def _read_tsv(path: Path, encoding: str = "utf-8") -> list[dict]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


# ---- STS-B (en, zh, and zh-en built here)

def _mirror_stsb(lang: str):
    def load(files: Files, seed: int) -> dict:
        return {"test": _read_sts_csv(files.mirrored(f"stsb/stsb-{lang}-test.csv"))}
    return load


def _zh_en(zh: dict, en: dict) -> dict:
    if len(zh["score"]) != len(en["score"]) or any(abs(a - b) > 1e-9 for a, b in zip(zh["score"], en["score"])):
        raise EmbedlabError("the zh and en STS-B test files are not row-aligned (scores differ)",
                            "restore stsb/ from its source (see stsb/SOURCE.md)")
    return {"test": {"sentence1": zh["sentence1"], "sentence2": en["sentence2"], "score": en["score"]}}


def _mirror_stsb_zh_en(files: Files, seed: int) -> dict:
    zh = _read_sts_csv(files.mirrored("stsb/stsb-zh-test.csv"))
    en = _read_sts_csv(files.mirrored("stsb/stsb-en-test.csv"))
    return _zh_en(zh, en)


def _hub_stsb_zh_en(spec: TaskSpec, seed: int) -> dict:
    zh = sts_loader("zh", "similarity_score")(spec, seed)["test"]
    en = sts_loader("en", "similarity_score")(spec, seed)["test"]
    return _zh_en(zh, en)


_STSB_MT = ("mteb/stsb_multi_mt", "29afa2569dcedaaa2fe6a3dcfebab33d28b82e8c")

register(declare(
    "STSBenchmark", "sts", "en", "mirror", ["stsb/stsb-en-test.csv"], "scores CC BY-SA 4.0; texts per source",
    hub_id="mteb/stsbenchmark-sts", hub_revision="b0fddb56ed78048fa8b90373c8a3cfc37b684831",
    mteb_name="STSBenchmark"),
    mirror=_mirror_stsb("en"), hub=sts_loader())
register(declare(
    "STSBenchmarkMultilingualSTS-zh", "sts", "zh", "mirror", ["stsb/stsb-zh-test.csv"],
    "scores CC BY-SA 4.0; DeepL machine translation by P. May", hub_id=_STSB_MT[0], hub_revision=_STSB_MT[1],
    mteb_name="STSBenchmarkMultilingualSTS", note="the zh subset (test) of MTEB's STSBenchmarkMultilingualSTS"),
    mirror=_mirror_stsb("zh"), hub=sts_loader("zh", "similarity_score"))


def _mirror_stsb_train(files: Files, seed: int) -> dict:
    return {"train": _read_sts_csv(files.mirrored("stsb/stsb-en-train.csv"))}


def _hub_stsb_train(spec: TaskSpec, seed: int) -> dict:
    ds = load_split(spec, None, split="train")
    return {"train": {"sentence1": list(ds["sentence1"]), "sentence2": list(ds["sentence2"]),
                      "score": [float(s) for s in ds["score"]]}}


# the train split of STS-B as its own fit-only task: texts an in-domain reduction is fitted on (experiment 02)
register(dataclasses.replace(declare(
    "STSBenchmark-train", "sts", "en", "mirror", ["stsb/stsb-en-train.csv"], "scores CC BY-SA 4.0; texts per source",
    hub_id="mteb/stsbenchmark-sts", hub_revision="b0fddb56ed78048fa8b90373c8a3cfc37b684831", fit_only=True,
    note="the STS Benchmark train split (5,749 pairs): texts to fit a reduction on, never scored"), splits=("train",)),
    mirror=_mirror_stsb_train, hub=_hub_stsb_train)
register(declare(
    "STSBenchmark-zh-en", "sts", "zh-en", "mirror", ["stsb/stsb-zh-test.csv", "stsb/stsb-en-test.csv"],
    "scores CC BY-SA 4.0; DeepL machine translation by P. May", hub_id=_STSB_MT[0], hub_revision=_STSB_MT[1],
    note="cross-lingual STS built here, not an MTEB task: sentence1 from the zh file, sentence2 from "
         "the en file, same rows and scores"),
    mirror=_mirror_stsb_zh_en, hub=_hub_stsb_zh_en)


# ---- SICK-R

_SICK_FILES = tuple(f"sick/semeval2014/{f}" for f in ("SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt"))


def _mirror_sick(files: Files, seed: int) -> dict:
    out = {"sentence1": [], "sentence2": [], "score": []}
    for rel in _SICK_FILES:
        for r in _read_tsv(files.mirrored(rel)):
            out["sentence1"].append(r["sentence_A"]), out["sentence2"].append(r["sentence_B"])
            out["score"].append(float(r["relatedness_score"]))
    return {"test": out}


register(declare(
    "SICK-R", "sts", "en", "mirror", _SICK_FILES, "CC BY-NC-SA 3.0", hub_id="mteb/sickr-sts",
    hub_revision="20a6d6f312dd54037fe07a32d58e5e168867909d", mteb_name="SICK-R",
    note="all 9,927 SemEval-2014 pairs (train + trial + test), as MTEB"),
    mirror=_mirror_sick, hub=sts_loader())


# ---- STS12-16 (SemEval): the union of each year's subsets

def _mirror_semeval(origin: tuple[str, ...]):
    def load(files: Files, seed: int) -> dict:
        out = {"sentence1": [], "sentence2": [], "score": []}
        for rel in origin:
            with open(files.mirrored(rel), encoding="utf-8", newline="") as f:
                for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                    if len(row) >= 3 and row[0].strip():  # 2015/2016 hold unscored rows
                        out["score"].append(float(row[0])), out["sentence1"].append(row[1])
                        out["sentence2"].append(row[2])
        return {"test": out}
    return load


_SEMEVAL = {  # name: (year, subsets, mteb/sts1X-sts revision as in mteb 2.26's task metadata)
    "STS12": ("2012", ("MSRpar", "OnWN", "SMTeuroparl", "SMTnews"), "a0d554a64d88156834ff5ae9920b964011b16384"),
    "STS13": ("2013", ("FNWN", "OnWN", "headlines"), "7e90230a92c190f1bf69ae9002b8cea547a64cca"),
    "STS14": ("2014", ("OnWN", "deft-forum", "deft-news", "headlines", "images", "tweet-news"),
              "6031580fec1f6af667f0bd2da0a551cf4f0b2375"),
    "STS15": ("2015", ("answers-forums", "answers-students", "belief", "headlines", "images"),
              "ae752c7c21bf194d8b67fd573edf7ae58183cbe3"),
    "STS16": ("2016", ("answer-answer", "headlines", "plagiarism", "postediting", "question-question"),
              "4d8694f8f0e0100860b497b999b3dbed754a0513"),
}
for name, (year, subsets, revision) in _SEMEVAL.items():
    origin = tuple(f"semeval_sts/{year}/{s}.test.tsv" for s in subsets)
    register(declare(
        name, "sts", "en", "mirror", origin, "research use; texts per source (some CC BY-SA / BY-NC-SA, MSR licence)",
        hub_id=f"mteb/{name.lower()}-sts", hub_revision=revision, mteb_name=name,
        note="union of the year's subsets, unscored rows dropped"
             + ("; MSRvid (750 pairs) is missing from the mirror, so 2,358 of MTEB's 3,108 pairs"
                if name == "STS12" else "")),
        mirror=_mirror_semeval(origin), hub=sts_loader())
del name, year, subsets, revision, origin


# ---- NewsClassification (AG News)

def _mirror_news(files: Files, seed: int) -> dict:
    names = [c.strip() for c in files.mirrored("ag_news/classes.txt").read_text(encoding="utf-8").splitlines()
             if c.strip()]
    with open(files.mirrored("ag_news/test.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    texts = [f"{title} {desc}" for _, title, desc in rows]
    labels = [names[int(c) - 1] for c, _, _ in rows]
    return seeded_split(texts, labels, seed, "NewsClassification")


def _hub_news(spec: TaskSpec, seed: int) -> dict:
    ds = load_split(spec)  # fancyzhx/ag_news: text is already title + " " + description; label 0..3
    names = ds.features["label"].names
    return seeded_split(list(ds["text"]), [names[i] for i in ds["label"]], seed, spec.name)


register(declare(
    "NewsClassification", "classification", "en", "mirror", ["ag_news/test.csv", "ag_news/classes.txt"],
    "AG News: research / non-commercial use (original readme)", hub_id="fancyzhx/ag_news",
    hub_revision="eb185aade064a813bc0b7f42de02595523103ca4", mteb_name="NewsClassification",
    note="AG News test set only (7,600); text = title + ' ' + description; seeded stratified "
         "train/test split of those 7,600 (MTEB trains on AG News train instead)"),
    mirror=_mirror_news, hub=_hub_news)


# ---- Banking77Classification

def _mirror_banking(files: Files, seed: int) -> dict:
    out = {}
    for split in ("train", "test"):
        with open(files.mirrored(f"banking77/{split}.csv"), encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        out[split] = {"text": [r["text"] for r in rows], "label": [r["category"] for r in rows]}
    return out


def _hub_banking(spec: TaskSpec, seed: int) -> dict:
    out = {}
    for split in ("train", "test"):
        ds = load_split(spec, split=split)
        labels = ds["label_text"] if "label_text" in ds.column_names else ds["label"]
        out[split] = {"text": list(ds["text"]), "label": [str(x) for x in labels]}
    return out


register(declare(
    "Banking77Classification", "classification", "en", "mirror", ["banking77/train.csv", "banking77/test.csv"],
    "CC BY 4.0", hub_id="mteb/banking77", hub_revision="0fd18e25b25c072e09e0d92ab615fda904d66300",
    mteb_name="Banking77Classification"),
    mirror=_mirror_banking, hub=_hub_banking)


# ---- TwentyNewsgroupsClustering

def _mirror_20ng(files: Files, seed: int) -> dict:
    texts, labels = [], []
    with open(files.mirrored("20newsgroups/test_subjects.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                texts.append(rec["subject"]), labels.append(rec["label"])
    return {"test": {"text": texts, "label": labels}}


def _hub_20ng(spec: TaskSpec, seed: int) -> dict:
    ds = load_split(spec)  # 10 rows, each a pre-sampled clustering set: sentences[], labels[]
    texts = [t for row in ds["sentences"] for t in row]
    labels = [str(x) for row in ds["labels"] for x in row]
    return {"test": {"text": texts, "label": labels}}


register(declare(
    "TwentyNewsgroupsClustering", "clustering", "en", "mirror", ["20newsgroups/test_subjects.jsonl"],
    "research use (no formal licence)", hub_id="mteb/twentynewsgroups-clustering",
    hub_revision="6125ec4e24fa026cec8a478383ee943acfbd5449", mteb_name="TwentyNewsgroupsClustering",
    note="mirror: the 7,532 bydate test subject lines, one clustering set; MTEB evaluates 10 pre-sampled "
         "sets (59,545 subjects, which the hub path loads), so scores are comparable, not identical"),
    mirror=_mirror_20ng, hub=_hub_20ng)


# ---- SciFact

def _mirror_scifact(files: Files, seed: int) -> dict:
    corpus, qrels = {}, {}
    with open(files.mirrored("scifact/corpus.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                d = json.loads(line)
                corpus[str(d["_id"])] = f"{d['title']} {d['text']}".strip()
    with open(files.mirrored("scifact/queries.jsonl"), encoding="utf-8") as f:
        all_queries = {str(q["_id"]): q["text"] for q in map(json.loads, filter(str.strip, f))}
    for r in _read_tsv(files.mirrored("scifact/qrels/test.tsv")):
        qrels.setdefault(r["query-id"], {})[r["corpus-id"]] = int(r["score"])
    queries = {q: all_queries[q] for q in qrels}
    return {"test": {"queries": queries, "corpus": corpus, "qrels": qrels}}


register(declare(
    "SciFact", "retrieval", "en", "mirror", ["scifact/corpus.jsonl", "scifact/queries.jsonl", "scifact/qrels/test.tsv"],
    "CC BY-NC 2.0", hub_id="mteb/scifact", hub_revision="d56462d0e63a25450459c4f213e49ffdb866f7f9",
    mteb_name="SciFact", note="test qrels (300 queries); corpus text = title + ' ' + text", long_texts=True),
    mirror=_mirror_scifact, hub=lambda spec, seed: beir_retrieval(spec))


# ---- MRPC

def _mirror_mrpc(files: Files, seed: int) -> dict:
    rows = _read_tsv(files.mirrored("mrpc/msr-para-test.tsv"), encoding="utf-8-sig")
    return {"test": {"sentence1": [r["#1 String"] for r in rows], "sentence2": [r["#2 String"] for r in rows],
                     "label": [int(r["Quality"]) for r in rows]}}


def _hub_mrpc(spec: TaskSpec, seed: int) -> dict:
    ds = load_split(spec, "mrpc")
    labels = [int(x) for x in ds["label"]]
    if all(x < 0 for x in labels):
        raise TaskUnavailable("the hub copy of MRPC test has no labels", "use the benchmark mirror")
    return {"test": {"sentence1": list(ds["sentence1"]), "sentence2": list(ds["sentence2"]), "label": labels}}


register(declare(
    "MRPC", "pair_classification", "en", "mirror", ["mrpc/msr-para-test.tsv"],
    "Microsoft Research Shared Source Licence: non-commercial only", hub_id="nyu-mll/glue",
    hub_revision="c46b392f6b9c9c07f9b2c62b242fbc5321aef0f1",
    note="test split (1,725 pairs); a GLUE / SentEval task, not in MTEB (hub: nyu-mll/glue, config mrpc)"),
    mirror=_mirror_mrpc, hub=_hub_mrpc)


#: Task names of the standard suite (mirror or hub).
STANDARD_TASKS: tuple[str, ...] = tuple(name for name, spec in CATALOG.items() if spec.source == "mirror")
