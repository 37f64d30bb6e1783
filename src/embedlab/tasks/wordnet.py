"""WordNet 3.0, read by nltk's WordNet reader from the files ``scripts/install_assets.sh`` installs
(``<assets>/nltk_data/corpora/wordnet``, pinned by one digest), for two jobs: the WordNetPolysemy task
(example sentences of different senses of one word) and synonym noise (``noise.synonym_replace``)."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from .files import Files

#: The installed WordNet files, checked together against ``files.ASSET_GROUP_SHA256``.
WORDNET_FILES = "nltk_data/corpora/wordnet/*"
#: Senses kept per lemma (WordNet lists the most frequent first) and example sentences kept per sense.
MAX_SENSES, MAX_EXAMPLES = 4, 3


@lru_cache(maxsize=2)
def _reader(folder: str):
    import nltk
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    root = str(Path(folder).parents[1])  # .../nltk_data: nltk reads data only from folders on its path
    if root not in nltk.data.path:
        nltk.data.path.insert(0, root)
    return WordNetCorpusReader(folder, None)


def wordnet(files: Files):
    """nltk's WordNet 3.0 reader over the installed files (their digest checked; recorded in ``files``)."""
    paths = files.asset_group(WORDNET_FILES)
    return _reader(str(paths[0].parent))


def synonym_source(files: Files):
    """``word -> [synonyms]``: single-word lemma names of the word's two most frequent WordNet senses,
    other than the word itself, in WordNet's order; [] for stop words (sklearn's English list) and words
    under three letters, so function words are never replaced by a rare homograph ("in" -> "inch")."""
    reader = wordnet(files)

    @lru_cache(maxsize=None)
    def synonyms(word: str) -> tuple[str, ...]:
        w = word.lower()
        if len(w) < 3 or w in ENGLISH_STOP_WORDS or not w.isalpha():
            return ()
        out = []
        for synset in reader.synsets(w)[:2]:
            for lemma in synset.lemma_names():
                if lemma.isalpha() and lemma.lower() != w and lemma.lower() not in out:
                    out.append(lemma.lower())
        return tuple(out)

    return synonyms


_LETTERS = re.compile(r"[a-z]+")


def _words(sentence: str) -> set[str]:
    """The lowercase runs of letters of a sentence (what "contains the word" is checked against)."""
    return set(_LETTERS.findall(sentence.lower()))


def polysemy_rows(reader) -> dict:
    """Every noun and verb lemma (one alphabetic word) with at least two senses that have an example
    sentence containing the word itself, and at least one sense with two such sentences (so same-sense
    pairs exist): up to ``MAX_SENSES`` senses and ``MAX_EXAMPLES`` sentences per sense. Columns:
    ``sentence``, ``word`` (the lemma as written), ``lemma`` (``word.pos``), ``sense`` (synset name) and
    ``gloss`` (its definition)."""
    cols = {"sentence": [], "word": [], "lemma": [], "sense": [], "gloss": []}
    for pos in ("n", "v"):
        found: dict[str, dict] = {}  # word -> {synset name: examples containing the word}; one pass over synsets
        for synset in reader.all_synsets(pos):
            examples = synset.examples()
            if not examples:
                continue
            words = [_words(e) for e in examples]
            for word in synset.lemma_names():
                if word.isalpha():
                    hits = [e for e, w in zip(examples, words) if word.lower() in w][:MAX_EXAMPLES]
                    if hits:
                        found.setdefault(word, {})[synset.name()] = hits
        for word in sorted(found):
            if len(found[word]) < 2 or max(len(e) for e in found[word].values()) < 2:
                continue
            # WordNet's sense order (most frequent first), over the senses that have examples
            senses = [s for s in reader.synsets(word, pos) if s.name() in found[word]][:MAX_SENSES]
            if len(senses) < 2 or max(len(found[word][s.name()]) for s in senses) < 2:
                continue
            for synset in senses:
                for sentence in found[word][synset.name()]:
                    cols["sentence"].append(sentence)
                    cols["word"].append(word)
                    cols["lemma"].append(f"{word}.{pos}")
                    cols["sense"].append(synset.name())
                    cols["gloss"].append(synset.definition())
    return cols
