"""The validation table: PASS / FAIL by the tolerance, protocol differences marked not comparable,
failures kept, every published score cited, bad runs params rejected before any work."""

import pandas as pd
import pytest

from embedlab.analysis.validation import (PUBLISHED, check_runs, figure_title, interpretation, status_counts,
                                          validation_table)
from embedlab.errors import EmbedlabError


def _records(rows):
    base = {"language": "en", "main": True}
    return pd.DataFrame([dict(base, **r) for r in rows])


PUB = pd.DataFrame([
    {"model": "all-MiniLM-L6-v2", "task": "STSBenchmark", "metric": "cosine_spearman", "published": 0.80, "source": "s1"},
    {"model": "all-MiniLM-L6-v2", "task": "SciFact", "metric": "ndcg_at_10", "published": 0.64, "source": "s2"},
    {"model": "all-MiniLM-L6-v2", "task": "STS12", "metric": "cosine_spearman", "published": 0.72, "source": "s3"},
    {"model": "multilingual-e5-small-q4", "task": "STSBenchmark", "metric": "cosine_spearman", "published": 0.83,
     "source": "s4"},
])


def test_status_follows_tolerance_and_protocol():
    results = _records([
        {"model": "all-MiniLM-L6-v2", "task": "STSBenchmark", "task_type": "sts", "metric": "cosine_spearman",
         "value": 0.805, "ci_low": 0.78, "ci_high": 0.83},
        {"model": "all-MiniLM-L6-v2", "task": "STSBenchmark", "task_type": "sts", "metric": "cosine_pearson",
         "value": 0.1, "main": False},
        {"model": "all-MiniLM-L6-v2", "task": "SciFact", "task_type": "retrieval", "metric": "ndcg_at_10", "value": 0.60},
        {"model": "all-MiniLM-L6-v2", "task": "STS12", "task_type": "sts", "metric": "cosine_spearman", "value": 0.60},
        {"model": "multilingual-e5-small-q4", "task": "STSBenchmark", "task_type": "sts", "metric": "cosine_spearman",
         "value": 0.8425},
        {"model": "all-MiniLM-L6-v2", "task": "MRPC", "task_type": "pair_classification", "metric": "max_ap",
         "value": 0.9},  # no published score: not in the table
    ])
    table = validation_table(results, {"default": 0.01, "multilingual-e5-small-q4": 0.02},
                             caps={("all-MiniLM-L6-v2", "SciFact"): 128, ("all-MiniLM-L6-v2", "STS12"): 128}, published=PUB).set_index(["model", "task"])
    assert len(table) == 4
    mini = table.loc[("all-MiniLM-L6-v2", "STSBenchmark")]
    assert mini["status"] == "PASS" and mini["difference"] == pytest.approx(0.005)
    assert (mini["ci_low"], mini["ci_high"]) == (0.78, 0.83)
    scifact = table.loc[("all-MiniLM-L6-v2", "SciFact")]
    assert scifact["status"] == "FAIL" and scifact["difference"] == pytest.approx(-0.04)
    assert "token cap 128 < MTEB's 256" in scifact["reason"]
    sts12 = table.loc[("all-MiniLM-L6-v2", "STS12")]
    assert sts12["status"] == "not comparable" and "MSRvid" in sts12["reason"]
    e5 = table.loc[("multilingual-e5-small-q4", "STSBenchmark")]
    assert e5["status"] == "PASS" and e5["tolerance"] == 0.02 and "4-bit" in e5["reason"]
    assert status_counts(table) == {"PASS": 2, "FAIL": 1, "not comparable": 1}
    assert figure_title(table.reset_index()) == ("2 of 3 comparable scores reproduce MTEB's within ±0.010 / 0.020 "
                                                 "(1 not comparable)")
    text = interpretation(table.reset_index())
    assert "**FAIL** `all-MiniLM-L6-v2` on SciFact: 0.6000 vs published 0.6400 (-0.0400" in text


def test_just_outside_tolerance_fails():
    results = _records([{"model": "all-MiniLM-L6-v2", "task": "STSBenchmark", "task_type": "sts",
                         "metric": "cosine_spearman", "value": 0.8101}])
    assert validation_table(results, 0.01, published=PUB)["status"].tolist() == ["FAIL"]


def test_no_overlap_is_an_error():
    results = _records([{"model": "glove-6b-50d", "task": "STSBenchmark", "task_type": "sts",
                         "metric": "cosine_spearman", "value": 0.4}])
    with pytest.raises(EmbedlabError, match="no scored"):
        validation_table(results, 0.01, published=PUB)


def test_every_published_score_is_cited_and_on_the_0_1_scale():
    assert PUBLISHED["source"].str.match(
        r"https://github.com/embeddings-benchmark/results/blob/[0-9a-f]{40}/results/.+\.json$").all()
    assert PUBLISHED["published"].between(0, 1).all()
    assert not PUBLISHED.duplicated(["model", "task", "metric"]).any()
    # MTEB's STSBenchmark is the same file for the en subset of STSBenchmarkMultilingualSTS: one source per row
    mini = PUBLISHED.set_index(["model", "task"]).loc[("all-MiniLM-L6-v2", "STSBenchmark")]
    assert mini["metric"] == "cosine_spearman" and mini["published"] == pytest.approx(0.8203, abs=1e-4)


def test_check_runs_rejects_bad_params_with_the_fix():
    registry = {"all-MiniLM-L6-v2": {}, "glove-6b-50d": {}}
    tasks, full = ["STSBenchmark", "MRPC", "STS13"], ["STSBenchmark", "MRPC"]
    assert check_runs({"all-MiniLM-L6-v2": ["STSBenchmark"]}, registry, tasks, full) == {
        "all-MiniLM-L6-v2": ["STSBenchmark"]}
    with pytest.raises(EmbedlabError, match="unknown model 'nope'"):
        check_runs({"nope": ["STSBenchmark"]}, registry, tasks, full)
    with pytest.raises(EmbedlabError, match="not prepared at full size"):
        check_runs({"all-MiniLM-L6-v2": ["STS13"]}, registry, tasks, full)
    with pytest.raises(EmbedlabError, match="not in data.tasks"):
        check_runs({"all-MiniLM-L6-v2": ["STS14"]}, registry, tasks, full)
    with pytest.raises(EmbedlabError, match="no published MTEB score for all-MiniLM-L6-v2 on MRPC"):
        check_runs({"all-MiniLM-L6-v2": ["MRPC"]}, registry, tasks, full)
    with pytest.raises(EmbedlabError, match="must map model ids"):
        check_runs([], registry, tasks, full)


def test_default_params_runs_are_valid(repo_params):
    data = repo_params["data"]
    runs = check_runs(repo_params["validation"]["runs"], repo_params["models"], data["tasks"], data["full_size"])
    assert "Banking77Classification" in runs["all-MiniLM-L6-v2"]
    assert list(repo_params["experiments"])[0] == "validation"


def test_a_cell_that_is_not_a_measurement_is_not_a_failure():
    results = _records([{"model": "all-MiniLM-L6-v2", "task": "STSBenchmark", "task_type": "sts",
                         "metric": "cosine_spearman", "value": float("nan"),
                         "na_reason": "English-only model on zh text: 60% of tokens are [UNK]"}])
    row = validation_table(results, 0.01, published=PUB).iloc[0]
    assert row["status"] == "not comparable" and row["reason"].startswith("N/A: English-only")
