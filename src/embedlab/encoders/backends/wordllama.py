"""``wordllama``: WordLlama's Llama-2 token embeddings (Matryoshka), averaged and cut to ``trunc_dim``."""

from __future__ import annotations

from pathlib import Path

from ..packages import import_for
from ..registry import LoaderInfo, register_loader
from ..sources import location
from ..spec import ModelSpec, model_error
from .base import VectorBackend


@register_loader("wordllama", LoaderInfo(
    poolings=("mean",), sources=("package", "path"), packages=("wordllama",), options=("trunc_dim", "config"),
    library="wordllama", word_vectors="static",
))
class WordLlamaBackend(VectorBackend):
    """WordLlama (Llama-2 token embeddings, Matryoshka): average pooling, truncated to trunc_dim."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        wordllama = import_for(spec.id, "wordllama", "wordllama")
        folder = location(spec, cache_dir)
        trunc = spec.options.get("trunc_dim", spec.dim)
        try:
            # Plain load() looks in the wrong folder and then tries the hub: name the bundled one.
            self.model = wordllama.WordLlama.load(
                config=spec.options.get("config", "l2_supercat"), cache_dir=Path(folder), disable_download=True,
                dim=256, trunc_dim=trunc,
            )
        except (ValueError, FileNotFoundError) as exc:
            raise model_error(spec.id, f"WordLlama could not load ({exc})", "use trunc_dim 64, 128 or 256 (only 256 is bundled)") from None
        self.dim = int(trunc)

    def embed(self, texts, role):
        return self.model.embed(texts, norm=False, return_np=True, batch_size=len(texts))
