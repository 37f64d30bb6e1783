"""The encoders package's seams: loaders register themselves, a new loader is one module, imports stay light.

A fake back-end module is written to tmp_path and imported: it registers a token loader and a vector
loader through the public ``register_loader``, and specs naming them validate, encode and record
provenance like any shipped model.
"""

import importlib.util
import logging
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import embedlab.encoders as encoders
from embedlab.encoders import (
    LOADERS,
    EncoderGroup,
    LoaderInfo,
    VectorBackend,
    encoder_groups,
    load_encoder,
    model_provenance,
    models_from_params,
    register_loader,
)
from embedlab.errors import EmbedlabError
from embedlab.provenance import sha256_file

BACKENDS_DIR = Path(encoders.__file__).parent / "backends"

FAKE_BACKEND = '''
"""Two toy loaders: token states from character codes, and one vector per text from its length."""
import numpy as np
import torch

from embedlab.encoders import (LoaderInfo, TokenBackend, VectorBackend, model_error, register_loader)

DIM = 4


@register_loader("fake_tokens", LoaderInfo(poolings=("mean", "max", "last"), sources=("path", "hub"), packages=(),
                                           options=("query_prefix", "document_prefix"), library="numpy"))
class FakeTokens(TokenBackend):
    """Token i of a text has state [code, code / 2, i, 1] (code = its character's code point)."""

    def __init__(self, spec, cache_dir, device):
        self.dim, self.calls = DIM, 0

    def states(self, texts):
        self.calls += 1
        width = max(len(t) for t in texts) or 1
        hidden, mask = torch.zeros(len(texts), width, DIM), torch.zeros(len(texts), width, dtype=torch.long)
        for row, text in enumerate(texts):
            for i, ch in enumerate(text):
                hidden[row, i] = torch.tensor([ord(ch), ord(ch) / 2, i, 1.0])
                mask[row, i] = 1
        return hidden, mask


@register_loader("fake_lengths", LoaderInfo(poolings=("mean",), sources=("hub",), packages=(), options=(),
                                            library="numpy"))
class FakeLengths(VectorBackend):
    """[len(text), 1]; refuses dim != 2 when the spec is built, and records a field of its own."""

    @classmethod
    def validate(cls, spec):
        if spec.dim != 2:
            raise model_error(spec.id, "fake_lengths gives 2 dimensions", "set dim: 2")

    @classmethod
    def provenance(cls, spec, record):
        record["fake"] = {"rule": "length"}

    def __init__(self, spec, cache_dir, device):
        self.dim, self.empty = 2, 0

    def encode_started(self):
        self.empty = 0

    def encode_finished(self, name, n_texts):
        if self.empty:
            import logging
            logging.getLogger("fake").warning("%s: %d empty texts", name, self.empty)

    def embed(self, texts, role):
        self.empty += sum(not t for t in texts)
        return np.array([[len(t), 1.0] for t in texts])
'''


@pytest.fixture(scope="module")
def fake_backend(tmp_path_factory):
    """Import a back-end module from outside the package, as a new loader file would be."""
    path = tmp_path_factory.mktemp("plugin") / "fake_backend.py"
    path.write_text(FAKE_BACKEND)
    spec = importlib.util.spec_from_file_location("fake_backend", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_entry(loader="fake_tokens", pooling="mean", dim=4, **extra) -> dict:
    return {"family": "static", "loader": loader, "source": {"hub": "fake/toy"}, "pooling": pooling, "dim": dim, **extra}


def test_every_backend_module_registers_its_loader():
    modules = {p.stem for p in BACKENDS_DIR.glob("*.py")} - {"__init__", "base", "gguf_tokenizer"}
    assert modules <= set(LOADERS), f"modules that registered nothing: {modules - set(LOADERS)}"
    for name, info in LOADERS.items():
        assert isinstance(info, LoaderInfo) and info.poolings and info.sources and info.library, name


def test_a_new_backend_module_registers_validates_and_encodes(fake_backend):
    assert {"fake_tokens", "fake_lengths"} <= set(LOADERS)
    registry = models_from_params({
        "toy-mean": fake_entry(pooling="mean", options={"query_prefix": "q:"}),
        "toy-max": fake_entry(pooling="max", options={"query_prefix": "q:"}),
        "toy-len": fake_entry(loader="fake_lengths", dim=2),
    })
    token_group, vector_group = encoder_groups(list(registry.values()), device="cpu")
    assert [s.id for s in token_group.specs] == ["toy-mean", "toy-max"]
    texts = ["ab", "c", "abcd"]
    out = token_group.encode(texts, batch_size=2, show_progress=False)
    assert token_group.backend.calls == 2  # one pass per batch serves both poolings
    for row, text in enumerate(texts):
        codes = np.array([ord(ch) for ch in "q:" + text], dtype=np.float32)
        steps = np.arange(len(codes), dtype=np.float32)
        np.testing.assert_allclose(out["toy-mean"][row], [codes.mean(), codes.mean() / 2, steps.mean(), 1])
        np.testing.assert_allclose(out["toy-max"][row], [codes.max(), codes.max() / 2, steps.max(), 1])
    doc = token_group.encode(["ab"], role="document", show_progress=False)["toy-mean"][0]  # no document prefix
    np.testing.assert_allclose(doc, [(97 + 98) / 2, (97 + 98) / 4, 0.5, 1])
    np.testing.assert_array_equal(vector_group.encode(texts, show_progress=False)["toy-len"], [[2, 1], [1, 1], [4, 1]])


def test_a_new_backend_checks_options_poolings_and_its_own_rules(fake_backend):
    with pytest.raises(EmbedlabError, match=r"pooling 'cls' is not available with loader 'fake_tokens' \(fix: use one of: mean, max, last\)"):
        models_from_params({"m": fake_entry(pooling="cls")})
    with pytest.raises(EmbedlabError, match=r"unknown option\(s\) revision for loader 'fake_tokens'"):
        models_from_params({"m": fake_entry(options={"revision": "main"})})
    with pytest.raises(EmbedlabError, match=r"model 'm': fake_lengths gives 2 dimensions \(fix: set dim: 2\)"):
        models_from_params({"m": fake_entry(loader="fake_lengths", dim=3)})


def test_backend_hooks_report_per_encode_and_add_provenance(fake_backend, caplog):
    spec = models_from_params({"toy-len": fake_entry(loader="fake_lengths", dim=2)})["toy-len"]
    encoder = load_encoder(spec, device="cpu")
    with caplog.at_level(logging.WARNING, logger="fake"):
        encoder.encode(["", "a", ""])
        encoder.encode(["", "b"])
    assert [r.getMessage() for r in caplog.records] == ["toy-len: 2 empty texts", "toy-len: 1 empty texts"]
    prov = model_provenance(spec)
    assert prov["fake"] == {"rule": "length"} and prov["library"] == {"numpy": np.__version__}


def test_registering_a_loader_name_twice_is_refused(fake_backend):
    with pytest.raises(EmbedlabError, match=r"loader 'fake_tokens' is registered twice"):
        @register_loader("fake_tokens", LoaderInfo(("mean",), ("hub",), (), (), "numpy"))
        class Other(VectorBackend):
            pass


def test_path_provenance_is_relative_to_the_repository_root(fake_backend, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLAB_ROOT", str(tmp_path))
    weights = tmp_path / "weights"
    weights.mkdir()
    (weights / "model.safetensors").write_bytes(b"not really weights")
    spec = models_from_params({"m": fake_entry(source={"path": str(weights)})})["m"]
    source = model_provenance(spec)["source"]
    assert source["path"] == "weights"  # the same string in every clone
    assert source["sha256"] == {"model.safetensors": sha256_file(weights / "model.safetensors")}


def test_default_cache_dir_is_under_the_repository_root(fake_backend, tmp_path, monkeypatch):
    monkeypatch.setenv("EMBEDLAB_ROOT", str(tmp_path))
    spec = models_from_params({"m": fake_entry()})["m"]
    assert EncoderGroup([spec], device="cpu").cache_dir == tmp_path / "data" / "models"
    assert EncoderGroup([spec], cache_dir="elsewhere", device="cpu").cache_dir == Path("elsewhere")


def test_importing_the_package_loads_no_model_library():
    code = ("import sys, embedlab.encoders as e; list(e.LOADERS); "
            "print(sorted({m.split('.')[0] for m in sys.modules} & "
            "{'torch', 'transformers', 'sentence_transformers', 'onnxruntime', 'spacy', 'pandas', 'tokenizers'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
