"""Claim verdicts follow the numbers: every verdict rule gets constructed inputs for each verdict it can
give (never the committed numbers), and a claim whose evidence was not run is 'not testable here'."""

import pandas as pd

from embedlab.analysis.architecture_comparison.claims import assess_c05, assess_c12
from embedlab.analysis.dimension_scaling.claims import assess_c08, assess_c17
from embedlab.analysis.intrinsic_robustness.claims import assess_c01, assess_c07, assess_c09
from embedlab.analysis.quantization_tradeoffs.claims import assess_c18, assess_c19, assess_c20, assess_c23
from embedlab.claims import VERDICTS, experiment_claims, ledger
from embedlab.params import experiments, load_params

CLAIMS = experiment_claims(experiments(load_params()))


def _p(extras):
    """The one experiment's payload of ``{experiment: payload}`` (what a rule of that experiment reads)."""
    return next(iter(extras.values()))


def _frame(rows):
    base = {"task_type": "sts", "language": "en", "main": True, "experiment": "01_x"}
    return pd.DataFrame([dict(base, **r) for r in rows])


FAMILIES = {"sbert": "contrastive", "sbert2": "contrastive", "glove": "static", "bert": "bert"}


def _sts(model, score, task="STSBenchmark", **extra):
    return dict({"model": model, "task": task, "metric": "cosine_spearman", "value": score}, **extra)


def test_c05_supported_or_not_reached_and_full_size_preferred():
    assert assess_c05(_frame([_sts("sbert", 0.93)]), FAMILIES)[0] == "supported"
    verdict, text = assess_c05(_frame([_sts("sbert", 0.834), _sts("sbert2", 0.82)]), FAMILIES)
    assert verdict == "not reached by the tested models"
    assert "full STS-B test set" in text and "`sbert` 0.834, `sbert2` 0.820" in text
    # a 0.95 on a 300-pair sample does not override the same model's full-size 0.83
    rows = [_sts("sbert", 0.95, task="STSBenchmark-sample", experiment="01_x"),
            _sts("sbert", 0.83, experiment="00_validation")]
    assert assess_c05(_frame(rows), FAMILIES)[0] == "not reached by the tested models"
    # only a sample: said so, with its size from the records
    verdict, text = assess_c05(_frame([_sts("sbert", 0.85, task="STSBenchmark-sample", n_used=300)]), FAMILIES)
    assert "a 300-pair sample" in text
    # full-size and sample-only models are never listed as one ranking; the verdict reads full size
    rows = [_sts("sbert", 0.83), _sts("sbert2", 0.95, task="STSBenchmark-sample", n_used=300)]
    verdict, text = assess_c05(_frame(rows), FAMILIES)
    assert verdict == "not reached by the tested models"
    assert "full STS-B test set: `sbert` 0.830; on a 300-pair sample of the STS-B test set only" in text
    # static models are not Sentence-BERT: nothing to assess
    assert assess_c05(_frame([_sts("glove", 0.95)]), FAMILIES)[0] == "not testable here"


def test_c07_c08_c09_read_only_experiments_02_and_04():
    """Experiment 01 no longer computes intrinsic side rows: without experiment 04's (or 02's) measurement
    these claims are not testable, whatever per-task rows the results hold."""
    rows = _frame([_sts("sbert", 0.8),
                   {"model": "sbert", "task": "T", "metric": "class_cosine_same", "value": 0.9, "main": False},
                   {"model": "sbert", "task": "T", "metric": "class_cosine_different", "value": 0.1, "main": False},
                   {"model": "sbert", "task": "T", "metric": "pca_variance_top20", "value": 0.9, "main": False},
                   {"model": "sbert", "task": "RobustnessWordOrder", "task_type": "robustness",
                    "metric": "cosine_orig_noisy", "value": 0.95, "main": False}])
    verdicts = {r["id"]: r for r in ledger(rows, FAMILIES)}  # each rule sees its own experiment's records only
    for claim in ("C07", "C08", "C09"):
        assert verdicts[claim]["verdict"] == "not testable here"
    for assess, where in ((assess_c07, "04_intrinsic_robustness"), (assess_c09, "04_intrinsic_robustness")):
        verdict, text = assess(rows, FAMILIES, experiment=where)
        assert verdict == "not testable here" and where in text


def _exp02(model, dim, quality, top20):
    base = {"experiment": "02_dimension_scaling", "dim": dim, "method": "native"}
    return [dict(_sts(model, quality, task="STSBenchmark-sample"), **base),
            dict({"model": model, "task": "Cal", "task_type": "intrinsic", "metric": "pca_variance_top20",
                  "value": top20, "main": False}, **base)]


def test_c08_from_experiment_02_compares_models_of_equal_dimension():
    rows = _exp02("sbert", 384, 0.80, 0.40) + _exp02("sbert2", 384, 0.70, 0.90) + _exp02("glove", 50, 0.40, 0.95)
    verdict, text = assess_c08(_frame(rows), FAMILIES)
    assert verdict == "contradicted" and "best model `sbert`" in text
    assert "384 dims: `sbert` 0.800 / 40%, `sbert2` 0.700 / 90%" in text and "50 dims" not in text
    rows = _exp02("sbert", 384, 0.80, 0.88) + _exp02("glove", 50, 0.40, 0.95)
    assert assess_c08(_frame(rows), FAMILIES)[0] == "supported"


def _pair(difference, low, high):
    return {"02_dimension_scaling": {
        "same_recipe": [{"large model": "big · native · 768", "large": "big", "method": "native", "dim": 768,
                         "small": "small", "small dim": 384, "mean (large)": 0.8, "mean (small)": 0.75,
                         "difference": difference, "ci_low": low, "ci_high": high,
                         "separated": low > 0 or high < 0, "tasks": "A, B, C"}],
        "zoo": [{"model": "big", "texts/s": 70.0}, {"model": "small", "texts/s": 400.0}]}}


def test_c17_tests_the_384_to_768_step_and_says_the_claimed_step_is_not_testable():
    verdict, text = assess_c17(_frame([]), FAMILIES, payload=_p(_pair(0.05, 0.02, 0.08)))
    assert verdict == "partly" and "768->1024 step is not testable" in text and "`small` -> `big`" in text
    assert "+6.7%" in text and "82% slower" in text and "3 tasks" in text
    assert assess_c17(_frame([]), FAMILIES, payload=_p(_pair(0.01, -0.01, 0.03)))[0] == "contradicted"
    assert assess_c17(_frame([]), FAMILIES)[0] == "not testable here"


def test_c10_is_not_decided_by_a_probe_from_the_test_split():
    rows = _frame([{"model": "sbert", "task": "NewsClassification", "task_type": "classification",
                    "metric": "accuracy", "value": 0.95}])
    c10 = next(r for r in ledger(rows, FAMILIES) if r["id"] == "C10")
    assert c10["verdict"] == "not testable here" and "test split" in c10["evidence"]


def _clu(model, metric, value, task="TwentyNewsgroupsClustering"):
    return {"model": model, "task": task, "task_type": "clustering", "metric": metric, "value": value, "main": False}


def test_c12_uses_kmeans_and_gold_silhouette_and_names_subject_lines():
    verdict, text = assess_c12(_frame([_clu("sbert", "silhouette", 0.03), _clu("sbert", "kmeans_silhouette", 0.65),
                                       _clu("sbert", "davies_bouldin", 4.0)]), FAMILIES)
    assert verdict == "supported" and "k-means clusters" in text and "subject lines" in text
    verdict, text = assess_c12(_frame([_clu("sbert", "silhouette", 0.03, task="TwentyNewsgroupsClustering-sample"),
                                       _clu("sbert", "kmeans_silhouette", 0.06),
                                       _clu("sbert", "davies_bouldin", 4.0)]), FAMILIES)
    assert verdict == "contradicted" and "at most 0.060" in text and "at most 0.030" in text and "4.00 to 4.00" in text
    # without the k-means record the gold-label silhouette still decides
    assert assess_c12(_frame([_clu("sbert", "silhouette", 0.7)]), FAMILIES)[0] == "supported"
    assert assess_c12(_frame([_sts("sbert", 0.8)]), FAMILIES)[0] == "not testable here"


def test_every_claim_gets_a_verdict_and_missing_evidence_is_not_testable():
    rows = ledger(_frame([{"model": "glove", "task": "X", "metric": "cosine_spearman", "value": 0.5}]), FAMILIES)
    assert [r["id"] for r in rows] == [f"C{i:02d}" for i in range(1, 25)] == [c.id for c in CLAIMS]
    assert {r["verdict"] for r in rows} <= set(VERDICTS)
    c05 = next(r for r in rows if r["id"] == "C05")
    assert c05["verdict"] == "not testable here" and "no contrastive model" in c05["evidence"]


def _weights(*rows):
    return {"03_quantization_tradeoffs": {"weights": [
        {"model": m, "precision": p, "reference": "fp", "size ratio": size, "speed-up": speed, "retention": ret,
         "sparsity": sparsity, "difference": ret - 1, "ci_low": ret - 1.02, "ci_high": ret - 0.98,
         "separated": abs(ret - 1) > 0.02} for m, p, size, speed, ret, sparsity in rows]
        + [{"model": "fp", "precision": "fp32", "reference": "", "size ratio": None}]}}


def test_c18_needs_all_three_parts_for_support():
    full = _weights(("m-int8", "onnx-int8", 3.9, 3.0, 0.99, 0.0))
    assert assess_c18(_frame([]), FAMILIES, payload=_p(full))[0] == "supported"
    verdict, text = assess_c18(_frame([]), FAMILIES, payload=_p(_weights(("m-int8", "torch-dynamic-int8", 2.5, 1.4, 0.995, 0.0))))
    assert verdict == "partly" and "2.5x smaller, 1.4x the texts/s, quality -0.5%" in text
    ranged = _weights(("m-int8", "torch-dynamic-int8", 2.5, 2.1, 0.995, 0.0))
    ranged["03_quantization_tradeoffs"]["weights"][0].update({"speed-up min": 1.7, "speed-up max": 2.5,
                                                             "size against": "`fp`'s state dict"})
    text = assess_c18(_frame([]), FAMILIES, payload=_p(ranged))[1]
    assert "2.5x smaller (against `fp`'s state dict), 2.1x (1.7–2.5) the texts/s" in text
    assert assess_c18(_frame([]), FAMILIES, payload=_p(_weights(("m-int8", "onnx-int8", 1.0, 1.0, 0.5, 0.0))))[0] == "contradicted"
    assert assess_c18(_frame([]), FAMILIES)[0] == "not testable here"


def test_c19_reads_distilled_students_latency_as_one_minus_inverse_speedup():
    verdict, text = assess_c19(_frame([]), FAMILIES, payload=_p(_weights(("s64", "static, distilled", 20, 10.0, 0.85, 0.0))))
    assert verdict == "partly" and "90% less time per text" in text and "85.0%" in text  # 1 - 1/10


def test_c20_names_the_skew_from_which_the_claim_holds():
    rows = [{"skew": s, "hit rate": h, "speed-up": x, "cpu ms/query with": 10 * (1 - c), "cpu ms/query without": 10.0,
             "maxsize": 256, "model": "m", "queries": 500, "cache": state, "unseen share": u}
            for s, h, x, c, state, u in [(0.5, 0.2, 1.2, 0.15, "warm", 0.0), (1.2, 0.85, 5.5, 0.8, "warm", 0.0),
                                         (1.2, 0.9, 9.0, 0.9, "cold", 0.0)]]
    extras = {"03_quantization_tradeoffs": {"cache": rows, "cache_hit_rate_for_x5": {"value": 0.81, "min": 0.8, "max": 0.83}}}
    verdict, text = assess_c20(_frame([]), FAMILIES, payload=_p(extras))
    assert verdict == "partly" and "from skew 1.2 (hit rate 85%)" in text and "x9.0" not in text  # warm streams only
    assert "x5 needs a hit rate of 81% (80%–83% over repeats)" in text and "CPU -80%" in text
    verdict, _ = assess_c20(_frame([]), FAMILIES, payload=_p({"03_quantization_tradeoffs": {"cache": rows[:1]}}))
    assert verdict == "contradicted"


def test_c23_decides_on_the_most_pruned_variant():
    ok = _weights(("p30", "fp32, 30% of Linear weights pruned", 1, 1, 0.999, 0.3),
                  ("p65", "fp32, 65% of Linear weights pruned", 1, 1, 0.995, 0.65))
    assert assess_c23(_frame([]), FAMILIES, payload=_p(ok))[0] == "supported"
    bad = _weights(("p65", "fp32, 65% of Linear weights pruned", 1, 1, 0.80, 0.65))
    bad["03_quantization_tradeoffs"]["weights"][0]["parameter sparsity"] = 0.30
    verdict, text = assess_c23(_frame([]), FAMILIES, payload=_p(bad))
    assert verdict == "contradicted" and "loss is 20.0%" in text
    assert "65% of the Linear weights = 30% of all parameters" in text and "one-shot" in text
    assert next(c for c in CLAIMS if c.id == "C23").scope == "one-shot pruning only"


def _intrinsic04(**tables):
    return {"04_intrinsic_robustness": tables}


def test_c01_needs_flat_static_word_vectors_and_separating_contextual_ones():
    rows = [{"model": "sbert", "sentence auc": 0.8, "word auc": 0.75, "word nn_accuracy": 0.7, "word nn_chance": 0.5},
            {"model": "glove", "sentence auc": 0.7, "word auc": 0.5, "word nn_accuracy": 0.4, "word nn_chance": 0.5}]
    verdict, text = assess_c01(_frame([]), FAMILIES, payload=_p(_intrinsic04(polysemy=rows)))
    assert verdict == "supported" and "`sbert` 0.75" in text and "`glove` 0.70" in text
    rows[0].update({"word auc": 0.5, "word nn_accuracy": 0.4})
    assert assess_c01(_frame([]), FAMILIES, payload=_p(_intrinsic04(polysemy=rows)))[0] == "contradicted"
    assert assess_c01(_frame([]), FAMILIES)[0] == "not testable here"


def test_c07_reads_experiment_04_thresholds_and_auc():
    rows = [{"model": "sbert", "auc": 0.9, "same_median": 0.6, "different_median": 0.2, "same_above": 0.2,
             "different_below": 0.7},
            {"model": "glove", "auc": 0.7, "same_median": 0.9, "different_median": 0.85, "same_above": 0.8,
             "different_below": 0.0}]
    verdict, text = assess_c07(_frame([]), FAMILIES, payload=_p(_intrinsic04(fidelity=rows)))
    assert verdict == "contradicted" and "0 of 2 models" in text and "0.70–0.90" in text
    assert "ill-posed under anisotropy" in text and "0.20–0.85" in text
    rows[0]["same_above"] = 0.6
    assert assess_c07(_frame([]), FAMILIES, payload=_p(_intrinsic04(fidelity=rows)))[0] == "supported"


def test_c09_decides_on_both_readings_vector_move_and_similarity_change():
    moves = [{"model": "sbert", "noise": "swap", "rate": 0.1, "cosine_orig_noisy": 0.95, "similarity_change": 0.05,
              "similarity_abs_change": 0.01},
             {"model": "sbert", "noise": "typo", "rate": 0.1, "cosine_orig_noisy": 0.90, "similarity_change": 0.30,
              "similarity_abs_change": 0.03},
             {"model": "sbert", "noise": "typo", "rate": 0.2, "cosine_orig_noisy": 0.50, "similarity_change": 0.4}]
    drops = [{"rate": 0.1, "separated": True, "difference": -0.05}, {"rate": 0.1, "separated": False, "difference": -0.01}]
    verdict, text = assess_c09(_frame([]), FAMILIES, payload=_p(_intrinsic04(robustness_moves=moves, score_drops=drops)))
    # the vector reading holds (largest move 10%), the similarity reading does not (30%): partly
    assert verdict == "partly"
    assert "(1) The text's vector" in text and "within 15% for 1 of 1 models" in text and "typo 10.0% (`sbert`)" in text
    assert "(2) The similarity between two texts" in text and "within 15% for 0 of 1 models" in text
    assert "typo 30.0% (`sbert`)" in text and "at most swap 0.010; typo 0.030" in text and "1 of 2" in text
    moves[1].update(vector_move=0.1, random_pair_cosine=0.6, vector_move_relative=0.25)
    assert "at most 25% of it (`sbert`, typo)" in assess_c09(_frame([]), FAMILIES, payload=_p(_intrinsic04(robustness_moves=moves)))[1]
    moves[1]["similarity_change"] = 0.1
    assert assess_c09(_frame([]), FAMILIES, payload=_p(_intrinsic04(robustness_moves=moves)))[0] == "supported"
    moves[0]["cosine_orig_noisy"], moves[0]["similarity_change"] = 0.5, 0.5
    assert assess_c09(_frame([]), FAMILIES, payload=_p(_intrinsic04(robustness_moves=moves)))[0] == "contradicted"


def test_ledger_links_each_decided_claim_to_the_experiments_it_was_read_from():
    from embedlab.claims import ledger_markdown

    rows = [{"id": "C1", "claim": "x", "verdict": "partly", "evidence": "e", "experiments": ["03_quantization_tradeoffs"],
             "scope": "one-shot only"},
            {"id": "C2", "claim": "y", "verdict": "supported", "evidence": "names 03_quantization_tradeoffs in passing",
             "experiments": ["01_architecture_comparison"]},
            {"id": "C3", "claim": "z", "verdict": "not testable here", "evidence": "no data", "experiments": []}]
    text = ledger_markdown(rows, "src", ["01_architecture_comparison", "03_quantization_tradeoffs"])
    lines = {line.split(" | ")[0]: line for line in text.splitlines() if line.startswith("| C")}
    assert "(html/03_quantization_tradeoffs.html)" in lines["| C1"] and "**partly** (one-shot only)" in lines["| C1"]
    assert "(html/01_architecture_comparison.html)" in lines["| C2"] and "html/03" not in lines["| C2"]
    assert "html/" not in lines["| C3"]
    # an experiment that did not run is not linked
    assert "html/" not in ledger_markdown(rows[:1], "src", ["01_architecture_comparison"]).split("| C1")[1]


def _minilm(model, value, experiment, task="T1"):
    return {"model": model, "task": task, "metric": "cosine_spearman", "value": value, "experiment": experiment}


def test_c02_reads_experiment_01_records_only():
    """Another experiment's records of the same models (e.g. 04's centred or noisy variants) never enter C02."""
    rows = [_minilm("minilm-bert-cls", 0.58, "01_architecture_comparison"),
            _minilm("minilm-bert-mean", 0.66, "01_architecture_comparison"),
            _minilm("minilm-bert-cls", 0.90, "04_intrinsic_robustness", task="T2"),
            _minilm("minilm-bert-mean", 0.10, "04_intrinsic_robustness", task="T2")]
    row = next(r for r in ledger(_frame(rows), FAMILIES) if r["id"] == "C02")
    assert row["verdict"] == "partly" and row["experiments"] == ["01_architecture_comparison"]
    assert "[CLS]) state of the MiniLM weights 0.580, mean pooling of the same token states 0.660 (+0.080)" in row["evidence"]
    assert "over its 1 English tasks" in row["evidence"] and "mean-pooled model, not BERT's" in row["evidence"]


def test_c02_number_is_recomputed_from_experiment_01s_metrics_file():
    """The committed ledger's C02 numbers equal the English means recomputed from 01's metrics file alone."""
    import json
    from pathlib import Path

    from embedlab.analysis.results import english_mean
    from embedlab.stages.report import all_results

    reports = Path(__file__).resolve().parents[1] / "reports" / "metrics"
    payloads = {p.stem: json.loads(p.read_text()) for p in sorted(reports.glob("0*.json"))}
    own = english_mean(pd.DataFrame(payloads["01_architecture_comparison"]["results"]))
    row = next(r for r in ledger(all_results(payloads), FAMILIES, None, payloads) if r["id"] == "C02")
    assert f"weights {own['minilm-bert-cls']:.3f}, mean pooling of the same token states {own['minilm-bert-mean']:.3f}" \
        in row["evidence"]


def test_c07_names_coinciding_models_together():
    rows = [{"model": "sbert", "auc": 0.7, "same_median": 0.6, "different_median": 0.2, "same_above": 0.2,
             "different_below": 0.7}]
    extras = _intrinsic04(fidelity=rows, coinciding_models=[{"models": ["sbert", "sbert2"], "label": "sbert = sbert2"}])
    verdict, text = assess_c07(_frame([]), FAMILIES, payload=_p(extras))
    assert "best `sbert` = `sbert2` (the same vectors)" in text and "against chance 0.5" in text
    assert "best `sbert`)" in assess_c07(_frame([]), FAMILIES, payload=_p(_intrinsic04(fidelity=rows)))[1]


def test_c09_counts_coinciding_models_once_and_names_the_group():
    moves = [{"model": m, "noise": "typo", "rate": 0.1, "cosine_orig_noisy": c, "similarity_change": 0.3,
              "similarity_abs_change": 0.03} for m, c in (("sbert", 0.9), ("sbert-twin", 0.9), ("glove", 0.95))]
    coinciding = [{"models": ["sbert", "sbert-twin"], "label": "sbert = sbert-twin"}]
    verdict, text = assess_c09(_frame([]), FAMILIES, payload=_p(_intrinsic04(robustness_moves=moves,
                                                                              coinciding_models=coinciding)))
    assert "within 15% for 2 of 2 models" in text and "(`sbert` = `sbert-twin`)" in text
