"""Experiment 04's analysis: cross-fitted centring, coinciding models, and the generated titles, interpretation
and headline, on small hand-made vectors and records."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from embedlab.analysis.intrinsic_robustness import centering as ic
from embedlab.analysis import coincidence as co
from embedlab.analysis import intrinsic_robustness as ir
from embedlab.errors import EmbedlabError
from embedlab.intrinsic import crossfit_centering, max_abs_difference, pair_folds, robustness, row_cosines
from embedlab.stats import ItemScores


def _cos(u, v):
    u, v = np.asarray(u, float), np.asarray(v, float)
    return float(u @ v / np.linalg.norm(u) / np.linalg.norm(v))


# ---- cross-fitting

VEC = {"a": [1, 0], "b": [0, 1], "c": [2, 0], "d": [0, 2], "e": [1, 1], "f": [3, 3]}
PAIRS = [("a", "b"), ("c", "d"), ("a", "e"), ("f", "a")]


def _crossfit(fold):
    s1, s2 = [p[0] for p in PAIRS], [p[1] for p in PAIRS]
    return crossfit_centering([VEC[t] for t in s1], [VEC[t] for t in s2], s1, s2, fold=fold)


def test_crossfit_centres_each_fold_with_the_other_folds_texts_by_hand():
    got = _crossfit([0, 1, 0, 1])
    # fold 0 = pairs 0, 2 (texts a, b, e); fold 1 = pairs 1, 3 (c, d, f, a). "a" is in both: never averaged.
    assert got["held_out"] == [["c", "d", "f"], ["b", "e"]]
    m0, m1 = np.array([5 / 3, 5 / 3]), np.array([0.5, 1.0])  # mean(c, d, f), mean(b, e)
    cos = row_cosines(got["first"], got["second"])
    assert cos[0] == pytest.approx(20 / 29, abs=1e-6)  # (a - m0) . (b - m0): (-2/3, -5/3) . (-5/3, -2/3)
    assert cos[1] == pytest.approx(_cos(np.array([2, 0]) - m1, np.array([0, 2]) - m1), abs=1e-6)
    assert cos[2] == pytest.approx(_cos(np.array([1, 0]) - m0, np.array([1, 1]) - m0), abs=1e-6)
    assert cos[3] == pytest.approx(_cos(np.array([3, 3]) - m1, np.array([1, 0]) - m1), abs=1e-6)
    np.testing.assert_allclose(np.linalg.norm(got["first"], axis=1), 1, atol=1e-6)
    assert len(got["distinct"]) == 3 + 4  # distinct texts per fold: {a, b, e}, {c, d, f, a}


def test_no_text_enters_the_mean_that_centres_it():
    rng = np.random.default_rng(3)
    texts = [f"t{i}" for i in range(40)]
    s1 = [texts[i] for i in rng.integers(0, 40, 60)]  # texts repeat across pairs and folds
    s2 = [texts[i] for i in rng.integers(0, 40, 60)]
    vec = {t: rng.normal(size=5) + 2.0 for t in texts}
    got = crossfit_centering([vec[t] for t in s1], [vec[t] for t in s2], s1, s2, n_folds=2, seed=7)
    for k in (0, 1):
        inside = np.flatnonzero(got["fold"] == k)
        own = {s1[i] for i in inside} | {s2[i] for i in inside}
        assert own.isdisjoint(got["held_out"][k]) and got["held_out"][k]
        mean = np.mean([vec[t] for t in got["held_out"][k]], axis=0)
        expected = np.array([vec[s1[i]] for i in inside]) - mean
        expected /= np.linalg.norm(expected, axis=1, keepdims=True)
        np.testing.assert_allclose(got["first"][inside], expected, atol=1e-5)


def test_pair_folds_are_seeded_and_balanced():
    f = pair_folds(11, 2, seed=0)
    assert sorted(np.bincount(f)) == [5, 6]
    assert (pair_folds(11, 2, seed=0) == f).all() and not (pair_folds(11, 2, seed=1) == f).all()
    with pytest.raises(EmbedlabError, match="cannot split"):
        pair_folds(1, 2)


# ---- coinciding models

def test_max_abs_difference_ignores_length_and_refuses_other_widths():
    x = np.array([[3.0, 4.0], [1.0, 0.0]])
    assert max_abs_difference(x, 2 * x) == pytest.approx(0.0)
    # (1, 0) against (1, 1) / sqrt 2: components differ by 1 - sqrt(0.5) and sqrt(0.5); the larger counts
    assert max_abs_difference(x, x + [[0, 0], [0, 1]]) == pytest.approx(np.sqrt(0.5))
    assert max_abs_difference(x, np.ones((2, 3))) == float("inf")


class _Encoder:
    def __init__(self, vectors, transform=None):
        self.vectors, self.transform = vectors, transform

    def lookup(self, texts, role="query"):
        x = np.asarray([self.vectors[t] for t in texts], dtype=np.float32)
        return x if self.transform is None else self.transform.apply(x, role)


class _Exp:
    """Stands in for an Experiment: prepared tasks and stored vectors from dicts; ``evaluate`` scores STS the
    way mteb does (cosine per pair, Spearman against gold), leaving the per-item data in ``items``."""

    def __init__(self, tasks, vectors):
        self._tasks, self.vectors, self.items = tasks, vectors, {}
        self.bootstrap_settings = {"bootstrap_resamples": 200, "bootstrap_seed": 0}

    def task(self, name):
        return self._tasks[name]

    def encoder(self, model, task, transform=None):
        return _Encoder(self.vectors[model], transform)

    def evaluate(self, models, tasks, transform=None, intrinsic=False, progress=False, items=None, **options):
        rows, kept = [], self.items if items is None else items
        for m in models:
            for name in tasks:
                test = self.task(name)["splits"]["test"]
                enc = self.encoder(m, name, transform)
                items = ItemScores("sts", {"gold": np.asarray(test["score"], float),
                                           "cosine": row_cosines(enc.lookup(test["sentence1"]), enc.lookup(test["sentence2"]))})
                kept[m, name] = items
                rows.append({"model": m, "task": name, "task_type": "sts", "language": "en", "metric": "cosine_spearman",
                             "value": items.point(), "main": True, **(transform.labels() if transform else {})})
        return pd.DataFrame(rows)


def _sts(name, s1, s2, score):
    return {"name": name, "type": "sts", "language": "en", "main_score": "cosine_spearman",
            "splits": {"test": {"sentence1": s1, "sentence2": s2, "score": score}}}


def test_coincidence_finds_models_with_the_same_vectors_up_to_length():
    texts = ["x", "y", "z"]
    rng = np.random.default_rng(0)
    base = {t: rng.normal(size=4) for t in texts}
    vectors = {"st": base, "same": {t: 3 * v + 1e-7 for t, v in base.items()},
               "other": {t: rng.normal(size=4) for t in texts}, "narrow": {t: rng.normal(size=2) for t in texts}}
    exp = _Exp({"T": _sts("T", ["x", "y"], ["y", "z"], [1.0, 2.0])}, vectors)
    records = co.coincidence_records(exp, list(vectors), ["T"], 1e-5)
    assert len(records) == 3  # st-same, st-other, same-other; "narrow" has another width
    assert records.set_index(["model", "other"]).loc[("st", "same"), "coincide"]
    groups = co.coinciding_groups(records, list(vectors))
    assert [g["models"] for g in groups] == [["st", "same"]] and groups[0]["label"] == "st = same"
    assert co.display_names(groups) == {"st": "st = same", "same": "st = same"}
    assert "`st` and `same` produce the same vectors" in co.coincidence_sentence(groups)


# ---- centring: own-task (cross-fitted) against off-domain

def _centering_exp():
    rng = np.random.default_rng(1)
    n = 60
    s1, s2 = [f"l{i}" for i in range(n)], [f"r{i}" for i in range(n)]
    gold = rng.uniform(0, 5, n)
    vectors = {}
    for model, offset in (("iso", 0.0), ("aniso", 3.0)):
        v = {}
        for i in range(n):
            left = rng.normal(size=8)
            v[s1[i]] = left + offset
            v[s2[i]] = left * gold[i] / 5 + rng.normal(size=8) * (1 - gold[i] / 5) + offset
        vectors[model] = v
    calib = {m: rng.normal(size=(50, 8)) + np.r_[4.0, np.zeros(7)] for m in vectors}  # another distribution
    return _Exp({"S": _sts("S", s1, s2, list(gold))}, vectors), calib


@pytest.fixture
def centred(monkeypatch):
    from embedlab.analysis import calibration as dimension_scaling

    exp, calib = _centering_exp()
    monkeypatch.setattr(dimension_scaling, "evaluated_texts", lambda exp, tasks: set())
    monkeypatch.setattr(dimension_scaling, "calibration_vectors", lambda exp, m, c, ex: ([], calib[m]))
    p = {"models": ["iso", "aniso"], "calibration": "Cal", "centering": {"tasks": ["S"], "folds": 2, "seed": 0}}
    aniso, scores, items = ic.run_centering(exp, p)
    return exp, p, aniso, scores, items


def test_own_task_centring_is_cross_fitted_and_off_domain_raises_an_isotropic_models_anisotropy(centred):
    exp, p, aniso, scores, items = centred
    test = exp.task("S")["splits"]["test"]
    v = exp.vectors["iso"]
    fit = crossfit_centering([v[t] for t in test["sentence1"]], [v[t] for t in test["sentence2"]],
                             test["sentence1"], test["sentence2"], 2, 0)
    own = scores[(scores["model"] == "iso") & (scores["centering"] == "own")].iloc[0]
    from scipy.stats import spearmanr

    assert own["value"] == pytest.approx(spearmanr(test["score"], row_cosines(fit["first"], fit["second"]))[0])
    assert own["ci_low"] < own["value"] < own["ci_high"] and "cross-fitted" in own["calibration"]
    a = aniso.set_index("model")
    assert abs(a.loc["iso", "raw"]) < 0.1 and abs(a.loc["iso", "own"]) < 0.1
    assert a.loc["iso", "off-domain"] > a.loc["iso", "raw"] + 0.1  # a mean from other texts adds a direction
    assert a.loc["aniso", "raw"] > 0.5 > abs(a.loc["aniso", "own"])


def test_centering_table_records_and_text(centred):
    exp, p, aniso, scores, items = centred
    table = ic.centering_table(aniso, items, p, exp.bootstrap_settings)
    assert list(table.index) == [("aniso", "own"), ("aniso", "off-domain"), ("iso", "own"), ("iso", "off-domain")]
    row = table.loc[("iso", "own")]
    assert row["difference"] == pytest.approx(items["iso", "S", "own"].point() - items["iso", "S", "raw"].point())
    assert row["separated"] == (row["ci_low"] > 0 or row["ci_high"] < 0)
    rec = ic.centering_records(table)
    assert set(rec["metric"]) == {"sts_centered_minus_raw"} and set(rec["centering"]) == {"own", "off-domain"}
    an = ic.anisotropy_records(aniso, p)
    assert an.groupby("metric")["centering"].apply(set).to_dict() == {
        "anisotropy": {"raw"}, "anisotropy_centered": {"own", "off-domain"}}
    text = ic.centering_interpretation(table, "Cal")
    assert f"`iso` {table.loc[('iso', 'off-domain'), 'anisotropy raw']:.3f} → " in text  # raised by off-domain
    assert "own-task centring − raw" in text and "off-domain centring − raw" in text
    fig = ic.anisotropy_figure(table, ic.anisotropy_title(table))
    assert len(fig.axes) == 2


def _table(rows):
    cols = ["model", "centering", "anisotropy raw", "anisotropy centered", "difference", "ci_low", "ci_high", "separated"]
    return pd.DataFrame(rows, columns=cols).set_index(["model", "centering"])


CENTERING = _table([
    ("m1", "own", 0.60, 0.01, 0.020, 0.010, 0.030, True), ("m1", "off-domain", 0.60, 0.15, -0.030, -0.040, -0.020, True),
    ("m2", "own", 0.03, 0.00, 0.001, -0.002, 0.004, False), ("m2", "off-domain", 0.03, 0.15, -0.020, -0.030, -0.010, True)])


def test_anisotropy_title_counts_each_centring_separately():
    assert ic.anisotropy_title(CENTERING) == (
        "Random pairs of STS texts have mean cosine 0.03–0.60 (highest: m1); centring on the task's own held-out "
        "texts 0.00–0.01, STS measurably up for 1 and down for 0 of 2 models; on off-domain texts 0.15–0.15, STS "
        "measurably up for 0 and down for 2 of 2 models")


# ---- fidelity, polysemy, robustness text on hand-made tables

FID = pd.DataFrame({"auc": [0.73, 0.73, 0.62], "auc chance": 0.5, "same_median": [0.3, 0.3, 0.9],
                    "different_median": [0.1, 0.1, 0.85], "same_above": [0.05, 0.05, 0.9],
                    "different_below": [0.9, 0.9, 0.0]}, index=pd.Index(["st", "same", "glove"], name="model"))
THRESH = {"same_above": 0.8, "different_below": 0.3}
GROUPS = [{"models": ["st", "same"], "label": "st = same", "max_abs_difference": 2e-8, "tasks": 3, "tolerance": 1e-5}]
MOVES = pd.DataFrame([
    {"model": "st", "noise": "typo", "rate": 0.1, "clean_task": "S", "vector_move": 0.10, "random_pair_cosine": 0.0,
     "vector_move_relative": 0.10, "similarity_change": 0.30},
    {"model": "same", "noise": "typo", "rate": 0.1, "clean_task": "S", "vector_move": 0.10, "random_pair_cosine": 0.0,
     "vector_move_relative": 0.10, "similarity_change": 0.30},
    {"model": "glove", "noise": "typo", "rate": 0.1, "clean_task": "S", "vector_move": 0.02, "random_pair_cosine": 0.8,
     "vector_move_relative": 0.10, "similarity_change": 0.01},
    {"model": "glove", "noise": "typo", "rate": 0.2, "clean_task": "S", "vector_move": 0.05, "random_pair_cosine": 0.8,
     "vector_move_relative": 0.25, "similarity_change": 0.03}])
DROPS = pd.DataFrame([{"model": "st", "clean_task": "S", "noise": "typo", "rate": 0.1, "difference": -0.05,
                       "relative": -0.06, "ci_low": -0.08, "ci_high": -0.02, "separated": True}])


def test_fidelity_title_states_what_the_auc_means_and_names_coinciding_models_together():
    title = ir.fidelity_title(FID, THRESH, co.display_names(GROUPS))
    assert title.startswith("A random same-class pair has a higher cosine than a random different-class pair with "
                            "probability 0.62–0.73 (ROC AUC; chance 0.5, perfect 1; above chance for 3 of 3 models, "
                            "best st = same)")
    assert "fixed 0.8 / 0.3 thresholds" in title and "well" not in title


def test_headline_gives_auc_against_chance_and_both_readings_of_c09():
    own = CENTERING.xs("own", level="centering")
    assert ir.headline(FID, THRESH, CENTERING, MOVES, GROUPS) == (
        "A random same-class pair has a higher cosine than a random different-class pair with probability 0.62–0.73 "
        "across the 3 models (ROC AUC; chance 0.5, perfect 1), while fixed 0.8 / 0.3 thresholds pass 0 of 3 models; "
        f"random-pair cosine {own['anisotropy raw'].min():.2f}–0.60, 0.00–0.01 after centring on the task's own "
        "held-out texts; 10% noise moves a text's vector by 2.0%–10.0% (1 − cos; 10%–10% of the distance between "
        "random texts) and changes pair similarities by 1.0%–30.0%; st and same give identical vectors.")


def test_interpretation_names_the_group_and_states_both_readings():
    poly = pd.DataFrame({"auc chance": 0.5, "sentence auc": [0.7, 0.7, 0.6]}, index=["st", "same", "glove"])
    text = ir.interpretation(FID, THRESH, CENTERING, "Cal", poly, MOVES, DROPS, GROUPS)
    assert text.startswith("**Coinciding models.** `st` and `same` produce the same vectors")
    assert "(best `st = same` 0.73, last `glove` 0.62)" in text
    assert "the probability that a random same-class pair has a higher cosine than a random different-class pair; " \
           "0.5 = no separation, 1 = perfect" in text
    assert "puts a different-class pair above a same-class pair 27% of the time" in text
    assert "cosine AUC of sentence vectors (chance 0.5): `st = same` 0.70, `glove` 0.60." in text  # the group once
    assert "how far a text's vector moves, 1 − cos(original, noisy), 2.0%–10.0% (3 of 3 cells under 15%)" in text
    assert "similarity between two texts changes (mean |s' − s| / |s| over pairs), 1.0%–30.0% (1 of 3 under 15%)" in text
    assert "largest 10.0%, `st = same`" in text
    assert "the largest drop is `st = same` on S with typo: -0.050 [-0.080, -0.020] (-6.0%)" in text


def test_robustness_title_records_and_table():
    title = ir.robustness_title(MOVES, DROPS, co.display_names(GROUPS))
    assert title == ("At 10% noise a text's vector moves 2.0%–10.0% (1 − cos; largest st = same, typo), 10%–10% of the "
                     "distance between random texts, and pair similarities change by 1%–30%; 1 of 1 noisy test sets score "
                     "measurably below their clean version")
    moves = MOVES.assign(task="S-noisy-typo10", measured_rate=0.1, cosine_orig_noisy=1 - MOVES["vector_move"],
                         similarity_abs_change=0.0)
    rec = ir.robustness_records(moves)
    assert set(rec["metric"]) == set(ir.ROBUSTNESS_METRICS)
    assert rec[rec["main"]]["metric"].unique().tolist() == ["similarity_change"]
    assert len(ir.robustness_table(moves)) == 3  # the 10% rows only


def test_robustness_measures_the_move_against_the_random_pair_distance_by_hand():
    orig = [[1, 0], [0.8, 0.6], [0.6, 0.8]]
    noisy = [[1, 0], [0.6, 0.8], [0.6, 0.8]]
    got = robustness(orig, noisy)
    assert got["vector_move"] == pytest.approx(1 - (1 + 0.96 + 1) / 3)
    assert got["random_pair_cosine"] == pytest.approx((0.8 + 0.6 + 0.96) / 3)
    assert got["vector_move_relative"] == pytest.approx(got["vector_move"] / (1 - (0.8 + 0.6 + 0.96) / 3))


def test_chance_levels_sit_next_to_every_auc():
    frame = pd.DataFrame({"model": ["m"], "task": ["T"], "task_type": ["classification"], "language": ["en"],
                          "auc": [0.7], "same_median": [0.3], "different_median": [0.1], "same_above": [0.1],
                          "different_below": [0.9]})
    assert ir.fidelity_table(frame).loc["m", "auc chance"] == 0.5
    rec = ir.fidelity_records(frame, THRESH)
    assert rec.set_index("metric").loc["fidelity_auc", "chance"] == 0.5
    assert rec.set_index("metric")["chance"].drop("fidelity_auc").isna().all()
    sentence = pd.DataFrame([{"model": "m", "metric": "polysemy_auc", "value": 0.6, "vectors": "sentence"},
                             {"model": "m", "metric": "polysemy_nn_accuracy", "value": 0.5, "vectors": "sentence"}])
    assert ir.polysemy_records(sentence, pd.DataFrame()).set_index("metric")["chance"].to_dict()["polysemy_auc"] == 0.5
    table = ir.polysemy_table(sentence, pd.DataFrame(columns=sentence.columns))
    assert table.loc["m", "auc chance"] == 0.5
    assert ir.polysemy_title(table) == ("Sentence vectors rank same-sense pairs of a word above different-sense pairs "
                                        "with AUC 0.60–0.60 (chance 0.5; above it for 1 of 1 models)")


def test_mteb_scores_sts_pairs_in_the_prepared_order(tmp_path):
    """run_centering pairs its own cross-fitted cosines with mteb's gold by position: mteb must keep the order."""
    from embedlab.evaluate import score_task
    from embedlab.store import LookupEncoder, save_embeddings

    rng = np.random.default_rng(5)
    s1, s2 = [f"left {i}" for i in range(12)], [f"right {i}" for i in range(12)]
    vectors = rng.normal(size=(24, 4)).astype(np.float32)
    save_embeddings(tmp_path, "toy", "Toy", "query", s1 + s2, vectors, {"task_checksum": "sum", "model_fingerprint": "v1"})
    task = {"name": "Toy", "type": "sts", "language": "en", "checksum": "sum", "main_score": "cosine_spearman",
            "splits": {"test": {"sentence1": s1, "sentence2": s2, "score": list(rng.uniform(0, 5, 12))}}}
    _, items = score_task(task, LookupEncoder(tmp_path, "toy", "Toy"), "toy")
    np.testing.assert_allclose(items.data["cosine"], row_cosines(vectors[:12], vectors[12:]), atol=1e-5)
    np.testing.assert_allclose(np.argsort(items.data["gold"]), np.argsort(task["splits"]["test"]["score"]))
