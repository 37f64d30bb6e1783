"""The embedding store: round trip, refusal of interrupted or stale writes, LookupEncoder lookups."""

from __future__ import annotations

import json

import numpy as np
import pytest

import embedlab.evaluate  # noqa: F401 -- imported before mteb: keeps mteb's cache folder out of ~/.cache
from embedlab.errors import EmbedlabError
from embedlab.provenance import sha256_texts
from embedlab.vectors.transforms import FunctionTransform
from embedlab.store import LookupEncoder, array_path, is_current, load_embeddings, meta_path, save_embeddings

META = {"model": "toy", "model_provenance": {"source": "test"}, "model_fingerprint": "fp1",
        "task_checksum": "sum1", "seconds": 0.5, "texts_per_second": 8.0}
QUERIES = ["what is a cat", "what is a dog", "  padded query  "]
DOCS = ["cats are felines", "dogs are canines", "birds fly", "fish swim"]


@pytest.fixture()
def stored(tmp_path):
    rng = np.random.default_rng(0)
    q = rng.normal(size=(3, 5)).astype(np.float32)
    d = rng.normal(size=(4, 5)).astype(np.float32)
    save_embeddings(tmp_path, "toy", "Toy", "query", QUERIES, q, META)
    save_embeddings(tmp_path, "toy", "Toy", "document", DOCS, d, META)
    return tmp_path, q, d


def assert_one_line_refusal(excinfo, *words):
    message = str(excinfo.value)
    assert "\n" not in message
    assert message.endswith("(fix: run `dvc repro embed`)")
    for word in words:
        assert word in message


def test_round_trip_and_meta(stored):
    root, q, d = stored
    loaded = load_embeddings(root, "toy", "Toy", expected_task_checksum="sum1")
    assert loaded["query"][0] == QUERIES and np.array_equal(loaded["query"][1], q)
    assert loaded["document"][0] == DOCS and np.array_equal(loaded["document"][1], d)
    meta = json.loads(meta_path(root, "toy", "Toy").read_text())
    assert meta["model_provenance"] == {"source": "test"} and meta["task_checksum"] == "sum1"
    assert meta["roles"]["document"]["sha256_texts"] == sha256_texts(DOCS)
    assert meta["roles"]["query"]["shape"] == [3, 5] and meta["roles"]["query"]["dtype"] == "float32"
    assert meta["roles"]["query"]["texts_per_second"] == 8.0
    assert array_path(root, "toy", "Toy", "query").name == "Toy.query.npy"
    assert not [p for p in (root / "toy").iterdir() if p.name.endswith(".tmp")]


def test_array_without_meta_is_refused(tmp_path):
    # an interrupted first write: the array was renamed into place, the meta never written
    (tmp_path / "toy").mkdir()
    np.save(array_path(tmp_path, "toy", "Toy", "query"), np.zeros((3, 5), np.float32))
    with pytest.raises(EmbedlabError) as excinfo:
        load_embeddings(tmp_path, "toy", "Toy")
    assert_one_line_refusal(excinfo, "Toy.query.npy", "no meta")
    assert not is_current(tmp_path, "toy", "Toy", "sum1", "fp1")


def test_array_newer_than_its_meta_is_refused(stored):
    # an interrupted rewrite: new array in place, the old meta still describes the old one
    root, q, _ = stored
    np.save(array_path(root, "toy", "Toy", "query"), q + 1)
    with pytest.raises(EmbedlabError) as excinfo:
        load_embeddings(root, "toy", "Toy")
    assert_one_line_refusal(excinfo, "Toy.query.npy", "does not match")
    assert not is_current(root, "toy", "Toy", "sum1", "fp1")


def test_array_missing_from_meta_is_refused(tmp_path):
    save_embeddings(tmp_path, "toy", "Toy", "query", QUERIES, np.ones((3, 5), np.float32), META)
    np.save(array_path(tmp_path, "toy", "Toy", "document"), np.ones((4, 5), np.float32))
    with pytest.raises(EmbedlabError) as excinfo:
        LookupEncoder(tmp_path, "toy", "Toy")
    assert_one_line_refusal(excinfo, "Toy.document.npy", "not listed")


def test_other_task_checksum_is_refused(stored):
    root, _, _ = stored
    with pytest.raises(EmbedlabError) as excinfo:
        load_embeddings(root, "toy", "Toy", expected_task_checksum="sum2")
    assert_one_line_refusal(excinfo, "another version of the task")


def test_is_current(stored):
    root, _, _ = stored
    assert is_current(root, "toy", "Toy", "sum1", "fp1", roles=["query", "document"])
    assert not is_current(root, "toy", "Toy", "sum2", "fp1")
    assert not is_current(root, "toy", "Toy", "sum1", "fp2")
    assert not is_current(root, "toy", "Other", "sum1", "fp1")


def test_is_current_needs_every_role(tmp_path):
    # a retrieval task interrupted after its query role
    save_embeddings(tmp_path, "toy", "Toy", "query", QUERIES, np.ones((3, 5), np.float32), META)
    assert is_current(tmp_path, "toy", "Toy", "sum1", "fp1", roles=["query"])
    assert not is_current(tmp_path, "toy", "Toy", "sum1", "fp1", roles=["query", "document"])


def test_new_task_version_drops_stale_roles(stored):
    root, _, _ = stored
    save_embeddings(root, "toy", "Toy", "query", QUERIES, np.ones((3, 5), np.float32), {**META, "task_checksum": "sum2"})
    meta = json.loads(meta_path(root, "toy", "Toy").read_text())
    assert set(meta["roles"]) == {"query"}
    # the old document array is still on disk but no longer listed: refused until re-embedded
    with pytest.raises(EmbedlabError):
        load_embeddings(root, "toy", "Toy")


def test_misaligned_array_is_not_saved(tmp_path):
    with pytest.raises(EmbedlabError, match="one row per text"):
        save_embeddings(tmp_path, "toy", "Toy", "query", QUERIES, np.ones((2, 5)), META)


def test_lookup_encoder_serves_rows_by_role(stored):
    root, q, d = stored
    enc = LookupEncoder(root, "toy", "Toy")
    got = enc.encode([{"text": [QUERIES[2], QUERIES[0]]}, {"text": [QUERIES[1]]}], task_metadata=None,
                     hf_split="test", hf_subset="default")
    assert np.array_equal(got, q[[2, 0, 1]])
    # mteb strips corpus texts before encoding; prompt_type "document" selects the document role
    from mteb.types import PromptType

    got = enc.encode([{"text": ["fish swim", "cats are felines"], "id": ["d3", "d0"]}], task_metadata=None,
                     hf_split="test", hf_subset="default", prompt_type=PromptType.document)
    assert np.array_equal(got, d[[3, 0]])
    assert np.array_equal(enc.lookup(["padded query"]), q[[2]])


def test_lookup_encoder_unknown_text(stored):
    root, _, _ = stored
    enc = LookupEncoder(root, "toy", "Toy")
    with pytest.raises(EmbedlabError) as excinfo:
        enc.encode([{"text": ["what is a cow"]}], task_metadata=None, hf_split="test", hf_subset="default")
    assert_one_line_refusal(excinfo, "what is a cow", "does not match the task")
    with pytest.raises(EmbedlabError):  # a query text asked for as a document
        enc.lookup([QUERIES[0]], "document")


def test_lookup_encoder_transform_dim_and_protocol(stored):
    root, q, _ = stored
    enc = LookupEncoder(root, "toy", "Toy", transform=FunctionTransform(lambda a: a[:, :2], name="first2"), dim=2)
    assert np.array_equal(enc.lookup([QUERIES[1]]), q[[1], :2])
    assert enc.embed_dim == 2 and enc.dim == 2.0
    sim = enc.similarity(np.array([[1.0, 0.0]]), np.array([[3.0, 0.0], [0.0, 2.0], [1.0, 1.0]]))
    assert sim == pytest.approx(np.array([[1.0, 0.0, np.sqrt(0.5)]]))
    assert enc.similarity_pairwise(np.array([[1.0, 0.0], [0, 1]]), np.array([[2.0, 0.0], [1, 0]])) == pytest.approx([1, 0])
    from mteb.models.models_protocols import CrossEncoderProtocol, EncoderProtocol, SearchProtocol

    assert isinstance(enc, EncoderProtocol)
    assert not isinstance(enc, CrossEncoderProtocol) and not isinstance(enc, SearchProtocol)
    meta = enc.mteb_model_meta
    assert meta.name == "toy" and meta.revision == "fp1" and meta.embed_dim == 2
    assert meta.similarity_fn_name.value == "cosine"
