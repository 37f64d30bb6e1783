"""Experiment 02 on the tiny project (no model) and on hand-made records: an in-domain PCA is fitted on
the task's own training data minus every evaluated test text (the off-domain fallback labelled where a
task has none), the transductive fit is labelled an upper bound and kept out of every ranking, the
smallest dimensions are per model at scored dimensions only, the same-recipe pair is scored at the
small model's native size on every type, search times are result records, and the written text comes
from the records."""

import numpy as np
import pandas as pd
import pytest
import yaml

from conftest import _vector
from embedlab import Experiment
from embedlab.analysis.dimension_scaling import costs as dc
from embedlab.analysis.dimension_scaling import figures as dfig
from embedlab.analysis import calibration, dimension_scaling as ds
from embedlab.analysis.dimension_scaling import prose as dtext
from embedlab.errors import EmbedlabError
from embedlab.vectors.reduction import PCAReduction
from embedlab.tasks import texts_to_embed

METHODS = ["truncation", "pca_in_domain", "pca_off_domain", "random_projection", "pca_transductive"]
GROUP = {"models": ["toy"], "dims": [2, 4], "dims_per_model": {}, "methods": METHODS,
         "tasks": ["ToySTS", "ToyClassification"], "dims_by_type": {}, "calibration": "ToyCalibration",
         "in_domain_calibration": {"ToySTS": "ToySTS-train", "ToyClassification": "ToyClassification"},
         "random_projection_spread": {"dim": 2, "seeds": [0, 1]}, "search": {"model": "toy"}, "n_experiments": 2}
# fit-only STS train split: two of its texts are test texts of the evaluated tasks
STS_TRAIN = {"sentence1": ["a cat sat", "birds sing", "trees grow", "pos t0", "wind blows"],
             "sentence2": ["snow melts", "a bird sings", "grass grows", "rivers flow", "a breeze"],
             "score": [1.0, 4.5, 3.0, 0.5, 4.0]}
CALIBRATION = {"sentence1": ["ships sail", "a dog ran", "clocks tick", "bells ring", "lamps glow"],
               "sentence2": ["boats float", "cars drive", "time passes", "a chime", "light shines"],
               "score": [4.0, 1.0, 3.0, 4.0, 3.5]}


def add_task(root, name, body, models=(("toy", 6),)):
    """Write a prepared task and every model's stored vectors of it into the tiny project."""
    import json

    from embedlab.provenance import atomic_write_json, sha256_json
    from embedlab.store import save_embeddings

    task = {"name": name, **body, "checksum": sha256_json(body["splits"])}
    atomic_write_json(root / "data" / "tasks" / f"{name}.json", task)
    index = json.loads((root / "data" / "tasks" / "index.json").read_text())
    index["tasks"][name] = {"type": task["type"], "available": True, "checksum": task["checksum"],
                            "default": not name.endswith("-train")}
    atomic_write_json(root / "data" / "tasks" / "index.json", index)
    for model, dim in models:
        for role, texts in texts_to_embed(task).items():
            save_embeddings(root / "data" / "embeddings", model, name, role, texts,
                            np.stack([_vector(t, dim) for t in texts]),
                            {"task_checksum": task["checksum"], "model_fingerprint": "toy-fp"})


def make_exp(root, group, models=(("toy", 6),)):
    params = yaml.safe_load((root / "params.yaml").read_text())
    for model, dim in models:
        params["models"][model] = dict(params["models"]["toy"], dim=dim)
    params["experiments"]["dimension_scaling"] = "02_dimension_scaling"
    params["dimension_scaling"] = group
    params["data"]["tasks"] = params["data"]["tasks"] + ["ToySTS", "ToyClassification", "ToySTS-train", "ToyCalibration"]
    (root / "params.yaml").write_text(yaml.safe_dump(params))
    add_task(root, "ToySTS-train", {"type": "sts", "language": "en", "splits": {"train": STS_TRAIN}}, models)
    add_task(root, "ToyCalibration", {"type": "sts", "language": "en", "splits": {"test": CALIBRATION}}, models)
    return Experiment("dimension_scaling")


@pytest.fixture
def exp(tiny_project):
    return make_exp(tiny_project, dict(GROUP))


def test_in_domain_fit_reads_the_tasks_training_data_minus_every_evaluated_test_text(exp, monkeypatch):
    seen = []
    original = PCAReduction.fit
    monkeypatch.setattr(PCAReduction, "fit", lambda self, x, source, transductive=False: (
        seen.append((transductive, np.asarray(x).copy())), original(self, x, source=source, transductive=transductive))[1])
    p = ds.plan(exp)
    sts_texts, sts = p["in_domain_sets"]["toy", "ToySTS"]
    assert "a cat sat" not in sts_texts and "pos t0" not in sts_texts      # ToySTS's and ToyClassification's test texts
    assert set(sts_texts) == set(STS_TRAIN["sentence1"] + STS_TRAIN["sentence2"]) - {"a cat sat", "pos t0"}
    cls_texts, cls = p["in_domain_sets"]["toy", "ToyClassification"]
    assert cls_texts == exp.task("ToyClassification")["splits"]["train"]["text"]   # its train split, no test row
    cal_texts, cal = p["calibration_sets"]["toy"]
    assert "a dog ran" not in cal_texts and len(cal_texts) == 9                    # every evaluated text removed
    results, items, skipped = ds.run_grid(exp, p, progress=False)
    tests = [_vector(t) for t in calibration.test_texts(exp, p["tasks"])]
    inductive = [x for transductive, x in seen if not transductive]
    assert len(inductive) == 3 * 2 and len(seen) == 5 * 2                         # one fit per (fit texts, dim)
    for x in inductive:
        assert not any(np.allclose(row, v) for row in x for v in tests)
    main = results[results["main"]]
    sts_rows = main[(main["method"] == "pca_in_domain") & (main["task"] == "ToySTS")]
    assert set(sts_rows["fit"]) == {"in-domain"} and all(c.startswith("ToySTS-train (8 texts") for c in sts_rows["calibration"])
    off = main[main["method"] == "pca_off_domain"]
    assert set(off["fit"]) == {"off-domain"} and all(c.startswith("ToyCalibration (9 texts") for c in off["calibration"])
    assert set(main[main["method"] == "pca_transductive"]["calibration"]) == {"transductive"}


def test_a_task_without_training_data_falls_back_to_the_off_domain_fit_labelled(tiny_project):
    exp = make_exp(tiny_project, dict(GROUP, in_domain_calibration={"ToySTS": "ToySTS-train"}))
    p = ds.plan(exp)
    results, _, _ = ds.run_grid(exp, p, progress=False)
    main = results[results["main"]].set_index(["method", "dim", "task"])
    fallback = main.loc["pca_in_domain"].xs("ToyClassification", level="task")
    assert set(fallback["fit"]) == {ds.FALLBACK}
    np.testing.assert_allclose(fallback["value"], main.loc["pca_off_domain"].xs("ToyClassification", level="task")["value"])
    table = ds.fit_table(p).set_index("task")
    assert table.loc["ToyClassification", "in-domain fit"] == "none: no training data"
    assert table.loc["ToySTS", "fit texts"] == 8


def test_every_method_and_dim_is_scored_the_upper_bound_flagged(exp):
    p = ds.plan(exp)
    results, items, skipped = ds.run_grid(exp, p, progress=False)
    main = results[results["main"]]
    native = main[main["method"] == "native"].set_index("task")["value"]
    grid = main[(main["method"] != "native") & ~main["seed_run"]]
    assert sorted(map(tuple, grid[["method", "dim"]].drop_duplicates().to_numpy())) == sorted(
        (m, d) for m in METHODS for d in (2, 4))
    np.testing.assert_allclose(grid["retention"], grid["value"] / native.reindex(grid["task"]).to_numpy())
    assert set(results[results["upper_bound"]]["method"]) == {"pca_transductive"}
    assert main[main["seed_run"]]["seed"].tolist() == [1, 1]                # seed 0 is the grid's own run
    table = ds.smallest_dims(results)
    assert set(table[table["kind"] == "upper bound"]["method"]) == {"pca_transductive"}


def test_same_recipe_scores_the_large_model_at_the_small_ones_native_size_on_every_type(tiny_project):
    models = (("toy", 6), ("toy-small", 4))
    exp = make_exp(tiny_project, dict(GROUP, models=["toy", "toy-small"], dims_by_type={"classification": [2]},
                                      same_recipe={"small": "toy-small", "large": "toy"}), models)
    for name in ("ToySTS", "ToyClassification"):  # the tiny project stores these for "toy" only
        add_task(tiny_project, name, {k: v for k, v in exp.task(name).items() if k not in ("name", "checksum")},
                 models[1:])
    p = ds.plan(exp)
    assert ds.tasks_at(p, 4, "toy") == ["ToySTS", "ToyClassification"] and ds.tasks_at(p, 4) == ["ToySTS"]
    results, items, _ = ds.run_grid(exp, p, progress=False)
    extra = results[results["main"] & results["same_recipe_only"]]
    assert set(extra["task"]) == {"ToyClassification"} and set(extra["dim"]) == {4} and set(extra["model"]) == {"toy"}
    reduced = ds.retention_by_type(results).query("task_type == 'classification' and method != 'native'")
    assert set(reduced["dim"]) == {2}                                              # the extra cells stay out of the grid
    pair = ds.same_recipe(exp, results, items, p)
    assert pair["method"].iloc[0] == "native" and pair["dim"].iloc[0] == 6         # claim C17 reads the first row
    assert set(pair["method"]) == {"native", *METHODS} and set(pair["task types"]) == {"sts, classification"}
    assert pair.set_index("method").loc["pca_transductive", "kind"] == "upper bound"
    by_type = ds.same_recipe_by_type(results, p)
    assert list(by_type.columns) == ["sts", "classification"] and by_type.notna().all().all()


def records(rows):
    """Main records from (model, native, method, dim, task, retention)."""
    frame = pd.DataFrame(rows, columns=["model", "native_dim", "method", "dim", "task", "retention"])
    return frame.assign(value=frame["retention"], main=True, seed_run=False, same_recipe_only=False,
                        task_type="sts", fit=frame["method"].map(ds.FITS))


HAND = records([
    # big (768): truncation keeps 99% first at 256, 95% at 128; never scored at 512 on task b
    *[("big", 768, "truncation", d, t, r) for d, ra, rb in [(64, 0.90, 0.92), (128, 0.96, 0.95), (256, 0.99, 1.0)]
      for t, r in (("a", ra), ("b", rb))],
    ("big", 768, "truncation", 512, "a", 1.0),
    *[("big", 768, "pca_transductive", d, t, r) for d, r in [(64, 0.995), (128, 1.0)] for t in ("a", "b")],
    # small (384): random projection never keeps 99%
    *[("small", 384, "random_projection", d, t, r) for d, r in [(64, 0.94), (128, 0.97)] for t in ("a", "b")],
])


def test_smallest_dims_are_per_model_at_scored_dims_only():
    table = ds.smallest_dims_per_model(HAND, ["a", "b"]).set_index(["model", "method"])
    big = table.loc["big", "truncation"]
    assert (big["99%"], big["95%"], big["scored dims"]) == (256, 128, "64, 128, 256")  # 512 lacks task b
    assert table.loc["big", "pca_transductive"]["kind"] == "upper bound" and table.loc["big", "pca_transductive"]["99%"] == 64
    rp = table.loc["small", "random_projection"]
    assert (rp["99%"], rp["99% reached below native"], rp["95%"]) == (384, False, 128)


def test_headline_names_the_upper_bound_apart_and_quotes_only_the_records():
    per_model = ds.smallest_dims_per_model(HAND, ["a", "b"])
    half = pd.DataFrame([{"model": "big", "method": "pca_in_domain", "fit": "in-domain", "native": 768, "half": 384,
                          "tasks": 2, "mean retention": 0.9876, "loss": 0.0124, "agrees (loss ≤ 1.5%)": True}])
    assert dtext.headline(per_model, half) == (
        "Smallest scored dimension keeping 99% of the native score (mean over the 2 tasks scored at every dimension; "
        "in-domain PCA over those with training data), "
        "per model: `small` (384): random projection none below 384; `big` (768): truncation 256; upper bound (PCA "
        "fitted on the evaluated texts) 64. PCA fitted on each task's training data, at half the native size, loses "
        "1.2% (big) over the tasks that have training data (Zhang et al. 2024, same protocol on other tasks: about 1%).")
    text = dtext.interpretation(per_model, half, pd.DataFrame(), "", pd.DataFrame(), pd.DataFrame())
    assert "in-domain PCA 768→384: loss 1.2% over 2 tasks (agrees)" in text and "arXiv:2403.14001" in text


def test_smallest_dims_judge_in_domain_pca_on_the_tasks_fitted_in_domain_only():
    rows = records([*[("m", 8, "pca_in_domain", d, "a", r) for d, r in [(2, 0.995), (4, 1.0)]],
                    *[("m", 8, "pca_in_domain", d, "b", r) for d, r in [(2, 0.5), (4, 0.8)]],   # fallback fit
                    *[("m", 8, "pca_off_domain", d, t, r) for d, r in [(2, 0.5), (4, 0.99)] for t in ("a", "b")],
                    *[("n", 8, "pca_in_domain", 4, t, 0.99) for t in ("a", "b")]])
    rows.loc[(rows["task"] == "b") & (rows["method"] == "pca_in_domain") & (rows["model"] == "m"), "fit"] = ds.FALLBACK
    rows.loc[rows["model"] == "n", "fit"] = ds.FALLBACK    # model n: no task with training data
    table = ds.smallest_dims_per_model(rows, ["a", "b"]).set_index(["model", "method"])
    inside = table.loc["m", "pca_in_domain"]
    assert (inside["99%"], inside["tasks"], inside["judged on"]) == (2, 1, "a")   # b's 0.5 (fallback) not counted
    assert table.loc["m", "pca_off_domain"]["99%"] == 4 and table.loc["m", "pca_off_domain"]["tasks"] == 2
    assert ("n", "pca_in_domain") not in table.index
    text = dtext.smallest_dims_text(table.reset_index(), "99%")
    assert "in-domain PCA 2 (on the 1 task with training data: a)" in text and "off-domain PCA 4" in text
    assert dtext.grid_size(table.reset_index()) == 2


def test_half_dimension_check_judges_in_domain_pca_on_in_domain_fits_only():
    rows = records([("m", 8, "pca_in_domain", 4, "a", 0.99), ("m", 8, "pca_in_domain", 4, "b", 0.80),
                    ("m", 8, "pca_off_domain", 4, "a", 0.97), ("m", 8, "pca_off_domain", 4, "b", 0.95)])
    rows.loc[1, "fit"] = ds.FALLBACK                       # task b has no training data
    half = ds.half_dimension_check(rows).set_index("method")
    assert half.loc["pca_in_domain", "tasks"] == 1 and half.loc["pca_in_domain", "loss"] == pytest.approx(0.01)
    assert half.loc["pca_off_domain", "tasks"] == 2 and half.loc["pca_off_domain", "loss"] == pytest.approx(0.04)


def test_titles_and_legends_keep_the_upper_bound_out_of_the_ranking():
    rows = records([("m", 256, "truncation", 128, "a", 0.9), ("m", 256, "random_projection", 128, "a", 0.8),
                    ("m", 256, "pca_transductive", 128, "a", 1.0)])
    assert dfig.retention_title(rows) == ("At 128 dims truncation keeps 90% of the native score on average, random "
                                          "projection 80%; upper bound (PCA fitted on the evaluated texts): 100%")
    assert dfig.label("pca_transductive") == "PCA fitted on evaluated texts (upper bound)"
    fig, axes = dfig.retention_figure(rows)
    line = next(l for l in axes[0][0].get_lines() if l.get_label() == dfig.label("pca_transductive"))
    assert line.get_linestyle() == "--"
    frame = pd.DataFrame({"model": "m", "method": ["truncation", "pca_transductive"], "dim": [64, 64],
                          "quality": [0.7, 0.9], "bytes": [256, 256], "upper_bound": [False, True]})
    assert dfig.pareto_title(frame).startswith("1 of 1 (model, method, dim) points are on the Pareto front")


def test_methods_name_where_they_are_fitted(exp):
    exp.group.update(methods=["truncation", "pca_inductive"])
    with pytest.raises(EmbedlabError, match="use pca_in_domain .* and/or pca_off_domain"):
        ds.plan(exp)


COSTS = pd.DataFrame({"dim": [16, 64], "native_dim": 64, "model": "m", "bytes per vector": [64, 256],
                      "single_ms_per_query": [0.1, 0.4], "single_ms_min": [0.09, 0.35], "single_ms_max": [0.12, 0.5],
                      "batch_ms_per_query": [0.05, 0.1], "batch_ms_min": [0.04, 0.09], "batch_ms_max": [0.06, 0.2],
                      "single ratio to native": [0.25, 1.0], "single ratio to native min": [0.2, 1.0],
                      "single ratio to native max": [0.3, 1.0], "batch ratio to native": [0.5, 1.0],
                      "batch ratio to native min": [0.4, 1.0], "batch ratio to native max": [0.7, 1.0],
                      "n_corpus": 5000, "k": 10, "n_single": 100, "batch": 1000, "repeats": 3, "threads": 1})


def test_search_times_are_result_records_and_the_cost_sentence_reads_them():
    recs = dc.search_records(COSTS)
    single = recs[(recs["metric"] == "search_ms_single") & (recs["dim"] == 16)].iloc[0]
    assert (single["value"], single["ms_min"], single["ms_max"], single["threads"]) == (0.1, 0.09, 0.12, 1)
    assert not recs["main"].any() and set(recs["task_type"]) == {"cost"}
    assert recs[(recs["metric"] == "search_ratio_batch_to_native") & (recs["dim"] == 16)]["value"].iloc[0] == 0.5
    assert dc.cost_sentence(recs) == ("**Cost** (5,000 stored vectors, faiss IndexFlatIP, 1 thread, median of 3 interleaved rounds): "
                                      "at 16 dims a vector takes 64 bytes (25.0% of native); one query at a time costs "
                                      "0.2× (0.2–0.3) the native time, a batched query 0.5× (0.4–0.7).")


def test_search_costs_times_with_the_threads_param_and_restores_faiss(exp):
    from embedlab.vectors.search import faiss_module

    faiss = faiss_module()
    before = faiss.omp_get_max_threads()
    exp.group.update(search={"model": "toy", "k": 2, "single_queries": 3, "batch": 4, "repeats": 1, "min_corpus": 10,
                             "threads": 1})
    costs = dc.search_costs(exp, ds.plan(exp))
    assert set(costs["threads"]) == {1} and faiss.omp_get_max_threads() == before
    assert list(costs["dim"]) == [2, 4, 6] and costs.set_index("dim").loc[6, "single ratio to native"] == 1.0


def test_embed_plan_encodes_the_in_domain_fit_tasks_for_every_model():
    from embedlab.analysis.dimension_scaling.needs import needs

    runs = needs(dict(GROUP, in_domain_calibration={"ToySTS": "ToySTS-train",
                                                               "X": {"task": "Big", "roles": ["document"]}}), "g")
    assert runs["toy"] == ["ToySTS", "ToyClassification", "ToyCalibration", "ToySTS-train", "Big"]
    with pytest.raises(EmbedlabError, match="in_domain_calibration.X"):
        needs(dict(GROUP, in_domain_calibration={"X": {"task": "Big", "roles": ["train"]}}), "g")


def test_a_fit_only_task_is_prepared_whole_and_never_a_default(tmp_path):
    import dataclasses

    from embedlab.tasks import CATALOG, declare, default_tasks, prepare_tasks, register

    spec = dataclasses.replace(declare("ToyTrain", "sts", "en", "mirror", ["x"], "test data", fit_only=True),
                               splits=("train",))
    register(spec, mirror=lambda files, seed: {"train": {"sentence1": [f"a{i}" for i in range(50)],
                                                         "sentence2": [f"b{i}" for i in range(50)], "score": [1.0] * 50}})
    try:
        index = prepare_tasks(["ToyTrain"], mirror=tmp_path, sizes={"sts_pairs": 10}, seed=0, out_dir=tmp_path / "out")
    finally:
        del CATALOG["ToyTrain"]
    assert list(index["tasks"]) == ["ToyTrain"] and index["tasks"]["ToyTrain"]["n_used"] == {"train": 50}
    assert default_tasks(tmp_path / "out") == []


@pytest.mark.parametrize("change, message", [
    ({"dims_per_model": {"toy": [2, 8]}}, "target dimension 8 is above toy's native size 6"),
    ({"methods": ["truncation", "umap"]}, "unknown reduction method 'umap'"),
    ({"tasks": ["ToySTS", "ToyCalibration"]}, "an inductive fit would see its test rows"),
    ({"models": ["nope"]}, "names model 'nope'"),
    ({"random_projection_spread": {"dim": 7, "seeds": [0]}}, "above toy's native size 6"),
    ({"dims_by_type": {"sts-ish": [2]}}, "not a task type"),
    ({"in_domain_calibration": {"ToySTS": {"task": "ToySTS-train", "roles": ["train"]}}}, "in_domain_calibration.ToySTS"),
])
def test_bad_params_fail_before_any_work(exp, change, message):
    exp.group.update(change)
    with pytest.raises(EmbedlabError, match=message):
        ds.plan(exp)


def test_plateau_of_the_upper_bound_is_compared_with_centring_alone():
    from embedlab.analysis.dimension_scaling import bound as dbound
    results = records([("m", 8, "pca_transductive", 4, "a", 0.80), ("m", 8, "pca_transductive", 6, "a", 0.79),
                       ("m", 8, "pca_transductive", 6, "b", 0.99)]).assign(native_dim=8)
    centred = pd.DataFrame({"model": ["m", "m"], "task": ["a", "b"], "retention": [0.785, 1.0], "main": [True, True]})
    table = dbound.plateau_table(results, centred)
    assert table.set_index("task").loc["a", "upper bound's largest dim"] == 6
    assert table.set_index("task").loc["a", "difference"] == pytest.approx(0.005)
    text = dbound.plateau_sentence(table)
    assert "m on a: 79.0% at 6 of 8 dims, centring alone 78.5%" in text and "to within 0.5%" in text
    assert "on b" not in text                                 # b's upper bound keeps 99%: no plateau to explain
    centred.loc[0, "retention"] = 0.70
    assert "does not account for 1 of these 1" in dbound.plateau_sentence(dbound.plateau_table(results, centred))
    assert dbound.plateau_sentence(table[table["task"] == "b"]) == ""
