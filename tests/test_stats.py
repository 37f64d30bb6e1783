"""Bootstrap intervals, paired differences and the per-item data behind mteb's main scores.

Toy statistics are checked against analytic values; the per-item data captured from mteb is checked
against mteb's own main score on toy tasks scored through the real path (store -> LookupEncoder ->
evaluate.score_task), and the vectorised resampled statistics against sklearn / scipy on the same
resamples.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.evaluate import score_task
from embedlab.stats import (ItemScores, adjacent_separation, bootstrap, chance_v_measure, combined_mean_interval,
                            mean_difference, paired_bootstrap, resample_indices, rowwise_spearman,
                            weighted_average_precision, weighted_bitext_f1)
from embedlab.store import LookupEncoder, save_embeddings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


# -- toy statistics ----------------------------------------------------------------------------------

def bernoulli_items(p: float, n: int, seed: int = 1) -> ItemScores:
    """Per-query values 0/1 with exactly round(p n) ones: their mean is the Bernoulli p."""
    values = np.zeros(n)
    values[np.random.default_rng(seed).choice(n, size=round(p * n), replace=False)] = 1
    return ItemScores("retrieval", {"per_query": values})


def test_bootstrap_interval_contains_p_and_shrinks_like_one_over_sqrt_n():
    small, large = bootstrap(bernoulli_items(0.7, 200), seed=3), bootstrap(bernoulli_items(0.7, 800), seed=3)
    for ci in (small, large):
        assert ci["value"] == pytest.approx(0.7)
        assert ci["ci_low"] < 0.7 < ci["ci_high"]
    # analytic 95% width of a mean of Bernoulli(0.7): 2 * 1.96 * sqrt(0.21 / n)
    for ci, n in ((small, 200), (large, 800)):
        assert ci["ci_high"] - ci["ci_low"] == pytest.approx(2 * 1.96 * math.sqrt(0.21 / n), rel=0.15)
    ratio = (small["ci_high"] - small["ci_low"]) / (large["ci_high"] - large["ci_low"])
    assert ratio == pytest.approx(2.0, rel=0.15)  # 4x the items, half the width


def test_bootstrap_is_seeded():
    items = bernoulli_items(0.4, 100)
    assert bootstrap(items, seed=5) == bootstrap(items, seed=5)
    assert bootstrap(items, seed=5) != bootstrap(items, seed=6)
    assert np.array_equal(resample_indices(10, 7, seed=2), resample_indices(10, 7, seed=2))


def test_paired_bootstrap_of_identical_models_is_zero_and_of_a_better_model_excludes_zero():
    a = bernoulli_items(0.6, 300)
    same = paired_bootstrap(a, a)
    assert same["difference"] == 0 and same["ci_low"] == 0 == same["ci_high"]
    # b is a with 60 correct queries turned wrong: paired, the difference 0.2 is far from zero
    values = a.data["per_query"].copy()
    values[np.flatnonzero(values)[:60]] = 0
    b = ItemScores("retrieval", {"per_query": values})
    diff = paired_bootstrap(a, b)
    assert diff["difference"] == pytest.approx(0.2)
    assert 0 < diff["ci_low"] < 0.2 < diff["ci_high"]
    # noisy independent models of equal quality: the interval straddles zero
    c, d = bernoulli_items(0.6, 300, seed=7), bernoulli_items(0.6, 300, seed=8)
    even = paired_bootstrap(c, d)
    assert even["ci_low"] < 0 < even["ci_high"]


def test_adjacent_separation_says_which_gaps_are_real():
    a = bernoulli_items(0.6, 300)
    worse = a.data["per_query"].copy()
    worse[np.flatnonzero(worse)[:60]] = 0
    models = {"a": a, "a-copy": ItemScores("retrieval", {"per_query": a.data["per_query"].copy()}),
              "b": ItemScores("retrieval", {"per_query": worse})}
    rows = adjacent_separation(["a", "a-copy", "b"], lambda x, y: paired_bootstrap(models[x], models[y]))
    assert [(r["better"], r["worse"], r["separated"]) for r in rows] == [("a", "a-copy", False), ("a-copy", "b", True)]


def test_mean_difference_over_tasks_pairs_each_task():
    a1, a2 = bernoulli_items(0.6, 300), bernoulli_items(0.5, 200, seed=4)
    b1 = ItemScores("retrieval", {"per_query": a1.data["per_query"] * 0})  # b scores 0 on task 1
    out = mean_difference([(a1, b1), (a2, a2)])
    assert out["difference"] == pytest.approx(0.3) and out["n"] == 2
    assert out["ci_low"] == pytest.approx(0.3 - 1.96 * math.sqrt(0.24 / 300) / 2, abs=0.02)
    with pytest.raises(EmbedlabError, match="same prepared task"):
        mean_difference([(a1, a2)])


def test_clustering_runs_give_the_interval_and_pair_run_by_run():
    a = ItemScores("runs", {"runs": np.array([0.50, 0.52, 0.54, 0.56, 0.58])})
    b = ItemScores("runs", {"runs": np.array([0.40, 0.42, 0.44, 0.46, 0.48])})
    ci = bootstrap(a)
    assert ci["value"] == pytest.approx(0.54)
    assert ci["ci_low"] == pytest.approx(np.percentile(a.data["runs"], 2.5))
    diff = paired_bootstrap(a, b)
    assert diff["difference"] == pytest.approx(0.1) and diff["ci_low"] == pytest.approx(0.1)


def test_vectorised_statistics_match_scipy_and_sklearn_on_resamples():
    from scipy.stats import spearmanr
    from sklearn.metrics import average_precision_score, f1_score

    rng = np.random.default_rng(0)
    n = 40
    gold, cos = rng.integers(0, 5, n).astype(float), rng.normal(size=n).round(1)  # ties on purpose
    labels, score = rng.integers(0, 2, n), rng.normal(size=n).round(1)
    pred = np.where(rng.random(n) < 0.6, np.arange(n), rng.integers(0, n, n))
    idx = resample_indices(n, 5, seed=1)
    weights = np.stack([np.bincount(row, minlength=n) for row in idx]).astype(float)
    spearman = rowwise_spearman(gold[idx], cos[idx])
    ap = weighted_average_precision(labels, score, weights)
    f1 = weighted_bitext_f1(pred, weights)
    for k, row in enumerate(idx):
        assert spearman[k] == pytest.approx(spearmanr(gold[row], cos[row])[0])
        assert ap[k] == pytest.approx(average_precision_score(labels[row], score[row]))
        assert f1[k] == pytest.approx(f1_score(row, pred[row], average="weighted", zero_division=0))


def test_chance_v_measure_is_the_mean_over_random_partitions_of_the_same_sizes():
    from sklearn.metrics import v_measure_score

    labels = list("aaaabbbbcccc")
    rng = np.random.default_rng(3)
    expected = np.mean([v_measure_score(labels, rng.permutation(labels)) for _ in range(50)])
    assert chance_v_measure(labels, n_draws=50, seed=3) == pytest.approx(expected)
    assert 0 < expected < 0.5


def test_combined_mean_interval_adds_standard_errors_in_quadrature():
    mean, low, high = combined_mean_interval([0.5, 0.7], [0.4, 0.6], [0.6, 0.8])
    assert mean == pytest.approx(0.6)
    assert high - mean == pytest.approx(math.sqrt(0.1 ** 2 + 0.1 ** 2) / 2)


def test_bad_inputs_are_one_line_errors():
    with pytest.raises(EmbedlabError, match="empty test split"):
        resample_indices(0)
    with pytest.raises(EmbedlabError, match="strictly between 0 and 1"):
        bootstrap(bernoulli_items(0.5, 10), level=95)


# -- per-item data reproduces mteb's main score -----------------------------------------------------

@pytest.fixture
def store(tmp_path):
    def encoder(model: str, name: str, roles: dict[str, dict[str, list[float]]]) -> LookupEncoder:
        for role, vectors in roles.items():
            save_embeddings(tmp_path, model, name, role, list(vectors), np.asarray(list(vectors.values()), np.float32),
                            {"task_checksum": f"sum-{name}", "model_fingerprint": f"{model}-v1"})
        return LookupEncoder(tmp_path, model, name)

    return encoder


def task(name, kind, splits, **extra):
    return {"name": name, "type": kind, "language": "en", "checksum": f"sum-{name}", "splits": splits, **extra}


def main_record(records) -> dict:
    (rec,) = [r for r in records if r["main"]]
    return rec


def vectors(rng, texts, dim=8):
    return {t: list(rng.normal(size=dim)) for t in texts}


def test_sts_items_reproduce_mtebs_spearman(store):
    rng = np.random.default_rng(0)
    s1, s2 = [f"left {i}" for i in range(30)], [f"right {i}" for i in range(30)]
    enc = store("m", "ItemSTS", {"query": vectors(rng, s1 + s2)})
    t = task("ItemSTS", "sts", {"test": {"sentence1": s1, "sentence2": s2, "score": list(rng.uniform(0, 5, 30))}})
    records, items = score_task(t, enc, "m")
    rec = main_record(records)
    assert items.point() == pytest.approx(rec["value"], abs=1e-12)
    assert rec["ci_low"] < rec["value"] < rec["ci_high"]


def test_pair_classification_items_reproduce_mtebs_max_ap(store):
    rng = np.random.default_rng(1)
    s1, s2 = [f"first {i}" for i in range(30)], [f"second {i}" for i in range(30)]
    enc = store("m", "ItemPairs", {"query": vectors(rng, s1 + s2)})
    t = task("ItemPairs", "pair_classification",
             {"test": {"sentence1": s1, "sentence2": s2, "label": list(rng.integers(0, 2, 30))}})
    records, items = score_task(t, enc, "m")
    rec = main_record(records)
    assert rec["metric"] == "max_ap"
    assert items.point() == pytest.approx(rec["value"], abs=1e-12)
    assert rec["ci_low"] < rec["value"] < rec["ci_high"]


def test_retrieval_items_reproduce_mtebs_ndcg(store):
    rng = np.random.default_rng(2)
    queries = {f"q{i}": f"query {i}" for i in range(12)}
    corpus = {f"d{i}": f"document {i}" for i in range(40)}
    enc = store("m", "ItemRetrieval", {"query": vectors(rng, list(queries.values())),
                                       "document": vectors(rng, list(corpus.values()))})
    qrels = {q: {f"d{(3 * i) % 40}": 1, f"d{(3 * i + 1) % 40}": 1} for i, q in enumerate(queries)}
    t = task("ItemRetrieval", "retrieval", {"test": {"queries": queries, "corpus": corpus, "qrels": qrels}})
    records, items = score_task(t, enc, "m")
    rec = main_record(records)
    assert items.n == 12
    assert items.point() == pytest.approx(rec["value"], abs=5e-6)  # mteb rounds nDCG to 5 decimals


def test_bitext_items_reproduce_mtebs_f1(store):
    rng = np.random.default_rng(3)
    zh, en = [f"zh {i}" for i in range(20)], [f"en {i}" for i in range(20)]
    src = vectors(rng, zh)
    tgt = {e: list(np.asarray(src[z]) + rng.normal(scale=1.2, size=8)) for z, e in zip(zh, en)}
    enc = store("m", "ItemBitext", {"query": {**src, **tgt}})
    t = task("ItemBitext", "bitext_mining", {"test": {"sentence1": zh, "sentence2": en}}, language="zh-en",
             main_score="f1")
    records, items = score_task(t, enc, "m")
    rec = main_record(records)
    assert 0 < rec["value"] < 1
    assert items.point() == pytest.approx(rec["value"], abs=1e-12)


def _labelled(rng, n_per_label, labels, prefix, spread=2.0):
    centres = {lab: rng.normal(size=8) for lab in labels}
    texts, ys, vecs = [], [], {}
    for lab in labels:
        for i in range(n_per_label):
            text = f"{prefix} {lab} {i}"
            texts.append(text)
            ys.append(lab)
            vecs[text] = list(centres[lab] + rng.normal(scale=spread, size=8))
    return texts, ys, vecs


def test_classification_items_use_mtebs_own_draw_and_predictions(store):
    rng = np.random.default_rng(4)
    labels = ["a", "b", "c"]
    # 12 train rows per label: mteb's draw of 8 per label differs between experiments
    train, y_train, v_train = _labelled(rng, 12, labels, "train")
    test, y_test, v_test = _labelled(rng, 10, labels, "test")
    enc = store("m", "ItemClassification", {"query": {**v_train, **v_test}})
    t = task("ItemClassification", "classification",
             {"train": {"text": train, "label": y_train}, "test": {"text": test, "label": y_test}})
    records, items = score_task(t, enc, "m", n_experiments=4)
    rec = main_record(records)
    assert items.data["correct"].shape == (4, 30)
    per_experiment = items.data["correct"].mean(axis=1)
    assert len(set(per_experiment.round(6))) > 1  # the experiments saw different draws
    assert items.point() == pytest.approx(rec["value"], abs=1e-12)
    assert rec["sd_over_experiments"] == pytest.approx(np.std(per_experiment))
    assert rec["ci_low"] <= rec["value"] <= rec["ci_high"] and rec["normalized"] is True


def test_clustering_records_carry_run_spread_chance_and_ami(store):
    rng = np.random.default_rng(5)
    texts, ys, vecs = _labelled(rng, 10, ["a", "b", "c"], "text", spread=1.5)
    enc = store("m", "ItemClusters", {"query": vecs})
    t = task("ItemClusters", "clustering", {"test": {"text": texts, "label": ys}})
    records, items = score_task(t, enc, "m", clustering_sample_size=60)
    by_metric = {r["metric"]: r for r in records}
    main = by_metric["v_measure"]
    assert items.kind == "runs" and items.n == 10
    assert items.point() == pytest.approx(main["value"])
    assert main["ci_low"] <= main["value"] <= main["ci_high"] and main["sd_over_runs"] >= 0
    assert by_metric["v_measure_chance"]["value"] == pytest.approx(chance_v_measure(ys, seed=0))
    assert not by_metric["v_measure_chance"]["main"] and not by_metric["adjusted_mutual_info"]["main"]
    assert all(r["normalized"] for r in records)


# -- one normalisation rule ---------------------------------------------------------------------------

def test_per_row_scale_does_not_change_classification_or_clustering(store):
    rng = np.random.default_rng(6)
    train, y_train, v_train = _labelled(rng, 10, ["a", "b", "c", "d"], "train", spread=2.5)
    test, y_test, v_test = _labelled(rng, 8, ["a", "b", "c", "d"], "test", spread=2.5)
    every = {**v_train, **v_test}
    scale = {t: float(s) for t, s in zip(every, rng.uniform(0.05, 20, len(every)))}
    scaled = {t: [x * scale[t] for x in v] for t, v in every.items()}
    t_cls = task("ScaleClassification", "classification",
                 {"train": {"text": train, "label": y_train}, "test": {"text": test, "label": y_test}})
    t_clu = task("ScaleClusters", "clustering", {"test": {"text": test, "label": y_test}})
    got = {}
    for model, vecs in (("unit-ish", every), ("scaled", scaled)):
        for t in (t_cls, t_clu):
            enc = store(model, t["name"], {"query": vecs})
            got[model, t["name"]] = {r["metric"]: r["value"] for r in score_task(t, enc, model, n_experiments=3)[0]}
    assert got["unit-ish", "ScaleClassification"] == got["scaled", "ScaleClassification"]
    assert got["unit-ish", "ScaleClusters"] == pytest.approx(got["scaled", "ScaleClusters"])
