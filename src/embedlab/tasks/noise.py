"""Seeded text noise for robustness (experiment 04): each function changes about ``rate`` of a text's
units (words; Chinese characters for ``char``) and returns the noisy text.

How many units change: ``rate × n`` rounded stochastically (the integer part, plus one with probability
equal to the fraction), so the expected share is exactly ``rate`` on any text length, a text whose
``rate × n`` is a whole number gets exactly that many changes, and rate 0 leaves every text unchanged.
Fewer change only where a text has too few eligible units (e.g. words with a WordNet synonym); the
prepared task records the share actually changed (``measured_rate``).

| kind | unit | what changes |
|---|---|---|
| ``synonym`` | word | replaced by a WordNet synonym (content words only, see ``wordnet.synonym_source``) |
| ``swap`` | word | adjacent pairs swapped (``rate × n / 2`` swaps: ``rate`` of the words move) |
| ``shuffle`` | word | the words at ``rate × n`` random positions permuted cyclically (each moves; one pick: two or none) |
| ``typo`` | word | one letter replaced by a neighbouring key of a QWERTY keyboard |
| ``char`` | Chinese character | replaced by another character of the task's own texts |
"""

from __future__ import annotations

import random
import re

from ..errors import EmbedlabError
from ..params import NOISE_KINDS, noisy_name  # noqa: F401 -- noisy_name: re-exported for prepare

_QWERTY = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
#: Letters next to each letter on a QWERTY keyboard (same row and the rows above / below, offset by half a key).
KEY_NEIGHBOURS = {}
for _r, _row in enumerate(_QWERTY):
    for _c, _ch in enumerate(_row):
        near = {_row[j] for j in (_c - 1, _c + 1) if 0 <= j < len(_row)}
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_QWERTY):
                shift = 1 if _other < _r else -1  # the row above sits half a key to the left
                near |= {_QWERTY[_other][j] for j in (_c, _c + shift) if 0 <= j < len(_QWERTY[_other])}
        KEY_NEIGHBOURS[_ch] = "".join(sorted(near))
_WORD = re.compile(r"^(\W*)(.*?)(\W*)$", flags=re.DOTALL)
_HAN = re.compile(r"[\u4e00-\u9fff]")


def n_changes(n_units: int, rate: float, rng: random.Random) -> int:
    """``rate × n_units`` rounded stochastically (expected value exactly ``rate × n_units``)."""
    if not 0.0 <= rate <= 1.0:
        raise EmbedlabError(f"noise rate {rate!r} is outside [0, 1]", "use a share such as 0.1 for 10%")
    exact = rate * n_units
    k = int(exact)
    return k + (1 if rng.random() < exact - k else 0)


def _split(word: str) -> tuple[str, str, str]:
    """(leading punctuation, core, trailing punctuation) of a whitespace token."""
    return _WORD.match(word).groups()


def synonym_replace(text: str, rate: float, rng: random.Random, synonyms) -> str:
    """Replace ``rate`` of the words by a synonym (``synonyms(word) -> sequence``); a capitalised word
    gets a capitalised synonym."""
    words = text.split()
    k = n_changes(len(words), rate, rng)
    eligible = [i for i, w in enumerate(words) if synonyms(_split(w)[1])]
    for i in sorted(rng.sample(eligible, min(k, len(eligible)))):
        lead, core, trail = _split(words[i])
        new = rng.choice(list(synonyms(core)))
        words[i] = lead + (new.capitalize() if core[:1].isupper() else new) + trail
    return " ".join(words)


def swap_words(text: str, rate: float, rng: random.Random) -> str:
    """Swap ``rate × n / 2`` non-overlapping adjacent pairs of different words, so ``rate`` of the words move."""
    words = text.split()
    return " ".join(swap_pairs(words, n_changes(len(words), rate / 2, rng), rng))


def swap_pairs(words: list[str], n_swaps: int, rng: random.Random) -> list[str]:
    """``words`` with up to ``n_swaps`` non-overlapping adjacent pairs of different words swapped (seeded)."""
    words = list(words)
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
    return words


def shuffle_words(text: str, rate: float, rng: random.Random) -> str:
    """Pick ``rate × n`` positions and rotate their words by one (each picked word moves). A single pick cannot
    move alone: it becomes two picks with probability 1/2, else none, so the expected share stays ``rate``."""
    words = text.split()
    k = n_changes(len(words), rate, rng)
    if k == 1:
        k = 2 if rng.random() < 0.5 and len(words) >= 2 else 0
    if k >= 2:
        picked = sorted(rng.sample(range(len(words)), k))
        moved = [words[i] for i in picked[1:] + picked[:1]]
        for i, w in zip(picked, moved):
            words[i] = w
    return " ".join(words)


def typo_words(text: str, rate: float, rng: random.Random) -> str:
    """In ``rate`` of the words (those with a letter), replace one letter by a neighbouring QWERTY key."""
    words = text.split()
    k = n_changes(len(words), rate, rng)
    eligible = [i for i, w in enumerate(words) if any(c.lower() in KEY_NEIGHBOURS for c in w)]
    for i in sorted(rng.sample(eligible, min(k, len(eligible)))):
        word = words[i]
        letters = [j for j, c in enumerate(word) if c.lower() in KEY_NEIGHBOURS]
        j = rng.choice(letters)
        new = rng.choice(KEY_NEIGHBOURS[word[j].lower()])
        words[i] = word[:j] + (new.upper() if word[j].isupper() else new) + word[j + 1:]
    return " ".join(words)


def char_noise(text: str, rate: float, rng: random.Random, vocabulary: str) -> str:
    """Replace ``rate`` of the Chinese characters by another character of ``vocabulary`` (the task's own)."""
    chars = list(text)
    han = [i for i, c in enumerate(chars) if _HAN.match(c)]
    k = n_changes(len(han), rate, rng)
    for i in sorted(rng.sample(han, min(k, len(han)))):
        new = chars[i]
        while new == chars[i] and len(vocabulary) > 1:
            new = rng.choice(vocabulary)
        chars[i] = new
    return "".join(chars)


def han_vocabulary(texts) -> str:
    """Every distinct Chinese character of ``texts``, sorted (the replacement pool of ``char_noise``)."""
    return "".join(sorted({c for t in texts for c in t if _HAN.match(c)}))


def changed_share(original: list[str], noisy: list[str], kind: str) -> float:
    """The share of units (words; Chinese characters for ``char``) that differ between aligned texts."""
    changed = total = 0
    for a, b in zip(original, noisy):
        if kind == "char":
            units = [(x, y) for x, y in zip(a, b) if _HAN.match(x)]
        else:
            units = list(zip(a.split(), b.split()))
        changed += sum(x != y for x, y in units)
        total += len(units)
    return changed / total if total else 0.0


def noise_function(kind: str, synonyms=None, vocabulary: str = ""):
    """``(text, rate, rng) -> noisy text`` for ``kind`` (a key of ``NOISE_KINDS``)."""
    if kind not in NOISE_KINDS:
        raise EmbedlabError(f"unknown noise kind '{kind}'", f"use one of: {', '.join(NOISE_KINDS)}")
    if kind == "synonym":
        if synonyms is None:
            raise EmbedlabError("synonym noise needs a synonym source", "pass wordnet.synonym_source(files)")
        return lambda text, rate, rng: synonym_replace(text, rate, rng, synonyms)
    if kind == "char":
        return lambda text, rate, rng: char_noise(text, rate, rng, vocabulary)
    return {"swap": swap_words, "shuffle": shuffle_words, "typo": typo_words}[kind]


#: The fields of each task type whose texts are noised (classification: the test split only).
NOISED_FIELDS = {"sts": ("sentence1", "sentence2"), "pair_classification": ("sentence1", "sentence2"),
                 "classification": ("text",), "clustering": ("text",)}


def noisy_splits(task: dict, kind: str, rate: float, seed: int, synonyms=None) -> tuple[dict, float]:
    """The test split of a prepared ``task`` with ``kind`` noise at ``rate`` (other splits unchanged), and
    the share of units changed. Each distinct text is noised once (a text in two pairs stays one text)."""
    if task["type"] not in NOISED_FIELDS:
        raise EmbedlabError(f"cannot noise task {task['name']} of type {task['type']}",
                            f"noise tasks of type {', '.join(NOISED_FIELDS)}")
    fields = NOISED_FIELDS[task["type"]]
    test = task["splits"]["test"]
    texts = list(dict.fromkeys(t for f in fields for t in test[f]))
    fn = noise_function(kind, synonyms, han_vocabulary(texts) if kind == "char" else "")
    from .sampling import seeded_rng

    rng = seeded_rng(seed, task["name"], "noise", kind, f"{rate:g}")
    noisy = {t: fn(t, rate, rng) for t in texts}
    splits = {name: dict(cols) for name, cols in task["splits"].items()}
    splits["test"] = {k: ([noisy[t] for t in v] if k in fields else list(v)) for k, v in test.items()}
    return splits, changed_share(texts, [noisy[t] for t in texts], kind)
