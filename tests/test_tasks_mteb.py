"""MTEB tasks named in params: record from mteb's registry, data through datasets.load_dataset from
the hub or (here, offline) from a local folder holding a copy of the dataset."""

import json
from pathlib import Path

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.evaluate import evaluate_task
from embedlab.paths import repo_root
from embedlab.store import LookupEncoder, save_embeddings
from embedlab.tasks import load_prepared, mteb_task_spec, prepare_tasks, texts_to_embed


def _jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))


def test_record_comes_from_mtebs_registry():
    spec = mteb_task_spec("BIOSSES")
    assert (spec.type, spec.language, spec.main_score) == ("sts", "en", "cosine_spearman")
    assert spec.hub_id == "mteb/biosses-sts" and len(spec.hub_revision) == 40
    assert mteb_task_spec("NoSuchTaskXYZ") is None


@pytest.mark.parametrize("name, needle", [("SummEval", "Summarization"), ("STS17", "language subsets")])
def test_unsupported_mteb_task_kinds_are_one_line_errors(name, needle):
    with pytest.raises(EmbedlabError, match=needle):
        mteb_task_spec(name)


def test_unknown_task_names_neither_catalog(tmp_path):
    with pytest.raises(EmbedlabError, match="neither embedlab's catalog nor mteb's registry"):
        prepare_tasks(["NoSuchTaskXYZ"], mirror=None, sizes={}, seed=0, out_dir=tmp_path)


def test_sts_task_by_name_from_a_local_folder_is_prepared_and_scored(tmp_path):
    folder = tmp_path / "biosses"
    folder.mkdir()
    rows = [{"sentence1": f"a{i}", "sentence2": f"b{i}", "score": float(i)} for i in range(5)]
    _jsonl(folder / "test.jsonl", rows)
    index = prepare_tasks(["BIOSSES"], mirror=None, sizes={}, seed=0, out_dir=tmp_path / "tasks",
                          dataset_folders={"BIOSSES": str(folder)})
    record = index["tasks"]["BIOSSES"]
    assert record["available"] and record["source"] == "folder"
    task = load_prepared("BIOSSES", tmp_path / "tasks")
    assert task["splits"]["test"]["score"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert list(task["files"]) == ["test.jsonl"] and len(task["files"]["test.jsonl"]) == 64
    for recorded in (task["origin"], task["hub"]["id"]):  # relative to the repository root, in every clone
        assert not Path(recorded).is_absolute() and (repo_root() / recorded).resolve() == folder.resolve()
    # Vectors whose cosine rises with the gold score: Spearman exactly 1.
    texts = texts_to_embed(task)["query"]
    angle = {f"a{i}": 0.0 for i in range(5)} | {f"b{i}": (4 - i) * 0.3 for i in range(5)}
    vectors = np.array([[np.cos(angle[t]), np.sin(angle[t])] for t in texts], dtype=np.float32)
    save_embeddings(tmp_path / "emb", "toy", "BIOSSES", "query", texts, vectors, {"task_checksum": task["checksum"]})
    records = evaluate_task(task, LookupEncoder(tmp_path / "emb", "toy", "BIOSSES"), "toy")
    main = next(r for r in records if r["main"])
    assert (main["metric"], main["value"]) == ("cosine_spearman", pytest.approx(1.0))


def test_classification_task_by_name_from_a_local_folder(tmp_path):
    folder = tmp_path / "emotion"
    folder.mkdir()
    for split in ("train", "test"):
        _jsonl(folder / f"{split}.jsonl", [{"text": f"{split} {i}", "label": i % 3} for i in range(12)])
    prepare_tasks(["EmotionClassification"], mirror=None, sizes={}, seed=0, out_dir=tmp_path,
                  dataset_folders={"EmotionClassification": str(folder)})
    task = load_prepared("EmotionClassification", tmp_path)
    assert task["type"] == "classification" and task["main_score"] == "accuracy"
    assert task["splits"]["train"]["label"][:3] == ["0", "1", "2"] and len(task["splits"]["test"]["text"]) == 12


def test_by_name_offline_without_a_folder_is_unavailable_in_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    index = prepare_tasks(["BIOSSES"], mirror=None, sizes={}, seed=0, out_dir=tmp_path)
    record = index["tasks"]["BIOSSES"]
    assert record["available"] is False and "\n" not in record["reason"] and "fix:" in record["reason"]


def test_missing_dataset_folder_is_an_error(tmp_path):
    with pytest.raises(EmbedlabError, match="does not exist"):
        prepare_tasks(["BIOSSES"], mirror=None, sizes={}, seed=0, out_dir=tmp_path,
                      dataset_folders={"BIOSSES": str(tmp_path / "absent")})
