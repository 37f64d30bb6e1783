"""The interface: ``encode(texts, role) -> float32 array`` for every model, one forward pass per group.

``encoder_groups(specs)`` puts specs that share weights (same loader, source, options and
max_seq_length; different pooling) in one ``EncoderGroup``, so one forward pass serves all of them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import EmbedlabError
from ..paths import from_root, models_cache_dir
from ..schema import ROLES
from .registry import backend_class
from .spec import ModelSpec, model_error, positive_int


def pick_device() -> str:
    """``cuda`` when a GPU is visible to torch, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def runtime(embed_settings: dict) -> tuple[str, str | None]:
    """``(model cache folder, device)`` from the params group ``embed``, the same for every stage:
    ``cache_dir`` relative to the repository root, ``device: auto`` -> None (``pick_device``)."""
    device = embed_settings.get("device", "auto")
    return str(from_root(embed_settings.get("cache_dir", "data/models"))), None if device == "auto" else device


def set_threads(threads) -> dict:
    """The one thread setting (params ``embed.threads``) for torch's intra-op threads and faiss's OpenMP
    threads; every onnxruntime session here reads torch's count (``precision.session_options``). None
    leaves each library's default. Returns the counts in force, to record: ``{"torch", "onnxruntime",
    "faiss"}`` (faiss None where it is not installed)."""
    import torch

    if threads is not None:
        if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
            raise EmbedlabError(f"params 'embed.threads' must be a whole number >= 1 or null, got {threads!r}",
                                "use e.g. threads: 2 (the cores to use)")
        torch.set_num_threads(threads)
    try:
        import faiss
    except ImportError:
        faiss = None
    if faiss is not None and threads is not None:
        faiss.omp_set_num_threads(threads)
    n = torch.get_num_threads()
    return {"torch": n, "onnxruntime": n, "faiss": None if faiss is None else int(faiss.omp_get_max_threads())}


class EncoderGroup:
    """Specs that share one set of weights; ``encode`` runs the model once and pools per spec.

    The model loads on first use (or ``load()``); ``close()`` frees it. ``cache_dir`` (default
    ``data/models`` under the repository root) holds assembled and distilled model folders.
    """

    def __init__(self, specs: Sequence[ModelSpec], cache_dir: str | os.PathLike | None = None, device: str | None = None):
        specs = tuple(specs)
        if not specs or len({s.group_key() for s in specs}) != 1:
            raise EmbedlabError(
                f"an EncoderGroup needs specs with one loader, source and options, got {[s.id for s in specs]}",
                "build groups with encoder_groups(specs)",
            )
        self.specs = specs
        self.cache_dir = Path(cache_dir) if cache_dir is not None else models_cache_dir()
        self.device = device or pick_device()
        self.load_seconds: float | None = None
        self._backend = None

    @property
    def name(self) -> str:
        return "+".join(s.id for s in self.specs)

    def load(self) -> "EncoderGroup":
        """Load the weights now (idempotent); the time goes to ``load_seconds``."""
        if self._backend is None:
            spec = self.specs[0]
            start = time.perf_counter()
            backend = backend_class(spec.loader)(spec, self.cache_dir, self.device)
            self.load_seconds = time.perf_counter() - start
            for s in self.specs:
                if backend.dim != s.dim:
                    raise model_error(s.id, f"native dimension is {backend.dim} but params say dim: {s.dim}", f"set dim: {backend.dim}")
            self._backend = backend
        return self

    @property
    def backend(self):
        """The loaded back end (its ``tokenizer`` / ``model`` / ``states`` are there for inspection)."""
        return self.load()._backend

    def close(self) -> None:
        """Drop the weights (the next encode loads them again)."""
        self._backend = None

    def __enter__(self):
        return self.load()

    def __exit__(self, *exc):
        self.close()

    def encode(
        self, texts: Sequence[str], role: str = "query", batch_size: int = 32, show_progress: bool = True
    ) -> dict[str, np.ndarray]:
        """``{model_id: float32 array (len(texts), dim)}``, rows in input order.

        ``role`` is ``query`` (queries and every symmetric task) or ``document`` (retrieval corpus).
        Texts are batched longest first (less padding per batch) and put back in input order.
        """
        import torch
        from tqdm.auto import tqdm

        if role not in ROLES:
            raise EmbedlabError(f"unknown role '{role}'", f"use one of: {', '.join(ROLES)}")
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise EmbedlabError("encode() takes a list of strings", "pass texts as a list of str")
        positive_int(self.name, "batch_size", batch_size)
        backend = self.load()._backend
        prefix = self.specs[0].options.get(f"{role}_prefix", "")
        texts = [prefix + t for t in texts] if prefix else list(texts)
        n = len(texts)
        out = {s.id: np.zeros((n, s.dim), dtype=np.float32) for s in self.specs}
        order = sorted(range(n), key=lambda i: -len(texts[i]))
        backend.encode_started()
        with torch.inference_mode(), tqdm(total=n, desc=self.name, unit="text", disable=not show_progress) as bar:
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                vectors = backend.encode_batch([texts[i] for i in rows], role, self.specs)
                for s in self.specs:
                    out[s.id][rows] = vectors[s.id]
                bar.update(len(rows))
        backend.encode_finished(self.name, n)
        return out


def encoder_groups(
    specs: Sequence[ModelSpec], cache_dir: str | os.PathLike | None = None, device: str | None = None
) -> list[EncoderGroup]:
    """Group specs that share weights (same loader, source, options, max_seq_length), in first-seen order."""
    groups: dict[str, list[ModelSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.group_key(), []).append(spec)
    return [EncoderGroup(g, cache_dir=cache_dir, device=device) for g in groups.values()]


class Encoder:
    """One model: ``encode(texts, role) -> float32 array (n, dim)``."""

    def __init__(self, spec: ModelSpec, cache_dir: str | os.PathLike | None = None, device: str | None = None):
        self.spec = spec
        self.group = EncoderGroup([spec], cache_dir=cache_dir, device=device)

    def load(self) -> "Encoder":
        self.group.load()
        return self

    def encode(self, texts: Sequence[str], role: str = "query", batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self.group.encode(texts, role=role, batch_size=batch_size, show_progress=show_progress)[self.spec.id]


def load_encoder(spec: ModelSpec, cache_dir: str | os.PathLike | None = None, device: str | None = None) -> Encoder:
    """A loaded single-model encoder."""
    return Encoder(spec, cache_dir=cache_dir, device=device).load()
