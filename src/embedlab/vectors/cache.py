"""An embedding cache in front of an encoder, and the query streams it is measured on (experiment 03, D).

``EmbeddingCache`` is ``functools.lru_cache`` keyed by (model fingerprint, text): a query seen before
costs a dictionary lookup instead of a forward pass. ``zipf_stream`` draws a seeded stream of real
queries whose popularity follows a finite Zipf law (rank r drawn with probability proportional to
r^-s; s = 0 is uniform), the usual model of repeated search traffic. ``query_streams`` gives a
warm-up stream and a measured stream from the same distribution, with an exact share of the measured
one replaced by texts never seen before (the long tail of one-off queries a real cache meets);
``EmbeddingCache.warm`` puts a cache in the state a warm-up stream leaves it in. ``serve`` answers a
stream one query at a time and measures wall time and this process's CPU time.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from ..errors import EmbedlabError


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


def query_streams(pool: Sequence[str], unseen: Sequence[str], *, warmup: int, length: int, skew: float,
                  unseen_share: float = 0.0, seed: int = 0) -> tuple[list[str], list[str]]:
    """A warm-up stream of ``warmup`` and a measured stream of ``length`` queries, both Zipf(``skew``) over
    ``pool`` with independent seeded draws; then ``round(unseen_share * length)`` positions of the measured
    stream, chosen at random, each get a different text of ``unseen`` (texts outside the pool, so neither
    stream has seen them)."""
    if not 0 <= unseen_share <= 1:
        raise EmbedlabError(f"an unseen share is a fraction of the stream, got {unseen_share}", "use e.g. unseen_shares: [0.0, 0.2]")
    n_unseen = int(round(unseen_share * length))
    overlap = set(pool) & set(unseen)
    if overlap:
        raise EmbedlabError(f"{len(overlap)} 'unseen' texts are in the pool, e.g. {next(iter(overlap))!r}",
                            "draw unseen texts from outside the pool")
    if n_unseen > len(set(unseen)):
        raise EmbedlabError(f"an unseen share of {unseen_share} of {length} queries needs {n_unseen} distinct texts "
                            f"outside the pool, there are {len(set(unseen))}", "use a smaller pool, stream or share, or a larger task")
    warm_seed, stream_seed, tail_seed = np.random.SeedSequence(seed).generate_state(3)
    warm = zipf_stream(pool, warmup, skew, seed=int(warm_seed)) if warmup else []
    measured = zipf_stream(pool, length, skew, seed=int(stream_seed))
    if n_unseen:
        rng = np.random.default_rng(int(tail_seed))
        distinct = list(dict.fromkeys(unseen))
        texts = rng.choice(len(distinct), size=n_unseen, replace=False)
        for position, text in zip(rng.choice(length, size=n_unseen, replace=False), texts):
            measured[position] = distinct[text]
    return warm, measured


class EmbeddingCache:
    """``encode_one(text) -> vector`` behind an LRU cache of ``maxsize`` entries keyed by
    (``fingerprint``, text); ``info()`` gives hits, misses and the hit rate."""

    def __init__(self, encode_one: Callable[[str], np.ndarray], fingerprint: str, maxsize: int | None = 1024):
        self.fingerprint = fingerprint
        self._encode = encode_one
        self._counted_from = (0, 0)  # (hits, misses) before the queries info() counts

        @functools.lru_cache(maxsize=maxsize)
        def cached(fingerprint: str, text: str) -> np.ndarray:
            return self._encode(text)

        self._cached = cached

    def __call__(self, text: str) -> np.ndarray:
        return self._cached(self.fingerprint, text)

    def warm(self, stream: Sequence[str], vectors: Mapping[str, np.ndarray]) -> None:
        """Leave the cache as serving ``stream`` would (the same entries in the same recency order), its
        misses answered from ``vectors`` (e.g. encoded in batches beforehand) instead of one forward pass
        each; ``info()`` then counts only the queries after it."""
        encode, self._encode = self._encode, vectors.__getitem__
        try:
            for text in stream:
                self(text)
        finally:
            self._encode = encode
        info = self._cached.cache_info()
        self._counted_from = (info.hits, info.misses)

    def info(self) -> dict:
        info = self._cached.cache_info()
        hits, misses = info.hits - self._counted_from[0], info.misses - self._counted_from[1]
        total = hits + misses
        return {"hits": hits, "misses": misses, "hit_rate": hits / total if total else float("nan"),
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
