"""An embedding cache in front of an encoder, and the query streams it is measured on (experiment 03, D).

``EmbeddingCache`` is ``functools.lru_cache`` keyed by (model fingerprint, text): a query seen before
costs a dictionary lookup instead of a forward pass. ``zipf_stream`` draws a seeded stream of real
queries whose popularity follows a finite Zipf law (rank r drawn with probability proportional to
r^-s; s = 0 is uniform), the usual model of repeated search traffic. ``serve`` answers a stream one
query at a time and measures wall time and this process's CPU time.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence

import numpy as np

from .errors import EmbedlabError


def zipf_probabilities(n: int, skew: float) -> np.ndarray:
    """P(rank r) proportional to r^-skew for r = 1..n."""
    if n < 1 or skew < 0:
        raise EmbedlabError(f"a Zipf stream needs a pool of at least 1 text and skew >= 0, got {n} and {skew}",
                            "use e.g. pool: 1000, skews: [0.5, 1.0, 1.5]")
    weights = np.arange(1, n + 1, dtype=np.float64) ** -float(skew)
    return weights / weights.sum()


def zipf_stream(pool: Sequence[str], length: int, skew: float, seed: int = 0) -> list[str]:
    """``length`` queries drawn with replacement from ``pool``; ``pool[0]`` is the most popular."""
    rng = np.random.default_rng(seed)
    ranks = rng.choice(len(pool), size=int(length), p=zipf_probabilities(len(pool), skew))
    return [pool[i] for i in ranks]


class EmbeddingCache:
    """``encode_one(text) -> vector`` behind an LRU cache of ``maxsize`` entries keyed by
    (``fingerprint``, text); ``info()`` gives hits, misses and the hit rate."""

    def __init__(self, encode_one: Callable[[str], np.ndarray], fingerprint: str, maxsize: int | None = 1024):
        self.fingerprint = fingerprint

        @functools.lru_cache(maxsize=maxsize)
        def cached(fingerprint: str, text: str) -> np.ndarray:
            return encode_one(text)

        self._cached = cached

    def __call__(self, text: str) -> np.ndarray:
        return self._cached(self.fingerprint, text)

    def info(self) -> dict:
        info = self._cached.cache_info()
        total = info.hits + info.misses
        return {"hits": info.hits, "misses": info.misses, "hit_rate": info.hits / total if total else float("nan"),
                "entries": info.currsize, "maxsize": info.maxsize}


def serve(answer: Callable[[str], np.ndarray], stream: Sequence[str]) -> dict:
    """Answer every query of ``stream`` one at a time: queries per second (wall) and CPU seconds per
    query (this process, all its threads)."""
    wall, cpu = time.perf_counter(), time.process_time()
    for text in stream:
        answer(text)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {"queries": len(stream), "seconds": wall, "qps": len(stream) / wall if wall else float("inf"),
            "cpu_ms_per_query": 1e3 * cpu / len(stream) if len(stream) else float("nan")}
