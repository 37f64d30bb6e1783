"""The two kinds of back end: token models (states + mask, pooled per spec) and vector libraries.

A back end is built as ``cls(spec, cache_dir, device)`` by ``EncoderGroup.load`` and sets ``dim``.
The class-level hooks let a loader add its own checks and provenance without shared code knowing it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Backend:
    """What every back end offers ``EncoderGroup`` (override the hooks that matter)."""

    dim: int

    @classmethod
    def validate(cls, spec) -> None:
        """Checks only this loader needs, run when the spec is built (raise ``model_error``)."""

    @classmethod
    def provenance(cls, spec, record: dict) -> None:
        """Add loader-specific fields to ``model_provenance(spec)``'s ``record`` (in place)."""

    def encode_started(self) -> None:
        """Called before each ``EncoderGroup.encode`` (reset per-call counters here)."""

    def encode_finished(self, name: str, n_texts: int) -> None:
        """Called after each ``EncoderGroup.encode`` (warn about what the call met here)."""

    def encode_batch(self, texts: list[str], role: str, specs: Sequence) -> dict[str, np.ndarray]:
        """``{spec.id: (len(texts), dim) array}`` for one batch, one entry per spec of the group."""
        raise NotImplementedError


class TokenBackend(Backend):
    """Runs a token model; ``states`` returns token states and the attention mask for a batch.

    Every spec of the group pools the same states its own way (one forward pass for all).
    """

    skip_bos = False
    device = "cpu"

    def states(self, texts: list[str]):
        raise NotImplementedError

    def encode_batch(self, texts, role, specs):
        from ..pooling import pool

        hidden, mask = self.states(texts)
        return {s.id: pool(s.pooling, hidden, mask, skip_bos=self.skip_bos).float().cpu().numpy() for s in specs}


class VectorBackend(Backend):
    """A library that returns one vector per text itself (every spec of the group gets it)."""

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        raise NotImplementedError

    def encode_batch(self, texts, role, specs):
        out = np.asarray(self.embed(texts, role), dtype=np.float32)
        return {s.id: out for s in specs}
