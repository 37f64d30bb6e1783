"""Weight precision and pruning: the ``precision`` and ``prune`` options of the token-model loaders.

``precision`` (``spec.WEIGHT_PRECISIONS``; ``transformers`` and ``sentence_transformers`` take it):

- ``fp32``: the weights as shipped (the default; never written into options, so fingerprints stay).
- ``torch-dynamic-int8``: ``torch.ao.quantization.quantize_dynamic`` on the transformer's ``nn.Linear``
  layers (qint8 weights, activations quantized per batch at run time).
- ``onnx-fp32``: the same weights exported by ``torch.onnx.export`` (the TorchScript exporter, opset 17)
  to a graph whose output is the token states, run by onnxruntime; pooling is the fp32 path's
  (embedlab's, or the SentenceTransformer's own modules), so vectors are comparable. On
  all-MiniLM-L6-v2 and STS-B's test texts its vectors are torch's to 2.6e-7 (max |difference|).
- ``onnx-int8``: ``onnxruntime.quantization.quantize_dynamic`` of that export: QInt8 weights, one scale
  per output channel, in the MatMul / Gemm nodes (the Linear layers, as with torch; embeddings stay fp32).

``prune`` zeroes that fraction of the transformer's Linear weights by global magnitude
(``prune.global_unstructured`` with ``L1Unstructured``, made permanent) before any of the above.

The int8 and ONNX variants run on CPU. Exports are cached in ``<cache_dir>/onnx/<name>-<key>/``;
the key hashes the loader, the source record (weight sha256s, or hub id and revision), the prune
amount and the torch / onnxruntime versions, so a model is exported once.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np

from ..errors import require_package
from ..provenance import atomic_write_json, package_version, sha256_json
from .sources import build_once
from .spec import ModelSpec, model_error

log = logging.getLogger(__name__)

ONNX_PRECISIONS = ("onnx-fp32", "onnx-int8")
OPSET = 17
EXPORTER = "torchscript"
METHODS = {
    "fp32": "weights as shipped",
    "torch-dynamic-int8": "torch.ao.quantization.quantize_dynamic({nn.Linear}, qint8)",
    "onnx-fp32": f"torch.onnx.export(TorchScript, opset {OPSET}) run by onnxruntime",
    "onnx-int8": f"torch.onnx.export(TorchScript, opset {OPSET}) + onnxruntime quantize_dynamic(MatMul/Gemm, QInt8, per channel)",
}
PRUNE_METHOD = "torch.nn.utils.prune.global_unstructured(L1Unstructured) on Linear weights, made permanent"
_EXPORT_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
# Two texts of different lengths: an export traced on size-1 axes would fix them to 1.
EXAMPLE_TEXTS = ["an example sentence to export the model with", "short"]
_UNUSED_MODULES = ("pooler",)  # BERT's pooler head: no pooling here reads it, so it is not pruned


def add_provenance(spec: ModelSpec, record: dict) -> None:
    """Record how the weights were changed and the libraries that did it (nothing for plain fp32)."""
    precision, amount = spec.options.get("precision", "fp32"), spec.options.get("prune")
    if precision == "fp32" and amount is None:
        return
    libraries = ("torch", "onnxruntime", "onnx", "onnxscript") if precision in ONNX_PRECISIONS else ("torch",)
    for lib in libraries:
        record["library"].setdefault(lib, package_version(lib))
    record["weights"] = {"precision": precision, "method": METHODS[precision],
                         "prune": None if amount is None else {"amount": amount, "method": PRUNE_METHOD}}


def runs_as(spec) -> str:
    """How a model's weights run, in words: the precision method, or a shipped ONNX file, or its loader."""
    if spec.loader == "onnx":
        return "a shipped ONNX file, run by onnxruntime"
    precision = spec.options.get("precision", "fp32")
    if spec.loader in ("sentence_transformers", "transformers"):
        return f"{spec.loader}, {METHODS[precision]}" + (f", {spec.options['prune']:.0%} of Linear weights pruned"
                                                        if spec.options.get("prune") is not None else "")
    return f"{spec.loader}"


def linear_weights(module) -> list:
    """``(layer, "weight")`` of every ``nn.Linear`` in ``module``, the unused pooler head left out."""
    import torch

    return [(m, "weight") for name, m in module.named_modules()
            if isinstance(m, torch.nn.Linear) and name.split(".")[0] not in _UNUSED_MODULES]


def linear_sparsity(module) -> float:
    """Fraction of exact zeros over all the weights ``linear_weights`` lists (before int8 quantization)."""
    layers = linear_weights(module)
    zeros = sum(int((m.weight == 0).sum()) for m, _ in layers)
    return zeros / max(1, sum(m.weight.numel() for m, _ in layers))


def parameter_sparsity(module) -> float:
    """Fraction of exact zeros over every parameter of ``module`` (embedding tables, norms and biases
    included): what "removes X% of parameters" means, where ``linear_sparsity`` counts Linear weights only."""
    params = list(module.parameters())
    zeros = sum(int((p == 0).sum()) for p in params)
    return zeros / max(1, sum(p.numel() for p in params))


def prune_linear(module, amount: float) -> float:
    """Zero the ``amount`` fraction of smallest-magnitude Linear weights, counted over all layers
    together; returns the achieved sparsity."""
    import torch
    from torch.nn.utils import prune

    layers = linear_weights(module)
    with torch.no_grad():
        prune.global_unstructured(layers, pruning_method=prune.L1Unstructured, amount=amount)
        for layer, name in layers:
            prune.remove(layer, name)
    return linear_sparsity(module)


def quantize_int8(module) -> None:
    """Swap ``module``'s ``nn.Linear`` layers for dynamic qint8 ones, in place (sentence-transformers
    ignores a quantized copy assigned back to its transformer)."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.ao's notice that quantization is moving to torchao
        torch.ao.quantization.quantize_dynamic(module, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)


def _token_states(module):
    """``module`` as a graph from tokenizer tensors to ``last_hidden_state``."""
    import torch

    class TokenStates(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, input_ids, attention_mask, token_type_ids=None):
            extra = {} if token_type_ids is None else {"token_type_ids": token_type_ids}
            return self.inner(input_ids=input_ids, attention_mask=attention_mask, **extra).last_hidden_state

    return TokenStates().eval()


def export_onnx(module, example, path: Path) -> None:
    """Export ``module``'s token states for inputs shaped like ``example`` (batch and sequence dynamic).

    The TorchScript exporter (``dynamo=False``, opset 17): its graph runs 1.17x torch fp32 here where the
    dynamo export ran at 0.81x, with the same vectors (tests/test_precision.py checks 1e-5 on texts of
    several lengths). The tracer changes the module it traces (measured: all-MiniLM-L6-v2's STS-B
    Spearman fell from 0.8203 to 0.7960 when the traced module was reused), so it traces a copy, and
    an export is compared against an untouched module. Weights go inside the one file (under
    protobuf's 2 GB limit; larger models fail with a model_error).
    """
    import copy

    import torch

    names = [n for n in _EXPORT_INPUTS if n in example]
    traced = _token_states(copy.deepcopy(module))
    # The exporter warns about every traced Python condition; keep errors only.
    noisy = [logging.getLogger(name) for name in ("torch.onnx", "onnxscript", "onnx_ir")]
    levels = [logger.level for logger in noisy]
    for logger in noisy:
        logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                traced, tuple(example[n] for n in names), str(path), input_names=names,
                output_names=["last_hidden_state"], opset_version=OPSET, dynamo=False,
                dynamic_axes={n: {0: "batch", 1: "seq"} for n in [*names, "last_hidden_state"]}, verbose=False,
            )
    finally:
        for logger, level in zip(noisy, levels):
            logger.setLevel(level)


#: the most an export's token states may differ from torch's (max |difference| over the real tokens of
#: ``EXAMPLE_TEXTS``); measured 2.7e-6 on all-MiniLM-L6-v2 and 6.0e-7 on all-mpnet-base-v2 (token states of
#: magnitude up to ~10), whose unit vectors agree to 2.6e-7 / 2.0e-7
EXACT_TOLERANCE = 1e-4


def export_difference(module, example, path: Path) -> float:
    """max |difference| between ``module``'s token states and the exported graph's at ``path`` over the real
    (unmasked) tokens of ``example``: the check that an ONNX fp32 export computes what torch does."""
    import torch

    names = [n for n in _EXPORT_INPUTS if n in example]
    with torch.no_grad():
        expected = _token_states(module)(**{n: example[n] for n in names}).float()
    got = OnnxStates(path)({n: example[n].numpy() for n in names})
    mask = example["attention_mask"].bool()
    return float((expected[mask] - got[mask]).abs().max())


def quantize_onnx(source: Path, target: Path) -> None:
    """QInt8 weights, one scale per output channel, for the MatMul / Gemm nodes of ``source`` that hold
    weights (activations are quantized at run time). Per channel, measured on all-MiniLM-L6-v2 (STS-B
    test texts, 2 threads): the same speed as one scale per tensor (2.77x vs 2.79x torch fp32) with
    vectors closer to fp32's (mean cosine 0.992 vs 0.960; STS-B Spearman 0.8168 vs 0.8159, fp32 0.8203)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    with contextlib.redirect_stderr(io.StringIO()):  # its advice to pre-process the graph first
        quantize_dynamic(str(source), str(target), weight_type=QuantType.QInt8, per_channel=True,
                         op_types_to_quantize=["MatMul", "Gemm"])


def session_options():
    """The onnxruntime options of every ONNX session here (our exports and shipped files alike): as many
    intra-op threads as torch uses, so timings of the two runtimes compare like for like, and no spinning:
    by default onnxruntime's threads busy-wait after each run, and on 2 cores they took the CPU from the
    tokenizer and torch's pooling around the next run. Measured (all-MiniLM-L6-v2, 2,000 STS-B texts,
    batch 32, 2 threads, 5 interleaved rounds, this one setting changed): the int8 export went from 1.96x
    (1.78-2.36) to 2.72x (2.33-3.01) torch fp32, the fp32 export from 1.24x to 1.32x; the vectors are the same."""
    import torch

    options = require_package("onnxruntime").SessionOptions()
    options.intra_op_num_threads = torch.get_num_threads()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def session_config() -> dict:
    """What ``session_options`` sets, to record beside timings."""
    options = session_options()
    return {"intra_op_num_threads": int(options.intra_op_num_threads),
            "allow_spinning": options.get_session_config_entry("session.intra_op.allow_spinning")}


class OnnxStates:
    """onnxruntime on an exported graph: tokenizer tensors -> token states (a CPU tensor).

    The session uses as many threads as torch does, so timings compare like for like.
    """

    def __init__(self, path: Path):
        ort = require_package("onnxruntime")
        self.session = ort.InferenceSession(str(path), session_options(), providers=["CPUExecutionProvider"])
        self.inputs = [i.name for i in self.session.get_inputs()]

    def __call__(self, batch):
        import torch

        feed = {n: np.asarray(batch[n], dtype=np.int64) for n in self.inputs}
        (hidden,) = self.session.run(None, feed)
        return torch.from_numpy(hidden)


class Weights:
    """How one loaded model's weights run: precision, prune amount, achieved ``sparsity``, the torch
    ``module`` it changed, or the ``onnx_path`` onnxruntime runs (``exported_now``: this load exported it)."""

    def __init__(self, spec: ModelSpec, cache_dir: Path):
        self.spec, self.cache_dir = spec, Path(cache_dir)
        self.precision = spec.options.get("precision", "fp32")
        self.prune = spec.options.get("prune")
        self.sparsity: float | None = None
        self.parameter_sparsity: float | None = None  # zeros over all parameters (``parameter_sparsity``)
        self.module = None
        self.onnx_path: Path | None = None
        self.exported_now = False

    @property
    def changed(self) -> bool:
        return self.precision != "fp32" or self.prune is not None

    @property
    def onnx(self) -> bool:
        return self.precision in ONNX_PRECISIONS

    def device(self, requested: str) -> str:
        """``requested`` for fp32 (pruned or not); CPU for int8 and ONNX (their kernels here are CPU-only)."""
        if self.precision == "fp32" or requested == "cpu":
            return requested
        log.warning("%s: precision %s runs on cpu, not %s", self.spec.id, self.precision, requested)
        return "cpu"

    def apply(self, module):
        """Prune, then quantize if asked, ``module`` (the transformer) in place; returns it."""
        if self.prune is not None:
            self.sparsity = prune_linear(module, self.prune)
            self.parameter_sparsity = parameter_sparsity(module)
            log.info("%s: pruned Linear weights to %.1f%% zeros (asked %.1f%%)", self.spec.id,
                     100 * self.sparsity, 100 * self.prune)
        if self.precision == "torch-dynamic-int8":
            quantize_int8(module)
        self.module = module
        return module

    def export_dir(self) -> Path:
        """``<cache_dir>/onnx/<source name>-<key>``: one folder per source checksum, prune amount and versions."""
        from .provenance import source_provenance

        key = sha256_json({
            "loader": self.spec.loader, "source": source_provenance(self.spec, self.spec.source), "prune": self.prune,
            "opset": OPSET, "exporter": EXPORTER, "int8": "per channel",
            "torch": package_version("torch"), "onnxruntime": package_version("onnxruntime"),
        })
        name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(self.spec.source_value.rstrip("/")).name or "model")
        return self.cache_dir / "onnx" / f"{name}-{key[:16]}"

    def onnx_cached(self) -> bool:
        return (self.export_dir() / "model.onnx").exists()

    def onnx_states(self, module, example) -> OnnxStates:
        """The ONNX graph for this precision, exported from ``module`` (pruned first) unless cached;
        ``module`` may be None when it is. ``example``: tokenizer tensors for two texts."""
        folder = self.export_dir()
        if not (folder / "model.onnx").exists():
            if module is None:
                raise model_error(self.spec.id, f"no ONNX export in '{folder}' and no weights loaded", "load the model weights")

            def build(tmp: Path) -> None:
                self.apply(module)
                log.info("%s: exporting to ONNX in %s (once)", self.spec.id, folder)
                try:
                    export_onnx(module, example, tmp / "model.onnx")
                except Exception as exc:  # noqa: BLE001 - any exporter failure reads the same to the user
                    first = str(exc).splitlines()[0] if str(exc) else ""
                    raise model_error(self.spec.id, f"ONNX export failed ({exc.__class__.__name__}: {first})",
                                      "use precision fp32 or torch-dynamic-int8") from None
                difference = export_difference(module, example, tmp / "model.onnx")
                if difference > EXACT_TOLERANCE:
                    raise model_error(self.spec.id, f"the ONNX export's token states differ from torch's by {difference:.2g} "
                                      f"(more than {EXACT_TOLERANCE:g})", "use precision fp32 (embed.backend: torch)")
                atomic_write_json(tmp / "export.json", {"model": self.spec.id, "sparsity": self.sparsity,
                                                        "parameter_sparsity": self.parameter_sparsity,
                                                        "max_abs_difference_to_torch": difference,
                                                        "checked_on": EXAMPLE_TEXTS})

            build_once(folder, "model.onnx", build)
            self.exported_now = True
        if self.prune is not None and self.sparsity is None:
            export = json.loads((folder / "export.json").read_text(encoding="utf-8"))
            self.sparsity, self.parameter_sparsity = export.get("sparsity"), export.get("parameter_sparsity")
        path = folder / "model.onnx"
        if self.precision == "onnx-int8":
            path = folder / "model.int8.onnx"
            if not path.exists():
                fd, tmp = tempfile.mkstemp(dir=folder, prefix=".model.int8.", suffix=".onnx")
                os.close(fd)
                try:
                    quantize_onnx(folder / "model.onnx", Path(tmp))
                    os.chmod(tmp, 0o644)
                    os.replace(tmp, path)
                finally:
                    Path(tmp).unlink(missing_ok=True)
        self.onnx_path = path
        return OnnxStates(path)
