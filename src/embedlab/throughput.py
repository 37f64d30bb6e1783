"""Encode throughput, timed the same way for every model and for the plain sentence-transformers reference.

A timing is a record: texts, batch size, repeats, the median / best / worst seconds of the timed
passes (one warm-up batch excluded) and texts per second at the median. Timings are compared only
within one run (ratios), never across runs: the machine's load changes between runs.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable, Sequence


def pick_texts(tasks: dict, n: int, texts_to_embed: Callable[[dict], dict]) -> list[str]:
    """A fixed set of ``n`` short real sentences, the same for every model (STS-B queries when prepared)."""
    for preferred in ("STSBenchmark", "MRPolarity", "SICK-R"):
        if preferred in tasks:
            return texts_to_embed(tasks[preferred])["query"][:n]
    first = next(iter(tasks.values()))
    return next(iter(texts_to_embed(first).values()))[:n]


def time_encoding(encode: Callable[[Sequence[str], int], object], texts: Sequence[str], *, batch_size: int,
                  repeats: int, device: str) -> dict:
    """Warm up on one batch, then time ``encode(texts, batch_size)`` ``repeats`` times."""
    repeats = max(1, int(repeats))
    encode(list(texts[:batch_size]), batch_size)  # warm-up: lazy loading, kernel selection, caches
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        encode(list(texts), batch_size)
        seconds.append(time.perf_counter() - start)
    median = statistics.median(seconds)
    return {
        "n_texts": len(texts), "batch_size": int(batch_size), "repeats": repeats, "device": device,
        "seconds_median": round(median, 4), "seconds_best": round(min(seconds), 4),
        "seconds_worst": round(max(seconds), 4),
        "texts_per_second": round(len(texts) / median, 2),
        "texts_per_second_best": round(len(texts) / min(seconds), 2),
        "texts_per_second_worst": round(len(texts) / max(seconds), 2),
    }


def time_group(group, texts: Sequence[str], *, batch_size: int, repeats: int) -> dict:
    """Time one encoder group (models sharing a forward pass share the measurement)."""
    record = time_encoding(
        lambda batch, size: group.encode(batch, role="query", batch_size=size, show_progress=False),
        texts, batch_size=batch_size, repeats=repeats, device=str(group.device))
    record["load_seconds"] = round(group.load_seconds or 0.0, 3)
    record["models_sharing_the_pass"] = [s.id for s in group.specs]
    return record


def time_sentence_transformer(location: str, texts: Sequence[str], *, batch_size: int, repeats: int,
                              device: str, max_seq_length: int | None = None) -> dict:
    """Time plain ``SentenceTransformer.encode`` (no embedlab code in the loop): the reference."""
    from .errors import require_package

    st = require_package("sentence_transformers", "sentence-transformers")
    model = st.SentenceTransformer(location, device=device)
    if max_seq_length is not None:
        model.max_seq_length = int(max_seq_length)
    record = time_encoding(lambda batch, size: model.encode(batch, batch_size=size), texts,
                           batch_size=batch_size, repeats=repeats, device=device)
    return {"what": "plain SentenceTransformer.encode", **record}
