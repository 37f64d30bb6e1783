"""Claim verdicts follow the numbers: the same rule gives 'supported' or 'contradicted' as values cross
the article's thresholds, and a claim whose evidence was not run is 'not testable here'."""

import pandas as pd

from embedlab.claims import CLAIMS, assess_c05, assess_c07, assess_c12, ledger


def _frame(rows):
    base = {"task_type": "sts", "language": "en", "main": True}
    return pd.DataFrame([dict(base, **r) for r in rows])


FAMILIES = {"sbert": "contrastive", "glove": "static"}


def test_c05_threshold():
    def run(score):
        return assess_c05(_frame([{"model": "sbert", "task": "STSBenchmark", "metric": "cosine_spearman",
                                   "value": score}]), FAMILIES)[0]
    assert run(0.93) == "supported"
    assert run(0.834) == "contradicted"


def test_c07_needs_both_thresholds():
    def run(same, diff):
        rows = [{"model": "sbert", "task": "T", "metric": "class_cosine_same", "value": same, "main": False},
                {"model": "sbert", "task": "T", "metric": "class_cosine_different", "value": diff, "main": False}]
        return assess_c07(_frame(rows), FAMILIES)[0]
    assert run(0.85, 0.2) == "supported"
    assert run(0.85, 0.5) == "contradicted"
    assert run(0.3, 0.1) == "contradicted"


def test_c12_silhouette_threshold():
    def run(sil):
        rows = [{"model": "sbert", "task": "TwentyNewsgroupsClustering", "metric": "silhouette", "value": sil},
                {"model": "sbert", "task": "TwentyNewsgroupsClustering", "metric": "davies_bouldin", "value": 4.0}]
        return assess_c12(_frame(rows), FAMILIES)[0]
    assert run(0.7) == "supported"
    assert run(0.03) == "contradicted"


def test_every_claim_gets_a_verdict_and_missing_evidence_is_not_testable():
    rows = ledger(_frame([{"model": "glove", "task": "X", "metric": "cosine_spearman", "value": 0.5}]), FAMILIES)
    assert [r["id"] for r in rows] == [f"C{i:02d}" for i in range(1, 25)] == [c.id for c in CLAIMS]
    assert {r["verdict"] for r in rows} <= {"supported", "contradicted", "partly", "not testable here"}
    c05 = next(r for r in rows if r["id"] == "C05")
    assert c05["verdict"] == "not testable here" and "no contrastive model" in c05["evidence"]
