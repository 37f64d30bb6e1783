"""``transformers``: AutoModel + AutoTokenizer, pooled by embedlab (BERT-type encoders; decoders too)."""

from __future__ import annotations

from pathlib import Path

from ...errors import require_package
from ..packages import TRANSFORMER_PACKAGES
from ..registry import PREFIX_OPTIONS, SOURCE_KINDS, LoaderInfo, register_loader
from ..sources import hub_error, location
from ..spec import ModelSpec, model_error
from .base import TokenBackend


@register_loader("transformers", LoaderInfo(
    poolings=("cls", "mean", "max", "last"), sources=SOURCE_KINDS, packages=TRANSFORMER_PACKAGES,
    options=("revision", "mean_skip_bos", *PREFIX_OPTIONS), library="transformers", libraries=("torch",),
))
class TransformersBackend(TokenBackend):
    """AutoModel + AutoTokenizer (BERT-type encoders; decoders with right padding).

    ``mean_skip_bos`` leaves a decoder's BOS out of mean pooling.
    """

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        transformers = require_package("transformers")
        name = location(spec, cache_dir)
        revision = spec.options.get("revision")
        try:
            tok = transformers.AutoTokenizer.from_pretrained(name, revision=revision)
            model = transformers.AutoModel.from_pretrained(name, revision=revision)
        except OSError as exc:
            raise hub_error(spec, name, exc) from None
        # Right padding: positions then count from 0 for every text, as in training, and the causal
        # mask keeps pads out of real tokens' states. last_token_pool finds the last real token.
        tok.padding_side = "right"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token or tok.unk_token
        if tok.pad_token is None:
            raise model_error(spec.id, f"tokenizer of '{name}' has no pad, eos or unk token", "use a model whose tokenizer defines one")
        self.tokenizer, self.model, self.device = tok, model.to(device).eval(), device
        self.max_len = spec.max_seq_length
        self.skip_bos = bool(spec.options.get("mean_skip_bos", False))
        config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        self.dim = int(config.hidden_size)

    def states(self, texts):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="pt")
        batch = {k: v.to(self.device) for k, v in batch.items()}
        out = self.model(**batch)
        return out.last_hidden_state, batch["attention_mask"]
