"""Every metric pinned to a hand-computed value on tiny embeddings.

mteb metrics go through the real path: vectors saved in the store, served by LookupEncoder to
the mteb task classes that evaluate.py builds from a prepared task dict.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.evaluate import clustering_geometry, evaluate_task
from embedlab.intrinsic import anisotropy, class_cosine_gap, intrinsic_records, pca_variance_top_k, robustness
from embedlab.store import LookupEncoder, save_embeddings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def unit(deg: float) -> list[float]:
    """A 2-d unit vector at ``deg`` degrees."""
    return [math.cos(math.radians(deg)), math.sin(math.radians(deg))]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("embeddings")

    def encoder(name: str, roles: dict[str, dict[str, list[float]]]) -> LookupEncoder:
        for role, vectors in roles.items():
            save_embeddings(root, "toy", name, role, list(vectors), np.asarray(list(vectors.values()), np.float32),
                            {"task_checksum": f"sum-{name}", "model_fingerprint": "toy-v1"})
        return LookupEncoder(root, "toy", name)

    return encoder


def scores(records) -> dict[str, float]:
    return {r["metric"]: r["value"] for r in records}


def main_of(records) -> str:
    (main,) = [r["metric"] for r in records if r["main"]]
    return main


def task(name, kind, splits, **extra):
    return {"name": name, "type": kind, "language": "en", "checksum": f"sum-{name}", "splits": splits, **extra}


# -- STS ---------------------------------------------------------------------------------------------

def test_sts_spearman_and_pearson(store):
    # pair i: (0 deg, theta_i) -> cosines 1, 0.5, 0, -1; gold scores 4, 2, 3, 1
    s1 = {f"left {i}": unit(0) for i in range(4)}
    s2 = {"right 0": unit(0), "right 1": unit(60), "right 2": unit(90), "right 3": unit(180)}
    enc = store("ToySTS", {"query": {**s1, **s2}})
    t = task("ToySTS", "sts", {"test": {"sentence1": list(s1), "sentence2": list(s2), "score": [4, 2, 3, 1]}})
    rec = evaluate_task(t, enc, "toy")
    got = scores(rec)
    # ranks of cosine 4,3,2,1 vs gold 4,2,3,1: d = 0,1,-1,0 -> 1 - 6*2 / (4*15) = 0.8
    assert got["cosine_spearman"] == pytest.approx(0.8)
    # Pearson by hand: centred cosines .875 .375 -.125 -1.125, centred gold 1.5 -.5 .5 -1.5
    assert got["cosine_pearson"] == pytest.approx(2.75 / math.sqrt(2.1875 * 5))
    assert main_of(rec) == "cosine_spearman"
    assert {r["task_type"] for r in rec} == {"sts"} and {r["model"] for r in rec} == {"toy"}


# -- classification ----------------------------------------------------------------------------------

def _classification(store, name, test_vectors, test_labels):
    train = {f"train pos {i}": [5 + 0.1 * i, 0.1 * i] for i in range(4)}
    train |= {f"train neg {i}": [0.1 * i, 5 + 0.1 * i] for i in range(4)}
    test = {f"test {i}": v for i, v in enumerate(test_vectors)}
    enc = store(name, {"query": {**train, **test}})
    t = task(name, "classification", {
        "train": {"text": list(train), "label": ["pos"] * 4 + ["neg"] * 4},
        "test": {"text": list(test), "label": test_labels}})
    return evaluate_task(t, enc, "toy", n_experiments=2)


def test_classification_separable_is_perfect(store):
    rec = _classification(store, "ToySeparable", [[4, 0.5], [6, 1], [0.5, 4], [1, 6]], ["pos", "pos", "neg", "neg"])
    assert scores(rec) == {"accuracy": 1.0, "f1": 1.0}
    assert main_of(rec) == "accuracy"


def test_classification_known_confusion(store):
    # the second "pos" test text sits among the negatives: predictions pos, neg, neg, neg
    rec = _classification(store, "ToyConfused", [[4, 0.5], [0.5, 4], [0.5, 5], [1, 6]], ["pos", "pos", "neg", "neg"])
    got = scores(rec)
    assert got["accuracy"] == pytest.approx(3 / 4)
    # pos: P 1, R 1/2 -> F1 2/3; neg: P 2/3, R 1 -> F1 4/5; macro mean
    assert got["f1"] == pytest.approx((2 / 3 + 4 / 5) / 2)


# -- clustering ----------------------------------------------------------------------------------------

def test_clustering_perfect_clusters(store):
    centres = {"a": [10, 0, 0], "b": [0, 10, 0], "c": [0, 0, 10]}
    vectors = {f"{c} {i}": [x + 0.01 * i for x in v] for c, v in centres.items() for i in range(5)}
    enc = store("ToyPerfectClusters", {"query": vectors})
    t = task("ToyPerfectClusters", "clustering", {"test": {"text": list(vectors), "label": [k[0] for k in vectors]}})
    rec = evaluate_task(t, enc, "toy", clustering_sample_size=300)
    got = scores(rec)
    assert got["v_measure"] == pytest.approx(1.0)
    assert main_of(rec) == "v_measure"
    assert got["silhouette"] > 0.99 and got["davies_bouldin"] < 0.01


def test_clustering_known_confusion_matches_sklearn_definition(store):
    # two tight groups; group X holds 4 "a" + 2 "b", group Y 4 "b" + 2 "a": contingency [[4, 2], [2, 4]]
    labels = list("aaaabb") + list("bbbbaa")
    vectors = {f"x {i}": [1, 0.001 * i] for i in range(6)} | {f"y {i}": [0.001 * i, 1] for i in range(6)}
    enc = store("ToyConfusedClusters", {"query": vectors})
    t = task("ToyConfusedClusters", "clustering", {"test": {"text": list(vectors), "label": labels}})
    got = scores(evaluate_task(t, enc, "toy"))
    # H(C) = 1 bit, H(C|K) = H(1/3) bits: homogeneity = completeness = 1 - H(1/3), V = their harmonic mean
    h = 1 - (-(1 / 3) * math.log2(1 / 3) - (2 / 3) * math.log2(2 / 3))
    from sklearn.metrics import v_measure_score

    assert v_measure_score(labels, [0] * 6 + [1] * 6) == pytest.approx(h)
    # mteb's V-measure is a mean over k-means runs on 16,384 texts drawn with replacement
    assert got["v_measure"] == pytest.approx(h, abs=0.01)


def test_clustering_geometry_by_hand():
    # cosine distances: p1-p2 .4, p1-p3 1, p1-p4 1.6, p2-p3 .2, p2-p4 .72, p3-p4 .2
    emb = [[1, 0], [0.6, 0.8], [0, 1], [-0.6, 0.8]]
    got = clustering_geometry(emb, ["a", "a", "b", "b"])
    silhouettes = [(1.3 - 0.4) / 1.3, (0.46 - 0.4) / 0.46, (0.6 - 0.2) / 0.6, (1.16 - 0.2) / 1.16]
    assert got["silhouette"] == pytest.approx(np.mean(silhouettes))
    # centroids (.8, .4) and (-.3, .9); mean distances to them sqrt(.2) and sqrt(.1)
    assert got["davies_bouldin"] == pytest.approx((math.sqrt(0.2) + math.sqrt(0.1)) / math.sqrt(1.46))
    # k-means with k = 2 on the unit circle splits {p1, p2} from {p3, p4}: the gold partition
    assert got["kmeans_silhouette"] == pytest.approx(got["silhouette"])


def test_kmeans_silhouette_ignores_the_labels():
    # gold labels cut across two tight, far-apart groups: gold silhouette is negative, k-means finds the groups
    emb = [[1, 0], [0.99, 0.14], [0, 1], [0.14, 0.99]]
    got = clustering_geometry(emb, ["a", "b", "a", "b"])
    assert got["silhouette"] < 0 < 0.9 < got["kmeans_silhouette"]


# -- retrieval -------------------------------------------------------------------------------------------

def test_retrieval_ndcg_mrr_recall(store):
    # queries are the axes e0, e1, e2, so cos(query k, doc) is the doc's k-th coordinate (docs are unit)
    def doc(a, b, c):
        return [a, b, c, math.sqrt(1 - a * a - b * b - c * c)]

    corpus = {" plot one ": doc(0.45, 0.35, 0.0), "plot two": doc(0.40, 0.40, 0.1), "plot three": doc(0.05, 0.45, 0.1)}
    corpus |= {f"filler {i:03d}": doc(0.025, 0.025, 0.15) for i in range(150)}
    queries = {"first query": [1, 0, 0, 0], "second query": [0, 1, 0, 0], "third query": [0, 0, 1, 0]}
    enc = store("ToyRetrieval", {"query": queries, "document": corpus})
    ids = {text: f"d{i}" for i, text in enumerate(corpus)}
    d1, d2, d3 = (ids[t] for t in (" plot one ", "plot two", "plot three"))
    t = task("ToyRetrieval", "retrieval", {"test": {
        "queries": {"q1": "first query", "q2": "second query", "q3": "third query"},
        "corpus": {ids[text]: text for text in corpus},
        "qrels": {"q1": {d2: 1}, "q2": {d3: 1, d1: 1}, "q3": {d1: 1}}}})
    rec = evaluate_task(t, enc, "toy")
    got = scores(rec)
    # q1: d1 > d2 > d3, relevant d2 at rank 2; q2: d3 > d2 > d1, relevant at ranks 1 and 3;
    # q3: relevant d1 is last of 153 (cosine 0)
    ndcg = [1 / math.log2(3), (1 + 1 / math.log2(4)) / (1 + 1 / math.log2(3)), 0.0]
    # mteb rounds nDCG, recall (and MAP, precision) to 5 decimals; MRR is not rounded
    assert got["ndcg_at_10"] == pytest.approx(np.mean(ndcg), abs=5e-6)
    assert got["mrr_at_10"] == pytest.approx((1 / 2 + 1 + 0) / 3)
    assert got["recall_at_100"] == pytest.approx(2 / 3, abs=5e-6)
    assert main_of(rec) == "ndcg_at_10"


# -- bitext mining and pair classification ---------------------------------------------------------------

def test_bitext_mining_accuracy_and_f1(store):
    zh = {"一": unit(0), "二": unit(90), "三": unit(10)}  # 三 lies next to "one", not "three"
    en = {"one": unit(0), "two": unit(90), "three": unit(180)}
    enc = store("ToyBitext", {"query": {**zh, **en}})
    t = task("ToyBitext", "bitext_mining", {"test": {"sentence1": list(zh), "sentence2": list(en)}},
             language="zh-en", main_score="f1")
    rec = evaluate_task(t, enc, "toy")
    got = scores(rec)
    assert got["accuracy"] == pytest.approx(2 / 3)
    # predictions 0, 1, 0 for gold 0, 1, 2: per-class F1 2/3, 1, 0, weighted by support 1 each
    assert got["f1"] == pytest.approx((2 / 3 + 1 + 0) / 3)
    assert main_of(rec) == "f1"


def test_pair_classification_average_precision(store):
    s1 = {f"first {i}": unit(0) for i in range(4)}
    s2 = {"second 0": unit(0), "second 1": unit(60), "second 2": unit(90), "second 3": unit(180)}
    enc = store("ToyPairs", {"query": {**s1, **s2}})
    t = task("ToyPairs", "pair_classification",
             {"test": {"sentence1": list(s1), "sentence2": list(s2), "label": [1, 0, 1, 0]}})
    rec = evaluate_task(t, enc, "toy")
    got = scores(rec)
    # ranked by cosine: +, -, +, -  -> AP = (1/1 + 2/3) / 2
    assert got["cosine_ap"] == pytest.approx((1 + 2 / 3) / 2)
    assert got["cosine_accuracy"] == pytest.approx(3 / 4)
    assert got["cosine_f1"] == pytest.approx(4 / 5)  # threshold after the third: P 2/3, R 1
    assert got["max_ap"] >= got["cosine_ap"]
    assert main_of(rec) == "max_ap"


def test_task_main_score_is_respected(store):
    s1 = {f"first {i}": unit(0) for i in range(4)}
    s2 = {"second 0": unit(0), "second 1": unit(60), "second 2": unit(90), "second 3": unit(180)}
    enc = store("ToyPairsCosineMain", {"query": {**s1, **s2}})
    t = task("ToyPairsCosineMain", "pair_classification",
             {"test": {"sentence1": list(s1), "sentence2": list(s2), "label": [1, 0, 1, 0]}}, main_score="cosine_ap")
    assert main_of(evaluate_task(t, enc, "toy")) == "cosine_ap"


# -- intrinsic ---------------------------------------------------------------------------------------------

def test_class_cosine_gap_by_hand():
    got = class_cosine_gap([[1, 0], [0.6, 0.8], [0, 1]], ["a", "a", "b"])
    # same: (a1, a2) = .6; different: (a1, b) = 0, (a2, b) = .8
    assert got == pytest.approx({"same": 0.6, "different": 0.4, "gap": 0.2})


def test_pca_variance_by_hand():
    emb = [[2, 0], [-2, 0], [0, 1], [0, -1]]  # variances 2 and 0.5 along the axes
    assert pca_variance_top_k(emb, k=1) == pytest.approx(2 / 2.5)
    assert pca_variance_top_k(emb, k=20) == pytest.approx(1.0)


def test_anisotropy_by_hand():
    assert anisotropy([unit(0), unit(90), unit(45)]) == pytest.approx((0 + 2 * math.sqrt(0.5)) / 3)
    rng = np.random.default_rng(1)
    big = rng.normal(size=(2000, 64))
    assert abs(anisotropy(big, n_pairs=5000, seed=3)) < 0.01
    assert anisotropy(big, n_pairs=5000, seed=3) == anisotropy(big, n_pairs=5000, seed=3)


def test_robustness_by_hand():
    orig = [[1, 0], [0.8, 0.6], [0.6, 0.8]]
    noisy = [[1, 0], [0.6, 0.8], [0.6, 0.8]]
    got = robustness(orig, noisy)
    assert got["cosine_orig_noisy"] == pytest.approx((1 + 0.96 + 1) / 3)
    # pairs (1,2), (1,3), (2,3): s = .8, .6, .96 -> s' = .6, .6, 1
    assert got["similarity_change"] == pytest.approx((0.2 / 0.8 + 0 + 0.04 / 0.96) / 3)
    assert got["similarity_abs_change"] == pytest.approx((0.2 + 0 + 0.04) / 3)


def test_intrinsic_records_for_robustness_task(store):
    vectors = {"the cat sat": [1, 0], "a dog ran": [0.8, 0.6], "birds sing": [0.6, 0.8],
               "cat the sat": [1, 0], "a ran dog": [0.6, 0.8]}
    enc = store("ToyRobustness", {"query": vectors})
    t = task("ToyRobustness", "robustness", {"test": {
        "original": ["the cat sat", "a dog ran", "birds sing"], "noisy": ["cat the sat", "a ran dog", "birds sing"]}})
    rec = intrinsic_records(t, enc, "toy")
    assert scores(rec)["similarity_change"] == pytest.approx((0.2 / 0.8 + 0 + 0.04 / 0.96) / 3)
    assert main_of(rec) == "similarity_change"
    assert {r["task_type"] for r in rec} == {"robustness"}


def test_store_that_does_not_match_the_task_is_refused_through_mteb(store):
    enc = store("ToyMismatch", {"query": {"left": unit(0), "right": unit(90), "other": unit(45)}})
    t = task("ToyMismatch", "sts", {"test": {"sentence1": ["left", "left", "other"],
                                             "sentence2": ["right", "a text never embedded", "right"],
                                             "score": [1, 2, 3]}})
    with pytest.raises(EmbedlabError, match="a text never embedded") as excinfo:
        evaluate_task(t, enc, "toy")
    assert str(excinfo.value).endswith("(fix: run `dvc repro embed`)")


def test_unknown_main_score_is_one_line_error(store):
    enc = store("ToyBadMain", {"query": {"left": unit(0), "right": unit(90), "other": unit(45)}})
    t = task("ToyBadMain", "sts", {"test": {"sentence1": ["left", "other"], "sentence2": ["right", "right"],
                                            "score": [1, 2]}}, main_score="spearman_rho")
    with pytest.raises(EmbedlabError, match="main_score 'spearman_rho'"):
        evaluate_task(t, enc, "toy")


def test_rerun_is_never_served_from_a_cache(store):
    # same model id, same task name: mteb's default cache would return the first score again
    s1 = {f"left {i}": unit(0) for i in range(4)}
    t = task("ToyRerun", "sts", {"test": {"sentence1": list(s1), "sentence2": ["r0", "r1", "r2", "r3"],
                                          "score": [4, 3, 2, 1]}})
    first = store("ToyRerun", {"query": {**s1, "r0": unit(0), "r1": unit(60), "r2": unit(90), "r3": unit(180)}})
    second = store("ToyRerun", {"query": {**s1, "r0": unit(180), "r1": unit(90), "r2": unit(60), "r3": unit(0)}})
    assert scores(evaluate_task(t, first, "toy"))["cosine_spearman"] == pytest.approx(1.0)
    assert scores(evaluate_task(t, second, "toy"))["cosine_spearman"] == pytest.approx(-1.0)
