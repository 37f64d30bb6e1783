"""``transformers``: AutoModel + AutoTokenizer, pooled by embedlab (BERT-type encoders; decoders too)."""

from __future__ import annotations

from pathlib import Path

from ...errors import require_package
from ..packages import TRANSFORMER_PACKAGES
from ..precision import EXAMPLE_TEXTS, Weights, add_provenance
from ..registry import PREFIX_OPTIONS, SOURCE_KINDS, LoaderInfo, register_loader
from ..sources import hub_error, location
from ..spec import ModelSpec, model_error
from .base import TokenBackend


@register_loader("transformers", LoaderInfo(
    poolings=("cls", "mean", "max", "last"), sources=SOURCE_KINDS, packages=TRANSFORMER_PACKAGES,
    options=("revision", "mean_skip_bos", "precision", "prune", *PREFIX_OPTIONS), library="transformers",
    libraries=("torch",), tokenizer="transformers", word_vectors="contextual", torch_module=True,
))
class TransformersBackend(TokenBackend):
    """AutoModel + AutoTokenizer (BERT-type encoders; decoders with right padding).

    ``mean_skip_bos`` leaves a decoder's BOS out of mean pooling; ``precision`` / ``prune`` change
    how the weights run (``encoders/precision.py``), the pooling stays the same.
    """

    @classmethod
    def provenance(cls, spec, record):
        add_provenance(spec, record)

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        transformers = require_package("transformers")
        name = location(spec, cache_dir)
        revision = spec.options.get("revision")
        self.weights = Weights(spec, cache_dir)
        device = self.weights.device(device)
        # A cached ONNX export needs the tokenizer and config only, not the torch weights.
        skip_weights = self.weights.onnx and self.weights.onnx_cached()
        try:
            tok = transformers.AutoTokenizer.from_pretrained(name, revision=revision)
            if skip_weights:
                model, config = None, transformers.AutoConfig.from_pretrained(name, revision=revision)
            else:
                model = transformers.AutoModel.from_pretrained(name, revision=revision)
                config = model.config
        except OSError as exc:
            raise hub_error(spec, name, exc) from None
        # Right padding: positions then count from 0 for every text, as in training, and the causal
        # mask keeps pads out of real tokens' states. last_token_pool finds the last real token.
        tok.padding_side = "right"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token or tok.unk_token
        if tok.pad_token is None:
            raise model_error(spec.id, f"tokenizer of '{name}' has no pad, eos or unk token", "use a model whose tokenizer defines one")
        self.tokenizer, self.device, self.runner = tok, device, None
        if self.weights.onnx:
            self.model = None
            self.runner = self.weights.onnx_states(model, tok(EXAMPLE_TEXTS, padding=True, return_tensors="pt"))
        else:
            self.model = self.weights.apply(model).to(device).eval()
        self.max_len = spec.max_seq_length
        self.skip_bos = bool(spec.options.get("mean_skip_bos", False))
        config = config.get_text_config() if hasattr(config, "get_text_config") else config
        self.dim = int(config.hidden_size)

    def states(self, texts):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="pt")
        if self.runner is not None:
            return self.runner(batch), batch["attention_mask"]
        batch = {k: v.to(self.device) for k, v in batch.items()}
        out = self.model(**batch)
        return out.last_hidden_state, batch["attention_mask"]
