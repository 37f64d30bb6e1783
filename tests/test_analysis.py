"""The shared result helpers and experiment 01's tables, on constructed records with hand-computed means."""

from __future__ import annotations

import pandas as pd
import pytest

from embedlab.analysis import architecture_comparison as arch
from embedlab.analysis.results import english_mean, score_table, summary, type_means


def rec(model, task, task_type, value, language="en", main=True, metric="m"):
    return {"model": model, "task": task, "task_type": task_type, "language": language, "metric": metric,
            "value": value, "main": main}


@pytest.fixture
def results():
    return pd.DataFrame([
        rec("a", "S1", "sts", 0.8), rec("a", "S2", "sts", 0.6), rec("a", "C", "classification", 0.5),
        rec("a", "Z", "sts", 0.9, language="zh"), rec("a", "R", "robustness", 0.1),
        rec("a", "S1", "sts", 0.99, main=False, metric="cosine_pearson"),
        rec("b", "S1", "sts", 0.4), rec("b", "S2", "sts", 0.2), rec("b", "C", "classification", 0.9),
        rec("b", "Z", "sts", 0.1, language="zh"), rec("b", "R", "robustness", 0.9),
    ])


def test_english_mean_skips_side_metrics_intrinsic_rows_and_other_languages(results):
    mean = english_mean(results)
    assert mean["a"] == pytest.approx((0.8 + 0.6 + 0.5) / 3)
    assert mean["b"] == pytest.approx((0.4 + 0.2 + 0.9) / 3)
    assert list(mean.index) == ["a", "b"]  # best first


class _TaskTypes:
    """Stands in for an Experiment: ``tasks`` and ``task`` read a dict of prepared task types."""

    def __init__(self, types):
        self.types = types

    def tasks(self, wanted):
        return list(self.types) if wanted is None else list(wanted)

    def task(self, name):
        return {"type": self.types[name]}


def test_experiment_01_scores_only_tasks_with_a_main_score():
    exp = _TaskTypes({"S": "sts", "R": "robustness", "C": "classification", "P": "polysemy", "B": "bitext_mining"})
    assert arch.scored_tasks(exp, None) == ["S", "C", "B"]
    assert arch.scored_tasks(exp, ["P", "C"]) == ["C"]


def test_type_means_orders_types_and_keeps_cross_lingual_apart(results):
    table = type_means(results, ["b", "a"])
    assert list(table.columns) == ["sts", "classification", "cross-lingual"]
    assert list(table.index) == ["b", "a"]
    assert table.loc["a", "sts"] == pytest.approx(0.7) and table.loc["b", "cross-lingual"] == pytest.approx(0.1)


def test_score_table_puts_cross_lingual_tasks_last(results):
    assert list(score_table(results, ["a", "b"]).columns) == ["S1", "S2", "C", "Z"]


def test_summary_is_the_metrics_block(results):
    block = summary(results, ["a", "b"])
    assert block["a"]["english_mean"] == pytest.approx(0.6333, abs=1e-4) and "robustness" not in block["a"]


def test_pooling_table_and_titles(results):
    by_type = type_means(results, ["a", "b"])
    pooling = arch.pooling_table(by_type, {"W": {"first": "a", "second": "b", "absent": "c"}})
    assert list(pooling.columns) == ["W: first", "W: second"]
    # means over task types: a (0.7 + 0.5 + 0.9) / 3 = 0.7, b (0.3 + 0.9 + 0.1) / 3 = 0.433
    assert arch.pooling_title(pooling, "W") == "W: first highest, second lowest, 0.267 apart (mean over task types)"


def test_speed_frame_and_baseline_line(results):
    throughput = {"models": {"a": {"texts_per_second": 100.0}, "b": {"texts_per_second": 400.0}},
                  "baseline": {"model": "a", "texts_per_second": 80.0, "repeats": 3, "ratio_embedlab_to_plain": 1.25}}
    frame = arch.speed_frame(results, throughput, {"a": "contrastive", "b": "static"})
    assert list(frame["model"]) == ["a", "b"] and list(frame["texts_per_second"]) == [100.0, 400.0]
    assert arch.speed_title(frame) == "b encodes 4× faster than a at -0.133 mean score"
    assert "ratio 1.25" in arch.baseline_line(throughput)


def test_a_win_is_claimed_only_where_the_paired_interval_excludes_zero():
    separated = pd.DataFrame([
        {"better": "a", "worse": "b", "difference": 0.05, "ci_low": 0.02, "ci_high": 0.08, "separated": True},
        {"better": "b", "worse": "c", "difference": 0.01, "ci_low": -0.01, "ci_high": 0.03, "separated": False}])
    assert arch.ranking_sentences(separated) == [
        "`a` beats `b` (+0.050 [+0.020, +0.080])", "`b` is not separated from `c` (+0.010 [-0.010, +0.030])"]


def test_interval_text_table_marks_na_and_labels_tasks():
    table = pd.DataFrame({"S1-sample": [0.8, float("nan")]}, index=["a", "b"])
    low = pd.DataFrame({"S1-sample": [0.7, float("nan")]}, index=["a", "b"])
    high = pd.DataFrame({"S1-sample": [0.9, float("nan")]}, index=["a", "b"])
    out = arch.interval_text_table(table, low, high, {"S1-sample": "S1 (300 of 900 pairs)"})
    assert out.loc["S1 (300 of 900 pairs)", "a"] == "0.800 [0.700, 0.900]"
    assert out.loc["S1 (300 of 900 pairs)", "b"] == "N/A"


def test_chance_table_puts_the_floor_under_the_scores():
    rows = pd.DataFrame([
        rec("a", "K", "clustering", 0.5), rec("b", "K", "clustering", 0.3),
        rec("a", "K", "clustering", 0.2, main=False, metric="v_measure_chance"),
        rec("b", "K", "clustering", 0.2, main=False, metric="v_measure_chance")])
    table = arch.chance_table(rows, ["a", "b"])
    assert list(table.index) == ["a", "b", "(chance level)"] and table.loc["(chance level)", "K"] == pytest.approx(0.2)


# -- models that give the same vectors count once ------------------------------------------------------

SAME = [{"models": ["a", "a2"], "label": "a = a2", "max_abs_difference": 3e-8, "tasks": 2, "tolerance": 1e-5}]


def test_coinciding_models_are_one_entry_of_the_ranking():
    ranking, names = arch.merged_ranking(["b", "a2", "a", "c"], SAME)
    assert ranking == ["b", "a2", "c"]  # the better-ranked member stands for the group
    separated = pd.DataFrame([{"better": "b", "worse": "a2"}, {"better": "a2", "worse": "c"}])
    assert arch.named(separated, names).to_dict(orient="list") == {"better": ["b", "a = a2"], "worse": ["a = a2", "c"]}
    assert arch.merged_ranking(["b", "a"], None) == (["b", "a"], {})


def test_headline_and_interpretation_name_coinciding_models_together(results):
    both = pd.concat([results, results[results["model"] == "a"].assign(model="a2")], ignore_index=True)
    separated = pd.DataFrame([{"better": "a = a2", "worse": "b", "difference": 0.1, "ci_low": 0.05, "ci_high": 0.15,
                               "separated": True}])
    line = arch.headline(both, separated, SAME)
    assert "top three: a = a2 0.633" in line and line.count("a2") == 2  # one entry, and the note on it
    assert "1 of 1 adjacent pairs of the full ranking (a = a2: identical vectors, one entry) are separated" in line
    pooling = pd.DataFrame([{"group": "W", "best": "x", "variant": "y", "best model": "a", "variant model": "a2",
                             "difference": 0.0, "ci_low": -0.001, "ci_high": 0.001, "separated": False}])
    text = arch.interpretation(both, {"a": "contrastive", "a2": "bert", "b": "static"}, {}, separated,
                               pd.DataFrame(), pooling, groups=SAME)
    assert "`a` and `a2` produce the same vectors" in text and "counts each such group once" in text
    assert "**Overall (mean main score over 3 English tasks, 95% interval):** `a = a2` (contrastive)" in text
    assert "bert: `a = a2`" in text  # the other family's best is the same model: named as the group
    assert "x − y +0.000 [-0.001, +0.001] (not separated) (the same vectors)" in text


class _Compare:
    def compare(self, a, b, tasks):
        return {"difference": 0.01, "ci_low": -0.01, "ci_high": 0.03}


def test_type_leaders_never_pits_a_model_against_its_copy(results):
    both = pd.concat([results, results[results["model"] == "b"].assign(model="b2")], ignore_index=True)
    groups = [{"models": ["b", "b2"], "label": "b = b2", "max_abs_difference": 0.0, "tasks": 2, "tolerance": 1e-5}]
    leaders = arch.type_leaders(_Compare(), both, ["a", "b", "b2"], groups).set_index("task type")
    # classification: b 0.9 = b2 0.9 > a 0.5 -> the leader is the group, the runner-up a (not b2)
    assert leaders.loc["classification", "leader"] == "b = b2" and leaders.loc["classification", "runner-up"] == "a"


def test_headline_pins_the_ranking_with_intervals_and_the_separated_count():
    # four English tasks per model, each interval ±0.02: the mean's interval is ±0.02 / sqrt(4) = ±0.01
    rows = [dict(rec(m, f"T{i}", "sts", v), ci_low=v - 0.02, ci_high=v + 0.02)
            for m, values in (("a", (0.8, 0.6, 0.7, 0.5)), ("b", (0.5,) * 4), ("c", (0.2,) * 4))
            for i, v in enumerate(values)]
    separated = pd.DataFrame([{"better": "a", "worse": "b", "separated": True},
                              {"better": "b", "worse": "c", "separated": False}])
    assert arch.headline(pd.DataFrame(rows), separated) == (
        "Mean main score over 4 English tasks (95% interval), top three: a 0.650 [0.640, 0.660]; b 0.500 [0.490, "
        "0.510]; c 0.200 [0.190, 0.210]; 1 of 2 adjacent pairs of the full ranking are separated by a paired bootstrap.")
