"""Experiment 04's generated prose pinned on small hand-made records: the headline and every paragraph
of the interpretation, with the numbers worked out by hand from the records below."""

from __future__ import annotations

import numpy as np
import pandas as pd

from embedlab.analysis.intrinsic_robustness.prose import headline, interpretation

FID = pd.DataFrame({"auc": [0.8, 0.6], "same_above": [0.6, 0.2], "different_below": [0.7, 0.9],
                    "same_median": [0.85, 0.5], "different_median": [0.4, 0.1]}, index=pd.Index(["a", "b"], name="model"))
THRESHOLDS = {"same_above": 0.8, "different_below": 0.3}


def _centering():
    rows = [("a", "own", 0.5, 0.01, 0.05, 0.02, 0.08, True), ("b", "own", 0.2, -0.02, -0.01, -0.03, 0.01, False),
            ("a", "off-domain", 0.5, 0.3, 0.01, -0.01, 0.03, False), ("b", "off-domain", 0.2, 0.25, -0.04, -0.06, -0.02, True)]
    frame = pd.DataFrame(rows, columns=["model", "centering", "anisotropy raw", "anisotropy centered", "difference",
                                        "ci_low", "ci_high", "separated"])
    return frame.set_index(["model", "centering"])


MOVES = pd.DataFrame([
    {"model": "a", "noise": "typo", "rate": 0.1, "vector_move": 0.05, "vector_move_relative": 0.10, "similarity_change": 0.20},
    {"model": "b", "noise": "typo", "rate": 0.1, "vector_move": 0.10, "vector_move_relative": 0.14, "similarity_change": 0.12},
    {"model": "a", "noise": "typo", "rate": 0.2, "vector_move": 0.50, "vector_move_relative": 0.90, "similarity_change": 0.90},
])
DROPS = pd.DataFrame([
    {"model": "a", "clean_task": "STS-x", "noise": "typo", "rate": 0.1, "difference": -0.02, "ci_low": -0.03,
     "ci_high": -0.01, "separated": True, "relative": -0.025},
    {"model": "b", "clean_task": "STS-x", "noise": "typo", "rate": 0.1, "difference": -0.005, "ci_low": -0.02,
     "ci_high": 0.01, "separated": False, "relative": -0.008},
])


def test_headline_reads_auc_against_chance_thresholds_centring_and_both_readings_of_c09():
    assert headline(FID, THRESHOLDS, _centering(), MOVES) == (
        "A random same-class pair has a higher cosine than a random different-class pair with probability 0.60–0.80 "
        "across the 2 models (ROC AUC; chance 0.5, perfect 1), while fixed 0.8 / 0.3 thresholds pass 1 of 2 models; "
        "random-pair cosine 0.20–0.50, -0.02 to 0.01 after centring on the task's own held-out texts; 10% noise moves "
        "a text's vector by 5.0%–10.0% (1 − cos; 10%–14% of the distance between random texts) and changes pair "
        "similarities by 12.0%–20.0%.")
    groups = [{"models": ["a", "c"], "label": "a = c"}]
    assert headline(FID, THRESHOLDS, _centering(), MOVES.iloc[:0], groups).endswith(
        "after centring on the task's own held-out texts; a and c give identical vectors.")


def test_interpretation_pins_fidelity_centring_and_robustness_paragraphs():
    text = interpretation(FID, THRESHOLDS, _centering(), "Movies", pd.DataFrame(), MOVES, DROPS)
    paragraphs = text.split("\n\n")
    assert [p.split("**")[1] for p in paragraphs[:3]] == ["Fidelity (C07).", "Anisotropy and centring.",
                                                         "Robustness (C09: similarity moves < 15% under 10% noise)."]
    assert len(paragraphs) == 4 and paragraphs[3].startswith("Main score on noisy test texts")
    assert ("0.60–0.80, above chance for 2 of 2 models (best `a` 0.80, last `b` 0.60): even the best model puts a "
            "different-class pair above a same-class pair 20% of the time. Median same-class cosine 0.50–0.85, "
            "different-class 0.10–0.40; the share of same-class pairs above 0.8 is 20%–60% and of different-class pairs "
            "below 0.3 70%–90%. 1 of 2 models put the majority of both kinds on the claimed side.") in paragraphs[0]
    assert ("0 is isotropic): 0.50 (`a`) down to 0.20 (`b`). Subtracting a mean fitted on held-out pairs of the same "
            "task (cross-fitted: each fold centred with the other fold's texts) brings it to -0.02 to 0.01; the mean of "
            "Movies texts (off-domain) to 0.25–0.30, which raises it for 1 of 2 models (`b` 0.200 → 0.250): a mean from "
            "other texts is not the centre of these.") in paragraphs[1]
    assert ("own-task centring − raw (95% paired bootstrap over the test pairs; an interval containing 0 is no "
            "measurable change): `a` +0.050 [+0.020, +0.080]; `b` -0.010 [-0.030, +0.010]. Measurably up for 1, down "
            "for 0, unchanged for 1 of 2 models.") in paragraphs[1]
    assert "off-domain centring − raw" in paragraphs[1] and "Measurably up for 0, down for 1, unchanged for 1 of 2" in paragraphs[1]
    assert ("1 − cos(original, noisy), 5.0%–10.0% (2 of 2 cells under 15%); and how much the similarity between two "
            "texts changes (mean |s' − s| / |s| over pairs), 12.0%–20.0% (1 of 2 under 15%). As a reference, the move is "
            "10%–14% of 1 − (mean random-pair cosine)") in paragraphs[2]
    assert ("Per kind (mean over models): typo: vector 7.5% (largest 10.0%, `b`), 12% of the random-pair distance; "
            "similarity 16.0% (largest 20.0%, `a`).") in paragraphs[2]
    assert text.endswith("Main score on noisy test texts at 10%: 1 of 2 (model, task, kind) cells are measurably lower "
                         "than clean; the largest drop is `a` on STS-x with typo: -0.020 [-0.030, -0.010] (-2.5%).")


def test_interpretation_names_a_coinciding_group_once_and_reads_polysemy_at_word_and_sentence_level():
    poly = pd.DataFrame({"sentence auc": [0.7, 0.6], "word auc": [0.65, np.nan], "word nn_accuracy": [0.4, np.nan],
                         "word nn_chance": [0.25, np.nan]}, index=["a", "glove"])
    text = interpretation(FID, THRESHOLDS, _centering(), "Movies", poly, MOVES.iloc[:0], DROPS.iloc[:0])
    assert ("**Polysemy (C01).** Same-sense vs different-sense cosine AUC of sentence vectors (chance 0.5): `a` 0.70, "
            "`glove` 0.60. The word's own vector: `a` 0.65 (nearest-neighbour sense accuracy 0.40 vs chance 0.25). A "
            "static model gives a word one vector, so its AUC is 0.5 by construction; its sentence vectors still "
            "separate senses through the other words of the sentence.") in text
    assert "Robustness" not in text
    groups = [{"models": ["a", "c"], "label": "a = c", "max_abs_difference": 2.6e-7, "tasks": 3, "tolerance": 1e-5}]
    named = interpretation(FID, THRESHOLDS, _centering(), "Movies", poly, MOVES.iloc[:0], DROPS.iloc[:0], groups)
    assert named.startswith("**Coinciding models.** `a` and `c` produce the same vectors (largest |difference| of any "
                            "component of the L2-normalised stored vectors 2.6e-07 over 3 tasks, tolerance 1e-05): they "
                            "are one model. Below, each such group is listed once")
    assert "best `a = c` 0.80" in named
