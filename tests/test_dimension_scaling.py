"""Experiment 02's grid on the tiny project (no model): an inductive PCA is fitted on calibration rows
only, every (method, dim) is scored and labelled, retention is score / native score, and bad params fail
before any work."""

import numpy as np
import pytest
import yaml

from embedlab import Experiment
from embedlab.analysis import dimension_scaling as ds
from embedlab.errors import EmbedlabError
from embedlab.reduction import PCAReduction
from embedlab.tasks import texts_to_embed

GROUP = {"models": ["toy"], "dims": [2, 4], "dims_per_model": {}, "methods": ["truncation", "pca_inductive",
         "pca_transductive", "random_projection"], "tasks": ["ToySTS"], "dims_by_type": {},
         "calibration": "ToyClassification", "random_projection_spread": {"dim": 2, "seeds": [0, 1]},
         "search": {"model": "toy"}, "n_experiments": 2}


@pytest.fixture
def exp(tiny_project):
    params = yaml.safe_load((tiny_project / "params.yaml").read_text())
    params["experiments"]["dimension_scaling"] = "02_dimension_scaling"
    params["dimension_scaling"] = GROUP
    params["data"]["tasks"] = params["data"]["tasks"] + ["ToySTS", "ToyClassification"]
    (tiny_project / "params.yaml").write_text(yaml.safe_dump(params))
    return Experiment("dimension_scaling")


def test_inductive_pca_is_fitted_on_calibration_rows_only(exp, monkeypatch):
    seen = []
    original = PCAReduction._fit
    monkeypatch.setattr(PCAReduction, "_fit", lambda self, x: (seen.append((self.calibration, x.copy())), original(self, x)))
    p = ds.plan(exp)
    results, items, skipped = ds.run_grid(exp, p, progress=False)
    test_vectors = np.concatenate([ds.task_vectors(exp, "toy", "ToySTS")[1]])
    cal_texts, cal = ds.calibration_vectors(exp, "toy", "ToyClassification", ds.evaluated_texts(exp, ["ToySTS"]))
    inductive = [x for _, x in seen if len(x) == len(cal)]
    transductive = [x for _, x in seen if len(x) == len(test_vectors)]
    assert len(inductive) == 2 and len(transductive) == 2        # one fit per dim each
    for x in inductive:
        np.testing.assert_array_equal(x, cal)
        assert not any((x == row).all(axis=1).any() for row in test_vectors)
    labels = results[results["method"] == "pca_inductive"]["calibration"].unique()
    assert len(labels) == 1 and labels[0].startswith("ToyClassification (") and "none in the evaluated" in labels[0]
    assert set(results[results["method"] == "pca_transductive"]["calibration"]) == {"transductive"}


def test_calibration_drops_every_text_of_an_evaluated_task(exp):
    texts = [t for ts in texts_to_embed(exp.task("ToyClassification")).values() for t in ts]
    kept, vectors = ds.calibration_vectors(exp, "toy", "ToyClassification", {texts[0], texts[-1]})
    assert texts[0] not in kept and texts[-1] not in kept and len(kept) == len(texts) - 2 == len(vectors)


def test_every_method_and_dim_is_scored_with_retention_against_native(exp):
    p = ds.plan(exp)
    results, items, skipped = ds.run_grid(exp, p, progress=False)
    main = results[results["main"]]
    native = main[main["method"] == "native"]
    assert list(native["dim"]) == [6] and native["retention"].iloc[0] == pytest.approx(1.0)
    grid = main[(main["method"] != "native") & ~main["seed_run"]]
    assert sorted(map(tuple, grid[["method", "dim"]].drop_duplicates().to_numpy())) == sorted(
        (m, d) for m in GROUP["methods"] for d in (2, 4))
    np.testing.assert_allclose(grid["retention"], grid["value"] / native["value"].iloc[0])
    assert main[main["seed_run"]]["seed"].tolist() == [1]           # seed 0 is the grid's own run
    assert ("toy", "truncation", 2, "ToySTS") in items
    # the smallest-dimension table falls back to the native size where no reduced dim reaches the level
    table = ds.smallest_dims(results)
    assert set(table["99%"]) <= {2, 4, 6}


@pytest.mark.parametrize("change, message", [
    ({"dims_per_model": {"toy": [2, 8]}}, "target dimension 8 is above toy's native size 6"),
    ({"methods": ["truncation", "umap"]}, "unknown reduction method 'umap'"),
    ({"tasks": ["ToySTS", "ToyClassification"]}, "an inductive fit would see its test rows"),
    ({"models": ["nope"]}, "names model 'nope'"),
    ({"random_projection_spread": {"dim": 7, "seeds": [0]}}, "above toy's native size 6"),
    ({"dims_by_type": {"sts-ish": [2]}}, "not a task type"),
])
def test_bad_params_fail_before_any_work(exp, change, message):
    exp.group.update(change)
    with pytest.raises(EmbedlabError, match=message):
        ds.plan(exp)
