"""Each (model, role, text) is encoded once: the embed stage reuses rows the store already holds."""

from types import SimpleNamespace

import numpy as np
import pytest

from embedlab.stages import embed
from embedlab.store import StoredRows, load_embeddings


class CountingGroup:
    """Stands in for an EncoderGroup: a fixed vector per (text, role), and a log of what it encoded."""

    def __init__(self, *ids):
        self.specs = [SimpleNamespace(id=i) for i in ids]
        self.name = "+".join(ids)
        self.encoded = []

    def encode(self, texts, role, batch_size, show_progress):
        self.encoded.append((role, list(texts)))
        base = np.array([[len(t), sum(map(ord, t)) % 97, 1.0 if role == "query" else 2.0] for t in texts],
                        dtype=np.float32)
        return {s.id: base + k for k, s in enumerate(self.specs)}


@pytest.fixture
def encode(tmp_path, monkeypatch):
    monkeypatch.setattr(embed, "model_provenance", lambda spec: {"model": spec.id})
    stored = StoredRows(tmp_path)

    def run(group, name, texts, fingerprint="f1"):
        prints = {s.id: fingerprint for s in group.specs}
        task = {"checksum": f"sum-{name}"}
        embed.encode_task(group, group.specs, name, task, texts, prints, stored, tmp_path, batch_size=8)
        return {s.id: load_embeddings(tmp_path, s.id, name) for s in group.specs}

    return run


def test_a_sample_inside_a_stored_task_encodes_nothing(encode):
    group = CountingGroup("m")
    full = encode(group, "T", {"query": ["a", "bb", "ccc"]})
    sample = encode(group, "T-sample", {"query": ["ccc", "a"]})
    assert group.encoded == [("query", ["a", "bb", "ccc"])]
    texts, array = sample["m"]["query"]
    assert texts == ["ccc", "a"]
    np.testing.assert_array_equal(array, full["m"]["query"][1][[2, 0]])


def test_only_unseen_texts_are_encoded_and_rows_keep_task_order(encode, tmp_path):
    group = CountingGroup("m")
    encode(group, "T", {"query": ["a", "bb"]})
    out = encode(group, "U", {"query": ["zz", "a", "bb", "q"]})
    assert group.encoded[-1] == ("query", ["zz", "q"])
    fresh = CountingGroup("m").encode(["zz", "a", "bb", "q"], "query", 8, False)["m"]
    np.testing.assert_array_equal(out["m"]["query"][1], fresh)
    meta = (tmp_path / "m" / "U.meta.json").read_text()
    assert '"n_encoded": 2' in meta and '"n_reused": 2' in meta


def test_no_reuse_across_roles_or_fingerprints(encode):
    group = CountingGroup("m")
    encode(group, "T", {"query": ["a"]})
    encode(group, "U", {"document": ["a"]})          # another role: a prefix may differ
    encode(group, "V", {"query": ["a"]}, fingerprint="f2")  # another cap or model version
    assert group.encoded == [("query", ["a"]), ("document", ["a"]), ("query", ["a"])]


def test_shared_forward_pass_encodes_what_any_spec_lacks(encode):
    encode(CountingGroup("m1"), "T", {"query": ["a"]})
    pair = CountingGroup("m1", "m2")
    out = encode(pair, "U", {"query": ["a"]})
    assert pair.encoded == [("query", ["a"])]       # m2 has never seen "a"
    assert out["m2"]["query"][1][0, 0] == 2.0       # m2's own vector, not m1's
