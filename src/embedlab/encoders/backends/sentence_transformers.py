"""``sentence_transformers``: a SentenceTransformer folder or hub id, pooled by its own modules."""

from __future__ import annotations

from pathlib import Path

from ...errors import require_package
from ..packages import TRANSFORMER_PACKAGES
from ..registry import PREFIX_OPTIONS, SOURCE_KINDS, LoaderInfo, register_loader
from ..sources import hub_error, location
from ..spec import ModelSpec, model_error
from .base import VectorBackend


@register_loader("sentence_transformers", LoaderInfo(
    poolings=("mean", "cls", "max", "last"), sources=SOURCE_KINDS, packages=TRANSFORMER_PACKAGES,
    options=("revision", *PREFIX_OPTIONS), library="sentence-transformers",
))
class SentenceTransformersBackend(VectorBackend):
    """A SentenceTransformer folder: its own modules pool (and maybe normalize)."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        st = require_package("sentence_transformers", "sentence-transformers")
        name = location(spec, cache_dir)
        try:
            self.model = st.SentenceTransformer(name, device=device, revision=spec.options.get("revision"))
        except OSError as exc:
            raise hub_error(spec, name, exc) from None
        self.model.max_seq_length = spec.max_seq_length
        self.dim = int(self.model.get_embedding_dimension())
        modes = [getattr(m, "pooling_mode", None) for m in self.model]
        mode = next((m for m in modes if m), None)
        self.pooling = {"lasttoken": "last"}.get(mode, mode)
        if self.pooling is not None and self.pooling != spec.pooling:
            raise model_error(
                spec.id, f"pooling is '{spec.pooling}' but the SentenceTransformer folder pools by '{self.pooling}'",
                f"set pooling: {self.pooling}, or use loader transformers for other poolings",
            )

    def embed(self, texts, role):
        return self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)
