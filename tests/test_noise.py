"""Seeded text noise (tasks/noise.py): each kind changes the requested share of units, the same seed gives
the same text, rate 0 changes nothing, and noisy task variants keep every other split and field."""

from __future__ import annotations

import pytest

from embedlab.errors import EmbedlabError
from embedlab.params import noisy_names
from embedlab.tasks import (KEY_NEIGHBOURS, changed_share, char_noise, n_changes, noisy_splits, seeded_rng,
                            shuffle_words, swap_words, synonym_replace, typo_words)

# 20 distinct words: at rate 0.1 exactly 2 must change (0.1 x 20 is whole, so no stochastic rounding).
SENTENCE = ("the quick brown fox jumps over one lazy dog while seven happy children watch from their "
            "small wooden house near")
SYNONYMS = {"quick": ("fast",), "brown": ("chocolate",), "jumps": ("leaps",), "lazy": ("idle",), "happy": ("glad",),
            "small": ("little",), "house": ("home",)}


def syn(word):
    return SYNONYMS.get(word.lower(), ())


def rng(tag="t"):
    return seeded_rng(0, "test", tag)


def test_the_test_sentence_has_twenty_distinct_words():
    assert len(SENTENCE.split()) == 20 == len(set(SENTENCE.split()))


@pytest.mark.parametrize("fn", [swap_words, shuffle_words, typo_words,
                                lambda t, r, g: synonym_replace(t, r, g, syn)])
def test_each_english_kind_changes_exactly_the_requested_share_and_nothing_at_rate_zero(fn):
    for rate, expected in ((0.1, 0.1), (0.2, 0.2), (0.0, 0.0)):
        noisy = fn(SENTENCE, rate, rng(str(rate)))
        assert len(noisy.split()) == 20
        assert changed_share([SENTENCE], [noisy], "word") == pytest.approx(expected)
    assert fn(SENTENCE, 0.0, rng()) == SENTENCE


@pytest.mark.parametrize("fn", [swap_words, shuffle_words, typo_words, lambda t, r, g: synonym_replace(t, r, g, syn)])
def test_same_seed_same_noise_and_another_seed_another(fn):
    a, b = fn(SENTENCE, 0.2, rng("a")), fn(SENTENCE, 0.2, rng("a"))
    assert a == b
    assert any(fn(SENTENCE, 0.2, rng(f"other{i}")) != a for i in range(5))


def test_swap_and_shuffle_only_move_words():
    for fn in (swap_words, shuffle_words):
        assert sorted(fn(SENTENCE, 0.2, rng()).split()) == sorted(SENTENCE.split())


def test_typo_replaces_one_letter_with_a_keyboard_neighbour():
    noisy = typo_words("hello", 1.0, rng())
    diff = [(a, b) for a, b in zip("hello", noisy) if a != b]
    assert len(diff) == 1 and diff[0][1] in KEY_NEIGHBOURS[diff[0][0]]
    assert set(KEY_NEIGHBOURS["a"]) == {"q", "w", "s", "z"}  # hand-checked on a QWERTY keyboard
    assert set(KEY_NEIGHBOURS["g"]) == {"f", "h", "t", "y", "v", "b"}


def test_synonyms_keep_capitals_and_punctuation_and_skip_words_without_one():
    noisy = synonym_replace("Quick, the dog.", 1.0, rng(), syn)
    assert noisy == "Fast, the dog."


def test_char_noise_replaces_the_requested_share_of_chinese_characters():
    text = "我们今天去公园散步然后回家"  # 13 characters... use 10 for a whole number at 0.1
    text = text[:10]
    noisy = char_noise(text + "!", 0.1, rng(), "天地人和")
    assert noisy.endswith("!") and sum(a != b for a, b in zip(text, noisy)) == 1
    assert changed_share([text], [noisy[:-1]], "char") == pytest.approx(0.1)
    assert char_noise(text, 0.0, rng(), "天地人和") == text


def test_stochastic_rounding_hits_the_rate_on_average():
    g = rng("mean")
    assert sum(n_changes(7, 0.1, g) for _ in range(20_000)) / 20_000 == pytest.approx(0.7, abs=0.02)
    with pytest.raises(EmbedlabError, match="outside"):
        n_changes(5, 1.5, g)


def test_noisy_splits_noise_the_test_texts_only_and_each_distinct_text_once():
    task = {"name": "T", "type": "classification",
            "splits": {"train": {"text": [SENTENCE], "label": [0]},
                       "test": {"text": [SENTENCE, SENTENCE, "a b c d e f g h i j"], "label": [0, 0, 1]}}}
    splits, share = noisy_splits(task, "swap", 0.2, 0)
    assert splits["train"] == task["splits"]["train"]
    assert splits["test"]["label"] == [0, 0, 1]
    assert splits["test"]["text"][0] == splits["test"]["text"][1] != SENTENCE
    assert 0 < share <= 0.3
    with pytest.raises(EmbedlabError, match="cannot noise"):
        noisy_splits({"name": "R", "type": "retrieval", "splits": {"test": {}}}, "swap", 0.1, 0)


def test_noisy_names_follow_data_noise():
    noise = {"rates": [0.05, 0.1], "tasks": {"STSBenchmark": ["typo"]}}
    assert noisy_names(noise, "STSBenchmark-sample") == ["STSBenchmark-sample-noisy-typo5",
                                                         "STSBenchmark-sample-noisy-typo10"]
    assert noisy_names(noise, "SICK-R-sample") == [] and noisy_names(None, "STSBenchmark") == []


def test_shuffle_keeps_the_expected_rate_on_short_texts():
    g = rng("short")
    text = "one two three four five six seven eight nine ten"
    shares = [changed_share([text], [shuffle_words(text, 0.05, g)], "word") for _ in range(4000)]
    assert sum(shares) / len(shares) == pytest.approx(0.05, abs=0.006)
