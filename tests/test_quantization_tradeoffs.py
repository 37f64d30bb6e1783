"""Experiment 03 (parts A and C) on the tiny project (no model): bad params fail in one line before any
work, calibration never sees an evaluated text, retention is against float32, rescoring with a large
multiplier is float search, and a nested PCA is the PCA fitted at that dimension."""

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import _vector
from embedlab import Experiment
from embedlab.analysis.quantization_tradeoffs import margin as qm
from embedlab.analysis import quantization_tradeoffs as qt
from embedlab.errors import EmbedlabError
from embedlab.vectors.transforms import unit_rows
from embedlab.vectors.quantization import Int8, ScalarQuantization, rescore_search
from embedlab.vectors.reduction import PCAReduction
from embedlab.tasks import texts_to_embed

# "pos 1" and "neg 2" are also ToyClassification (calibration) texts: the calibration must drop them
TOY_RETRIEVAL = {"type": "retrieval", "language": "en", "main_score": "ndcg_at_10", "splits": {"test": {
    "queries": {"q1": "pos query one", "q2": "neg query two", "q3": "the cat"},
    "corpus": {"d1": "pos 1", "d2": "neg 2", "d3": "pos doc a", "d4": "neg doc b", "d5": "a dog ran", "d6": "rain falls",
               "d7": "pos doc c", "d8": "neg doc d"},
    "qrels": {"q1": {"d1": 1, "d3": 1}, "q2": {"d2": 1, "d4": 1}, "q3": {"d5": 1}}}}}

GROUP = {"models": ["toy"], "precisions": ["float32", "float16", "int8", "uint8", "binary"],
         "scalar_values": ["dequantized", "codes"], "tasks": ["ToySTS", "ToyRetrieval"],
         "calibration": "ToyClassification",
         "rescoring": {"precisions": ["int8", "binary"], "against": ["quantized", "float32"], "multipliers": [1, 100], "k": 3},
         "search": {"model": "toy", "batch": 5, "single_queries": 2, "repeats": 1, "min_corpus": 10, "threads": 1},
         "frontier": {"methods": ["truncation", "pca_inductive"], "dims": [2, 4], "precisions": ["float32", "int8", "binary"]},
         "n_experiments": 2}


@pytest.fixture
def exp(tiny_project):
    from embedlab.provenance import atomic_write_json, sha256_json
    from embedlab.store import save_embeddings

    tasks_dir = tiny_project / "data" / "tasks"
    task = {"name": "ToyRetrieval", **TOY_RETRIEVAL, "checksum": sha256_json(TOY_RETRIEVAL["splits"])}
    atomic_write_json(tasks_dir / "ToyRetrieval.json", task)
    for role, texts in texts_to_embed(task).items():
        save_embeddings(tiny_project / "data" / "embeddings", "toy", "ToyRetrieval", role, texts,
                        np.stack([_vector(t) for t in texts]),
                        {"task_checksum": task["checksum"], "model_fingerprint": "toy-fp"})
    index = yaml.safe_load((tasks_dir / "index.json").read_text())
    index["tasks"]["ToyRetrieval"] = {"type": "retrieval", "available": True, "checksum": task["checksum"]}
    # prepared but never embedded
    atomic_write_json(tasks_dir / "ToyRetrieval2.json", dict(task, name="ToyRetrieval2"))
    index["tasks"]["ToyRetrieval2"] = index["tasks"]["ToyRetrieval"]
    atomic_write_json(tasks_dir / "index.json", index)
    params = yaml.safe_load((tiny_project / "params.yaml").read_text())
    params["experiments"]["quantization_tradeoffs"] = "03_quantization_tradeoffs"
    params["quantization_tradeoffs"] = GROUP
    params["data"]["tasks"] = params["data"]["tasks"] + ["ToySTS", "ToyClassification", "ToyRetrieval", "ToyRetrieval2"]
    (tiny_project / "params.yaml").write_text(yaml.safe_dump(params))
    return Experiment("quantization_tradeoffs")


@pytest.mark.parametrize("change, message", [
    ({"precisions": ["float32", "int4"]}, "unknown precision 'int4' (fix: use some of: float32, float16, int8, uint8, binary)"),
    ({"precisions": ["int8", "binary"]}, "must include float32"),
    ({"scalar_values": ["rounded"]}, "unknown value 'rounded'"),
    ({"frontier": {"methods": ["umap"], "dims": [2]}}, "unknown reduction method 'umap'"),
    ({"frontier": {"methods": ["pca_transductive"], "dims": [2]}}, "transductive"),
    ({"frontier": {"methods": ["truncation"], "dims": [2], "precisions": ["float32", "bf16"]}}, "unknown precision 'bf16'"),
    ({"models": ["nope"]}, "names model 'nope'"),
    ({"tasks": ["ToySTS", "NoSuchTask"]}, "tasks not prepared: NoSuchTask"),
    ({"tasks": ["ToySTS", "ToyClassification"]}, "calibration task ToyClassification is also evaluated"),
    ({"precisions_by_type": {"sts-ish": ["float32"]}}, "not a task type"),
    ({"rescoring": {"precisions": ["float16"]}}, "unknown precision 'float16' (fix: use some of: int8, binary, binary centred)"),
    ({"rescoring": {"tasks": ["ToySTS"]}}, "ToySTS, which is not a retrieval task"),
    ({"search": {"model": "other"}}, "search.model 'other' is not one of its models"),
    ({"rescoring": {"tasks": ["ToyRetrieval2"]}}, "the store does not hold for toy"),
])
def test_bad_params_fail_in_one_line_before_any_work(exp, monkeypatch, change, message):
    monkeypatch.setattr(type(exp), "evaluate", lambda *a, **k: pytest.fail("work started"))
    exp.group.update(change)
    with pytest.raises(EmbedlabError) as info:
        qt.plan(exp)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_calibration_never_sees_an_evaluated_text(exp, monkeypatch):
    seen = []
    for cls in (ScalarQuantization, PCAReduction):
        original = cls._fit
        monkeypatch.setattr(cls, "_fit", lambda self, x, original=original: (seen.append(x.copy()), original(self, x))[1])
    p = qt.plan(exp)
    results, _ = qt.run_precisions(exp, p, progress=False)
    qt.run_frontier(exp, p, results, progress=False)
    evaluated = {t for name in ("ToySTS", "ToyRetrieval") for ts in texts_to_embed(exp.task(name)).values() for t in ts}
    calibration = [t for ts in texts_to_embed(exp.task("ToyClassification")).values() for t in ts]
    kept = [t for t in calibration if t not in evaluated]
    assert {"pos 1", "neg 2"} <= evaluated and len(kept) == len(calibration) - 2
    forbidden = np.stack([_vector(t) for t in evaluated])
    assert seen and all(len(x) == len(kept) for x in seen)
    raw = [x for x in seen if x.shape[1] == 6]  # the fits on the stored vectors (not on a reduction's output)
    assert raw and all(not (x[:, None, :] == forbidden[None]).all(axis=2).any() for x in raw)
    np.testing.assert_array_equal(raw[0], np.stack([_vector(t) for t in kept]))
    labels = results.loc[results["precision"] == "int8", "calibration"].unique()
    assert list(labels) == [f"ToyClassification ({len(kept)} texts, none in the evaluated tasks)"]


def test_retention_is_against_float32_and_records_say_what_was_scored(exp):
    p = qt.plan(exp)
    results, items = qt.run_precisions(exp, p, progress=False)
    main = results[results["main"]]
    base = main[main["variant"] == "float32"].set_index("task")["value"]
    np.testing.assert_allclose(main["retention"], main["value"] / main["task"].map(base).to_numpy())
    assert (main[main["variant"] == "float32"]["retention"] == 1).all()
    assert set(main["variant"]) == {"float32", "float16", "int8", "uint8", "int8 codes", "uint8 codes", "binary",
                                    "binary centred"}
    # the same buckets: dequantized int8 and uint8 score identically
    by = main.set_index(["variant", "task"])["value"]
    np.testing.assert_array_equal(by["int8"].sort_index(), by["uint8"].sort_index())
    bytes_ = main.drop_duplicates("variant").set_index("variant")["bytes_per_vector"]
    assert bytes_.to_dict() == {"float32": 24, "float16": 12, "int8": 6, "uint8": 6, "int8 codes": 6,
                                "uint8 codes": 6, "binary": 1, "binary centred": 1}
    assert set(main["method"]) == {"native"} and set(main["dim"]) == {6}
    table = qt.retention_table(results)
    assert table.loc["float32", "mean over types"] == 1.0 and list(table.index)[0] == "float32"
    paired = qt.paired_against_float32(exp, items, p)
    assert set(paired["variant"]) == set(main["variant"]) - {"float32"}
    assert (paired.loc[paired["variant"] == "float16", "difference"].abs() < 1e-3).all()


def test_ndcg_matches_a_hand_computed_value():
    # relevant d1 and d3; ranked d3, d2, d1: DCG = 1 + 1/log2(4), ideal = 1 + 1/log2(3)
    ranked = np.array([[2, 1, 0]])
    value = qt.ndcg_at_k(ranked, ["q"], ["d1", "d2", "d3"], {"q": {"d1": 1, "d3": 1}}, k=10)
    assert value[0] == pytest.approx((1 + 0.5) / (1 + 1 / np.log2(3)))
    # only the top k count
    assert qt.ndcg_at_k(ranked, ["q"], ["d1", "d2", "d3"], {"q": {"d1": 1}}, k=2)[0] == 0.0


def test_rescoring_with_a_large_multiplier_is_float_search(exp):
    p = qt.plan(exp)
    frame = qt.rescoring(exp, p)
    exact = frame[frame["precision"] == "float32"]
    assert len(exact) == 1 and exact["retention"].iloc[0] == 1.0
    large = frame[frame["rescore_multiplier"] == 100]
    # every document is a candidate: re-ranking by the float32 query against float32 rows IS float search
    assert (large[large["rescore_against"] == "float32"]["value"] == exact["value"].iloc[0]).all()
    assert set(zip(large["precision"], large["rescore_against"])) == {("int8", "float32"), ("binary", "float32"),
                                                                      ("binary", "quantized")}
    assert frame["rescore_multiplier"].isna().sum() == 3  # float32, int8 and binary without rescoring
    # our exact search reproduces mteb's nDCG@10 on the same stored vectors
    results, _ = qt.run_precisions(exp, p, progress=False)
    assert np.isnan(qt.mteb_agreement(frame, results, k=3))  # mteb's records keep nDCG@10 only
    p["rescoring"].update(k=10, precisions=[])
    assert qt.mteb_agreement(qt.rescoring(exp, p), results, k=10) < 1e-5  # float rounding differences only


def test_rescored_binary_search_returns_k_float_ranked_results():
    rng = np.random.default_rng(0)
    docs = unit_rows(rng.normal(size=(40, 16)).astype(np.float32))
    queries = unit_rows(rng.normal(size=(5, 16)).astype(np.float32))
    index = qt.precision_index("binary", docs)
    hits = rescore_search(queries, docs, index, k=4, multiplier=20)  # 80 candidates >= 40 documents
    np.testing.assert_array_equal(hits.ids, np.argsort(-(queries @ docs.T), axis=1, kind="stable")[:, :4])
    assert rescore_search(queries, docs, index, k=4, multiplier=1).ids.shape == (5, 4)


def test_the_int8_index_uses_the_calibration_ranges():
    faiss = pytest.importorskip("faiss")
    rng = np.random.default_rng(1)
    calibration, docs = rng.normal(size=(100, 8)).astype(np.float32), rng.normal(size=(30, 8)).astype(np.float32)
    index = qt.precision_index("int8", docs, calibration)
    trained = faiss.vector_to_array(index.sq.trained).reshape(2, 8)
    ranges = Int8().fit(calibration, source="c").ranges
    np.testing.assert_allclose(trained, [ranges[0], ranges[1] - ranges[0]], rtol=1e-6)
    with pytest.raises(EmbedlabError, match="needs calibration vectors"):
        qt.precision_index("int8", docs)


def test_nested_pca_is_the_pca_fitted_at_that_dimension():
    rng = np.random.default_rng(2)
    calibration = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12))
    x = rng.normal(size=(20, 12))
    big = PCAReduction(10, renormalize=False).fit(calibration, source="c")
    for dim in (2, 5, 10):
        np.testing.assert_allclose(qt.nested_pca(big, dim).apply(x), PCAReduction(dim).fit(calibration, source="c").apply(x),
                                   atol=1e-6)
    with pytest.raises(EmbedlabError, match="un-normalised PCA"):
        qt.nested_pca(PCAReduction(4).fit(calibration, source="c"), 2)


def test_frontier_recipes_are_labelled_and_the_smallest_within_a_level_is_found(exp):
    p = qt.plan(exp)
    results, items = qt.run_precisions(exp, p, progress=False)
    frontier = qt.run_frontier(exp, p, results, progress=False, items=items)
    main = frontier[frontier["main"]]
    assert ("toy", "truncation-2 binary", main["task"].iloc[0]) in items  # the frontier's per-item data joins A's
    assert sorted(set(zip(main["method"], main["dim"], main["precision"]))) == sorted(
        (m, d, q) for m in ("truncation", "pca_inductive") for d in (2, 4) for q in ("float32", "int8", "binary"))
    assert set(main[main["precision"] == "binary"]["bytes_per_vector"]) == {1}
    assert set(main[(main["precision"] == "int8") & (main["dim"] == 4)]["bytes_per_vector"]) == {4}
    both = qm.with_chance(exp, pd.concat([results, frontier], ignore_index=True))
    frame = qm.margin_frame(both, items, {"n_resamples": 100, "seed": 0}, set(p["frontier"]["tasks"]))
    table = qm.smallest_recipes(frame)
    assert list(table["model"]) == ["every model", "toy"] * 2  # one row per task type and model, "every model" first
    for _, row in table.iterrows():
        part = frame[(frame["task_type"] == row["task type"]) & (frame["model"] == "toy")]
        decide = part["ci_low"].fillna(part["margin retention"])
        for tag, level in (("1%", 0.99), ("5%", 0.95)):
            assert row[f"within {tag}: bytes"] == part[decide >= level]["bytes"].min()
            assert row[f"within {tag}: interval low"] >= level
    front = qt.fronts(frame)
    assert front.groupby(["task_type", "model"])["margin retention"].apply(lambda r: r.is_monotonic_increasing).all()


def test_search_costs_are_ratios_to_float32_in_one_run(exp):
    p = qt.plan(exp)
    costs = qt.search_costs(exp, p)
    assert list(costs["precision"]) == ["float32", "float16", "int8", "binary"]
    ref = costs.set_index("precision").loc["float32"]
    assert ref["single speed-up"] == 1.0 and ref["batch speed-up"] == 1.0 and ref["threads"] == 1
    assert list(costs["bytes per vector"]) == [24, 12, 6, 1]
    records = qt.cost_records(qt.run_precisions(exp, p, progress=False)[0], pd.DataFrame(), costs)
    timed = records[records["metric"] == "search_ms_per_query"]
    assert set(timed["query_pattern"]) == {"one query at a time", "batch of 5"} and len(timed) == 8


def test_the_smallest_recipe_for_every_model_holds_for_the_worst_model():
    rows = [("native float32", 24, 48, 1.0, 1.0), ("native int8", 6, 12, 0.995, 0.992),
            ("truncation-2 binary", 1, 1, 0.97, 0.90), ("truncation-4 int8", 4, 4, 0.99, 0.96)]
    frame = pd.DataFrame([{"task_type": "sts", "model": m, "recipe": r, "bytes": (ba, bb)[i],
                           "margin retention": (ra, rb)[i], "ci_low": (ra, rb)[i]}
                          for r, ba, bb, ra, rb in rows for i, m in enumerate(("a", "b"))])
    table = qm.smallest_recipes(frame).set_index("model")
    assert table.loc["a", ["within 1%: recipe", "within 5%: recipe"]].tolist() == ["truncation-4 int8", "truncation-2 binary"]
    assert table.loc["b", ["within 1%: recipe", "within 5%: recipe"]].tolist() == ["native int8", "truncation-4 int8"]
    every = table.loc["every model"]
    assert every[["within 1%: recipe", "within 1%: bytes", "within 5%: recipe", "within 5%: bytes"]].tolist() == [
        "native int8", 12, "truncation-4 int8", 4]
    assert every["within 5%: interval low"] == 0.96 and every["float32 bytes"] == 48


def test_weight_label_says_how_the_weights_run():
    from embedlab.analysis.quantization_tradeoffs import weight_label

    assert weight_label({"loader": "sentence_transformers", "options": {}}) == "fp32"
    assert weight_label({"loader": "sentence_transformers", "options": {"precision": "onnx-int8"}}) == "onnx-int8"
    assert weight_label({"loader": "sentence_transformers", "options": {"prune": 0.65}}) == "fp32, 65% of Linear weights pruned"
    assert weight_label({"loader": "onnx", "options": {"tokenizer": "x"}}) == "ONNX as shipped"
    assert weight_label({"loader": "model2vec", "options": {"pca_dims": 64}}) == "static, distilled"




def test_rescoring_has_centred_binary_and_paired_intervals_over_queries(exp):
    p = qt.plan(exp)
    p["rescoring"]["precisions"] = ["binary", "binary centred"]
    frame = qt.rescoring(exp, p)
    exact = frame[frame["precision"] == "float32"]["value"].iloc[0]
    large = frame[(frame["rescore_multiplier"] == 100) & (frame["rescore_against"] == "float32")]
    # centred or not, every document a candidate re-ranked against float32 rows is float search
    assert set(large["precision"]) == {"binary", "binary centred"} and (large["value"] == exact).all()
    assert ((large["retention_ci_low"] == 1) & (large["retention_ci_high"] == 1)).all()  # identical per query
    assert (frame["retention_ci_low"] <= frame["retention"] + 1e-12).all()
    assert (frame["retention"] <= frame["retention_ci_high"] + 1e-12).all()
    assert set(large["candidate_share"]) == {1.0} and frame["n_corpus"].iloc[0] == 8
    assert p["rescoring"]["report_multiplier"] == 100  # 4 is not a listed multiplier: the largest is reported
    text = qt.binary_by_model(frame)
    assert text.startswith("toy ") and " → " in text


def test_headline_pins_margins_binary_per_model_rescoring_search_recipes_and_cache_on_hand_made_records():
    margins = pd.DataFrame({"mean over types": [0.999, 0.98, 0.6, 0.85]},
                           index=["float16", "int8", "binary", "binary centred"])
    base = {"model": "all-MiniLM-L6-v2", "task": "SciFact", "n_corpus": 5183, "rescore_against": "float32"}
    rescored = pd.DataFrame([
        dict(base, precision="binary", rescore_multiplier=np.nan, retention=0.91, retention_ci_low=0.87,
             retention_ci_high=0.95, candidate_share=np.nan),
        dict(base, precision="binary centred", rescore_multiplier=np.nan, retention=0.87, retention_ci_low=0.83,
             retention_ci_high=0.90, candidate_share=np.nan),
        dict(base, precision="binary", rescore_multiplier=4, retention=0.97, retention_ci_low=0.95,
             retention_ci_high=0.99, candidate_share=0.0077)])
    costs = pd.DataFrame([
        {"precision": "float32", "threads": 1, "repeats": 5, "single speed-up": 1.0, "single speed-up min": 1.0,
         "single speed-up max": 1.0, "batch speed-up": 1.0, "batch speed-up min": 1.0, "batch speed-up max": 1.0},
        {"precision": "binary", "threads": 1, "repeats": 5, "single speed-up": 18.0, "single speed-up min": 16.0,
         "single speed-up max": 25.0, "batch speed-up": 10.4, "batch speed-up min": 9.1, "batch speed-up max": 11.0}])
    recipes = pd.DataFrame([{"model": qt.EVERY_MODEL, "task type": "sts", "within 5%: bytes": 48}])
    p = {"models": ["all-MiniLM-L6-v2", "e5", "gemma-x"], "decoders": ["gemma-x"], "rescoring": {"report_multiplier": 4}}
    # the per-round speed-ups' ranges: 16 to 25 (9 wide: no decimals); 9.1 to 11 (1.9 wide: no decimals)
    assert qt.headline(margins, rescored, costs, recipes, p, None, "Cache hits make x5") == (
        "Stored vectors keep float16 99.9%, int8 98.0%, binary 60.0%, binary centred 85.0% of float32's margin above "
        "chance (mean over 2 embedding models and the task types; the decoder gemma-x is reported on its own); binary "
        "retrieval on SciFact (5,183 documents) keeps, per model, raw → centred sign bits: MiniLM 91% [87%, 95%] → "
        "87% [83%, 90%]; rescoring 4× the candidates (0.8% of the corpus) with float32 vectors brings binary to "
        "97%–97%; binary search is 18× (16–25) faster than float32 one query at a time and 10× (9–11) batched (1 faiss "
        "thread, range of the per-round ratios over 5 interleaved rounds); the smallest vector whose margin stays within 5% (95% interval) for every "
        "embedding model is 48 B for sts; cache hits make x5.")
    # without retrieval, timing, recipes or cache: the margins alone
    assert qt.headline(margins.loc[["int8"]], rescored.iloc[:0], costs.iloc[:0], recipes.iloc[:0],
                       dict(p, decoders=[])) == (
        "Stored vectors keep int8 98.0% of float32's margin above chance (mean over 3 embedding models and the task types).")


def test_backend_saving_is_minutes_times_one_minus_the_inverse_speedup_per_kind_of_text():
    from embedlab.analysis.quantization_tradeoffs.weights import backend_saving

    out = backend_saving({"short": 10.0, "long": 30.0}, {"value": 1.25, "min": 1.0, "max": 2.0},
                         {"value": 1.5, "min": 1.2, "max": 3.0})
    assert out["value"] == pytest.approx(10 * 0.2 + 30 / 3) and out["of"] == 40.0
    assert out["min"] == pytest.approx(0 + 30 * (1 - 1 / 1.2)) and out["max"] == pytest.approx(5 + 20)
    same = backend_saving({"short": 6.0, "long": 6.0}, {"value": 2.0, "min": 2.0, "max": 2.0}, None)
    assert same["value"] == pytest.approx(6.0)


def test_encode_minutes_counts_the_store_seconds_of_current_tasks_by_kind_of_text(tmp_path, monkeypatch):
    import json

    import embedlab.paths as paths
    from embedlab.analysis.quantization_tradeoffs.weights import encode_minutes

    monkeypatch.setattr(paths, "embeddings_dir", lambda: tmp_path)
    (tmp_path / "m").mkdir()
    for name, checksum, seconds in (("a", "x", 120.0), ("b", "y", 60.0), ("c", "old", 600.0)):
        (tmp_path / "m" / f"{name}.meta.json").write_text(json.dumps({"task_checksum": checksum, "seconds": seconds}))
    prepared = {"a": {"checksum": "x", "text_length": "long"}, "b": {"checksum": "y"}, "c": {"checksum": "new"},
                "d": {"checksum": "z"}}
    assert encode_minutes("m", prepared) == {"short": 1.0, "long": 2.0}  # c is stale, d never encoded
