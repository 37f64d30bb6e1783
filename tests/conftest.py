"""Shared fixtures: the repository root, the benchmark mirror (EMBEDLAB_MIRROR overrides), the model
registry from params.yaml, a tiny random BERT folder, and a tiny project (prepared tasks + a store)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("EMBEDLAB_MIRROR", ROOT.parent / "shared" / "benchmarks"))
TINY_WORDS = ["the", "cat", "sat", "on", "mat", "a", "dog", "ran", "far", "away", "."]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def mirror() -> Path:
    if not (MIRROR / "MANIFEST.sha256").exists():
        pytest.skip(f"benchmark mirror not found at {MIRROR} (set EMBEDLAB_MIRROR)")
    return MIRROR


@pytest.fixture(scope="session")
def repo_params() -> dict:
    return yaml.safe_load((ROOT / "params.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    """A 1-layer random BertModel and a WordPiece tokenizer over a 16-entry vocab, saved as a folder
    (the code path a hub id takes, offline)."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizer

    folder = tmp_path_factory.mktemp("tiny-bert")
    vocab = folder / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *TINY_WORDS]) + "\n")
    BertTokenizer(vocab_file=str(vocab)).save_pretrained(folder)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=16, hidden_size=8, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=16, max_position_embeddings=32)
    BertModel(config).eval().save_pretrained(folder)
    return folder


TINY_TASKS = {
    "ToySTS": {"type": "sts", "language": "en", "splits": {"test": {
        "sentence1": ["a cat sat", "a dog ran", "the sun", "rain falls"],
        "sentence2": ["the cat sat", "a dog runs", "a moon", "it rains"], "score": [4.5, 4.0, 1.0, 3.5]}}},
    "ToyClassification": {"type": "classification", "language": "en", "splits": {
        "train": {"text": [f"pos {i}" for i in range(10)] + [f"neg {i}" for i in range(10)],
                  "label": ["pos"] * 10 + ["neg"] * 10},
        "test": {"text": [f"pos t{i}" for i in range(4)] + [f"neg t{i}" for i in range(4)],
                 "label": ["pos"] * 4 + ["neg"] * 4}}},
}


def _vector(text: str, dim: int = 6) -> np.ndarray:
    """A deterministic toy embedding: sentiment words pull the first axis, the rest is a text hash."""
    rng = np.random.default_rng(sum(map(ord, text)))
    v = rng.normal(size=dim)
    v[0] += 5.0 if text.startswith("pos") else (-5.0 if text.startswith("neg") else 0.0)
    return v.astype(np.float32)


@pytest.fixture
def tiny_project(tmp_path, monkeypatch, repo_params):
    """A repository root in tmp_path: params.yaml with one experiment, two prepared toy tasks, and a
    store holding a toy model's embeddings of them (EMBEDLAB_ROOT points there)."""
    from embedlab.provenance import atomic_write_json, sha256_json
    from embedlab.store import save_embeddings
    from embedlab.tasks import texts_to_embed

    params = {key: repo_params[key] for key in ("data", "embed", "throughput")}
    params["models"] = {"toy": dict(repo_params["models"]["glove-6b-50d"], dim=6)}
    params["experiments"] = {"toy_study": "09_toy_study"}
    params["toy_study"] = {"models": ["toy"]}
    (tmp_path / "params.yaml").write_text(yaml.safe_dump(params))
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    monkeypatch.setenv("EMBEDLAB_ROOT", str(tmp_path))
    tasks_dir, index = tmp_path / "data" / "tasks", {"tasks": {}}
    for name, body in TINY_TASKS.items():
        task = {"name": name, **body, "checksum": sha256_json(body["splits"])}
        atomic_write_json(tasks_dir / f"{name}.json", task)
        index["tasks"][name] = {"type": task["type"], "available": True, "checksum": task["checksum"]}
        for role, texts in texts_to_embed(task).items():
            save_embeddings(tmp_path / "data" / "embeddings", "toy", name, role, texts,
                            np.stack([_vector(t) for t in texts]),
                            {"task_checksum": task["checksum"], "model_fingerprint": "toy-fp"})
    atomic_write_json(tasks_dir / "index.json", index)
    return tmp_path


def pytest_collection_modifyitems(config, items):
    """EMBEDLAB_SKIP_LARGE=1 skips the tests that load real models (they run by default, CI included)."""
    if os.environ.get("EMBEDLAB_SKIP_LARGE") not in (None, "", "0"):
        skip = pytest.mark.skip(reason="EMBEDLAB_SKIP_LARGE is set")
        for item in items:
            if "large" in item.keywords:
                item.add_marker(skip)
