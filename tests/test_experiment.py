"""Experiment (what every notebook calls) and the embed stage's skip logic, on a tiny project: no model
is run, embeddings come from a toy store."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from embedlab.errors import EmbedlabError
from embedlab.experiment import Experiment
from embedlab.vectors.transforms import FunctionTransform, Transform


def test_experiment_resolves_by_name_or_group_and_from_a_subfolder(tiny_project, monkeypatch):
    assert Experiment("toy_study").name == "09_toy_study"
    monkeypatch.delenv("EMBEDLAB_ROOT")
    (tiny_project / "notebooks").mkdir()
    monkeypatch.chdir(tiny_project / "notebooks")  # where a JupyterLab kernel starts
    exp = Experiment("09_toy_study")
    assert exp.group == {"models": ["toy"]} and exp.metrics_path == tiny_project / "reports/metrics/09_toy_study.json"
    assert Experiment("09_toy_study", {"models": ["other"]}).group == {"models": ["other"]}  # papermill's values win


def test_evaluate_scores_every_task_and_writes_clone_independent_metrics(tiny_project):
    exp = Experiment("09_toy_study")
    tasks = exp.tasks()
    assert tasks == ["ToySTS", "ToyClassification"]
    results = exp.evaluate(["toy"], tasks, n_experiments=2)
    main = results[results["main"]].set_index("task")
    assert main.loc["ToyClassification", "metric"] == "accuracy"
    assert main.loc["ToyClassification", "value"] == 1.0  # the toy vectors separate the labels on axis 0
    assert main.loc["ToySTS", "metric"] == "cosine_spearman" and -1 <= main.loc["ToySTS", "value"] <= 1
    assert "class_cosine_gap" not in set(results["metric"])  # intrinsic side rows only when asked for
    side = exp.evaluate(["toy"], ["ToyClassification"], intrinsic=True, n_experiments=2)
    assert {"class_cosine_gap", "anisotropy"} <= set(side.loc[~side["main"], "metric"])
    path = exp.write_metrics(results, ["toy"], tasks)
    text = path.read_text()
    payload = json.loads(text)
    assert set(payload) == {"summary", "results", "provenance"}
    assert payload["provenance"]["datasets"]["ToySTS"]["checksum"]
    assert str(tiny_project) not in text, "the metrics file records where the clone lives"
    # the package's findings and its tables (a DataFrame becomes its rows) build the rest of the file
    from embedlab.schema import Findings

    table = pd.DataFrame({"model": ["toy"], "x": [1.5]})
    payload = json.loads(exp.write_metrics(results, ["toy"], tasks, findings=Findings("One line.", "fig", "Text."),
                                           table=table, counts={"n": 1}).read_text())
    assert (payload["headline"], payload["key_figure"], payload["interpretation"]) == ("One line.", "fig", "Text.")
    assert payload["table"] == [{"model": "toy", "x": 1.5}] and payload["counts"] == {"n": 1}


def test_evaluate_through_a_transform_labels_the_records(tiny_project):
    exp = Experiment("09_toy_study")
    first2 = FunctionTransform(lambda x: x[:, :2], name="truncation", dim=2)
    results = exp.evaluate(["toy"], ["ToyClassification"], transform=first2, intrinsic=False, n_experiments=1)
    assert set(results["transform"]) == {"truncation"} and set(results["dim"]) == {2}
    # a transformed variant's per-item data go where the caller asks, never into the cache compare reads
    mine, exp = {}, Experiment("09_toy_study")
    exp.evaluate(["toy"], ["ToyClassification"], transform=first2, intrinsic=False, n_experiments=1, items=mine)
    assert list(mine) == [("toy", "ToyClassification")] and ("toy", "ToyClassification") not in exp.items

    class Unfitted(Transform):
        name = "pca"

    with pytest.raises(EmbedlabError, match="not fitted"):
        exp.evaluate(["toy"], ["ToyClassification"], transform=Unfitted())


def test_unknown_task_is_a_one_line_error(tiny_project):
    with pytest.raises(EmbedlabError, match="tasks not prepared: Nope"):
        Experiment("toy_study").tasks(["ToySTS", "Nope"])


def test_embed_encodes_only_what_the_store_lacks(tiny_project, tiny_bert):
    from embedlab.encoders import encoder_groups, model_provenance, models_from_params
    from embedlab.provenance import sha256_json
    from embedlab.stages.embed import todo
    from embedlab.store import save_embeddings
    from embedlab.tasks import load_prepared, texts_to_embed

    entry = {"family": "bert", "loader": "transformers", "source": {"hub": str(tiny_bert)}, "dim": 8,
             "max_seq_length": 16, "options": {}}
    specs = list(models_from_params({"t-cls": {**entry, "pooling": "cls"},
                                     "t-mean": {**entry, "pooling": "mean"}}).values())
    groups = encoder_groups(specs)
    assert len(groups) == 1  # one forward pass for both poolings
    tasks = {n: load_prepared(n) for n in ("ToySTS", "ToyClassification")}
    texts = {n: texts_to_embed(t) for n, t in tasks.items()}
    root = tiny_project / "data" / "embeddings"
    assert todo(groups, tasks, texts, root) == {groups[0].name: ["ToySTS", "ToyClassification"]}
    for spec in specs:  # store ToySTS for both models, as embed would
        meta = {"task_checksum": tasks["ToySTS"]["checksum"], "model_fingerprint": sha256_json(model_provenance(spec))}
        for role, role_texts in texts["ToySTS"].items():
            save_embeddings(root, spec.id, "ToySTS", role, role_texts, np.zeros((len(role_texts), 8)), meta)
    assert todo(groups, tasks, texts, root) == {groups[0].name: ["ToyClassification"]}
    changed = dict(tasks, ToySTS=dict(tasks["ToySTS"], checksum="another version"))
    assert todo(groups, changed, texts, root) == {groups[0].name: ["ToySTS", "ToyClassification"]}
    assert groups[0]._backend is None, "deciding what to encode loads no model"
