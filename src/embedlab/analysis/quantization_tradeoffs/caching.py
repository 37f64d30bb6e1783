"""Experiment 03, part D: an embedding cache in front of a live encoder, measured cold, warm and with a
tail of never-seen queries, and the hit rate a ×5 QPS claim needs.

``cache_benchmark`` serves seeded Zipf streams one query at a time through ``cache.model`` with and
without an LRU cache (``embedlab.vectors.cache``): for each skew, repeat and unseen share, one measured stream
is timed without the cache, then through an empty cache (cold, unseen share 0 only) and through a cache
left warm by a warm-up stream from the same distribution. ``hit_rate_needed`` fits the measured runs:
with a miss costing a forward pass and a hit almost nothing, 1 / speed-up falls linearly with the hit
rate, so the line through the runs gives the hit rate at which the speed-up reaches ×5 (one fit per
repeat: median, min, max). ``skews_reaching`` gives, per stream kind, the smallest measured skew whose
median hit rate reaches it and the smallest whose median speed-up reaches ×5.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import EmbedlabError
from ...throughput import format_ratio


SPEEDUP = 5.0


KEYS = ["skew", "cache", "unseen share"]


def cache_settings(c: dict) -> dict:
    """``quantization_tradeoffs.cache`` with its defaults, every bad value a one-line error."""
    c = {"warmup": 1000, "unseen_shares": [0.0], "repeats": 1, "maxsize": 256, "seed": 0, **c}
    shares = [float(u) for u in c["unseen_shares"]]
    skews = [float(s) for s in c["skews"]]
    if not skews or min(skews) < 0 or int(c["pool"]) < 1 or int(c["stream"]) < 1 or int(c["warmup"]) < 0:
        raise EmbedlabError("quantization_tradeoffs.cache needs skews >= 0, pool >= 1, stream >= 1 and warmup >= 0",
                            "use e.g. pool: 1000, warmup: 1000, stream: 500, skews: [0.5, 1.0, 1.5]")
    if not shares or min(shares) < 0 or max(shares) >= 1 or int(c["repeats"]) < 1:
        raise EmbedlabError("quantization_tradeoffs.cache needs unseen_shares in [0, 1) and repeats >= 1",
                            "use e.g. unseen_shares: [0.0, 0.2], repeats: 3")
    return {**c, "skews": skews, "unseen_shares": shares, "repeats": int(c["repeats"])}


def stream_kind(cache: str, share: float) -> str:
    """``cold``, ``warm`` or ``warm, 20% unseen``: how a run's stream met the cache."""
    return cache if not share else f"{cache}, {share:.0%} unseen"


def cache_benchmark(exp, p: dict) -> pd.DataFrame:
    """One row per measured stream and cache state: hit rate, queries/s with and without the cache, their
    ratio, CPU ms per query (this process), for every skew, repeat and unseen share of ``cache``."""
    from ...vectors.cache import EmbeddingCache, query_streams, serve
    from ...encoders import load_encoder, models_from_params, runtime
    from ...provenance import sha256_json
    from ...tasks import texts_to_embed

    c = cache_settings(p["cache"])
    texts = list(dict.fromkeys(t for ts in texts_to_embed(exp.task(c["task"])).values() for t in ts))
    order = np.random.default_rng(c["seed"]).permutation(len(texts))
    pool = [texts[i] for i in order[: int(c["pool"])]]  # rank 1 = pool[0]
    unseen = [texts[i] for i in order[int(c["pool"]):]]
    spec = models_from_params(exp.params["models"])[c["model"]]
    cache_dir, device = runtime(exp.params["embed"])
    encoder = load_encoder(spec, cache_dir=cache_dir, device=device)
    encode_one = lambda text: encoder.encode([text], role="query", batch_size=1)[0]  # noqa: E731
    serve(encode_one, pool[:20])  # warm-up of the encoder itself
    # The warm-up streams fill the cache from vectors encoded once in batches: the same cache state
    # as serving them one at a time, without their forward passes.
    vectors = dict(zip(pool, encoder.encode(pool, role="query", batch_size=32)))
    fingerprint = sha256_json(exp.params["models"][c["model"]])
    rows = []
    for repeat in range(c["repeats"]):
        for i, skew in enumerate(c["skews"]):
            for j, share in enumerate(c["unseen_shares"]):
                seed = int(np.random.SeedSequence([c["seed"], repeat, i, j]).generate_state(1)[0])
                warm, measured = query_streams(pool, unseen, warmup=int(c["warmup"]), length=int(c["stream"]),
                                               skew=skew, unseen_share=share, seed=seed)
                plain = serve(encode_one, measured)
                for state in (["cold"] if share == 0 else []) + ["warm"]:
                    cache = EmbeddingCache(encode_one, fingerprint, maxsize=c["maxsize"])
                    if state == "warm":
                        cache.warm(warm, vectors)
                    cached = serve(cache, measured)
                    rows.append({"repeat": repeat, "skew": skew, "cache": state, "unseen share": share,
                                 "stream": stream_kind(state, share), "distinct queries": len(set(measured)),
                                 "hit rate": cache.info()["hit_rate"], "qps without cache": plain["qps"],
                                 "qps with cache": cached["qps"], "speed-up": cached["qps"] / plain["qps"],
                                 "cpu ms/query without": plain["cpu_ms_per_query"],
                                 "cpu ms/query with": cached["cpu_ms_per_query"]})
    if hasattr(encoder, "close"):
        encoder.close()
    return pd.DataFrame(rows).assign(model=c["model"], task=c["task"], pool=len(pool), warmup=int(c["warmup"]),
                                     queries=int(c["stream"]), maxsize=c["maxsize"])


def cache_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per (skew, cache state, unseen share): median hit rate and speed-up over repeats, with the
    speed-up's min and max, and the median queries/s with and without the cache."""
    g = frame.groupby(KEYS, sort=True)
    out = g.agg(**{"stream": ("stream", "first"), "repeats": ("repeat", "nunique"), "hit rate": ("hit rate", "median"),
                   "hit rate min": ("hit rate", "min"), "hit rate max": ("hit rate", "max"),
                   "speed-up": ("speed-up", "median"), "speed-up min": ("speed-up", "min"),
                   "speed-up max": ("speed-up", "max"), "qps without cache": ("qps without cache", "median"),
                   "qps with cache": ("qps with cache", "median"),
                   "cpu ms/query without": ("cpu ms/query without", "median"),
                   "cpu ms/query with": ("cpu ms/query with", "median")}).reset_index()
    meta = frame.iloc[0]
    return out.assign(model=meta["model"], task=meta["task"], pool=meta["pool"], queries=meta["queries"],
                      maxsize=meta["maxsize"])


def _fit(hit: np.ndarray, speedup: np.ndarray, target: float) -> float:
    """The hit rate where the line 1/speed-up = a + b * hit rate reaches 1/target (NaN: no falling line)."""
    if len(hit) < 2 or np.ptp(hit) == 0:
        return float("nan")
    b, a = np.polyfit(hit, 1.0 / speedup, 1)
    return float((1.0 / target - a) / b) if b < 0 else float("nan")


def hit_rate_needed(frame: pd.DataFrame, speedup: float = SPEEDUP) -> dict:
    """The hit rate at which the cached stream reaches ``speedup``× the QPS, from a line fitted to
    1 / speed-up against hit rate over the runs of each repeat: ``{"value": median over repeats, "min",
    "max", "repeats", "runs", "speedup", "no_overhead": 1 - 1/speedup}`` (the value if a hit cost nothing)."""
    fits = [_fit(r["hit rate"].to_numpy(float), r["speed-up"].to_numpy(float), speedup)
            for _, r in frame.groupby("repeat")]
    fits = [f for f in fits if np.isfinite(f)]
    if not fits:
        return {"value": float("nan"), "min": float("nan"), "max": float("nan"), "repeats": 0, "runs": len(frame),
                "speedup": speedup, "no_overhead": 1 - 1 / speedup}
    return {"value": float(np.median(fits)), "min": float(min(fits)), "max": float(max(fits)), "repeats": len(fits),
            "runs": len(frame), "speedup": speedup, "no_overhead": 1 - 1 / speedup}


def skews_reaching(summary: pd.DataFrame, hit_rate: float, speedup: float = SPEEDUP) -> pd.DataFrame:
    """Per stream kind: the smallest measured skew whose median hit rate reaches ``hit_rate`` and the
    smallest whose median speed-up reaches ``speedup`` (NaN: none did), the highest median hit rate
    measured, and the highest a stream can have (1 - unseen share)."""
    rows = []
    for (state, share), s in summary.groupby(["cache", "unseen share"], sort=False):
        s = s.sort_values("skew")
        by_hit, by_speed = s[s["hit rate"] >= hit_rate], s[s["speed-up"] >= speedup]
        rows.append({"stream": stream_kind(state, share), "cache": state, "unseen share": share,
                     "skew reaching hit rate": float(by_hit["skew"].min()) if len(by_hit) else np.nan,
                     f"skew reaching ×{speedup:g}": float(by_speed["skew"].min()) if len(by_speed) else np.nan,
                     "highest hit rate": float(s["hit rate"].max()), "hit rate ceiling": 1.0 - share})
    order = {"cold": 0, "warm": 1}
    return pd.DataFrame(rows).sort_values(["unseen share", "cache"], key=lambda c: c.map(order) if c.name == "cache" else c,
                                          ignore_index=True)


def cache_records(summary: pd.DataFrame, needed: dict) -> pd.DataFrame:
    """Flat records for the metrics file: ``cache_hit_rate`` and ``cache_qps_ratio`` (with cache / without)
    per (skew, cache state, unseen share) with min / max over repeats, and ``cache_hit_rate_for_x5``."""
    rows = []
    for _, r in summary.iterrows():
        common = {"model": r["model"], "task": r["task"], "main": False, "skew": float(r["skew"]), "cache": r["cache"],
                  "unseen_share": float(r["unseen share"]), "repeats": int(r["repeats"]), "pool": int(r["pool"]),
                  "queries": int(r["queries"]), "maxsize": None if pd.isna(r["maxsize"]) else int(r["maxsize"])}
        rows.append({**common, "metric": "cache_hit_rate", "value": float(r["hit rate"]),
                     "min": float(r["hit rate min"]), "max": float(r["hit rate max"])})
        rows.append({**common, "metric": "cache_qps_ratio", "value": float(r["speed-up"]), "min": float(r["speed-up min"]),
                     "max": float(r["speed-up max"]), "hit_rate": float(r["hit rate"])})
    meta = summary.iloc[0]
    rows.append({"model": meta["model"], "task": meta["task"], "main": False, "metric": "cache_hit_rate_for_x5",
                 "value": needed["value"], "min": needed["min"], "max": needed["max"], "repeats": needed["repeats"],
                 "runs": needed["runs"], "speedup": needed["speedup"]})
    return pd.DataFrame(rows)


STREAM_STYLE = {"cold": ("#1f77b4", "o"), "warm": ("#ff7f0e", "s")}


def _style(state: str, share: float):
    colour, marker = STREAM_STYLE.get(state, ("#7f7f7f", "^"))
    return ("#2ca02c", "^") if share else (colour, marker)


def cache_figure(summary: pd.DataFrame, needed: dict, title: str):
    """Left: QPS ratio against hit rate, one point per stream kind and skew (bars: min–max over repeats),
    the ×5 line and the hit rate it needs. Right: hit rate against skew per stream kind."""
    import textwrap

    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
    for (state, share), s in summary.groupby(["cache", "unseen share"], sort=False):
        s = s.sort_values("skew")
        colour, marker = _style(state, share)
        label = stream_kind(state, share)
        left.errorbar(s["hit rate"], s["speed-up"], yerr=[s["speed-up"] - s["speed-up min"], s["speed-up max"] - s["speed-up"]],
                      fmt=marker, color=colour, capsize=3, label=label)
        right.plot(s["skew"], s["hit rate"], marker + "-", color=colour, label=label)
    left.axhline(SPEEDUP, ls=":", color="grey", label=f"×{SPEEDUP:g} QPS")
    if np.isfinite(needed["value"]):
        left.axvline(needed["value"], ls="--", color="black", lw=0.8, label=f"hit rate for ×{SPEEDUP:g} (fit)")
        right.axhline(needed["value"], ls="--", color="black", lw=0.8, label=f"hit rate for ×{SPEEDUP:g}")
    left.set_yscale("log")
    low, high = left.get_ylim()
    left.set_yticks([t for t in (1, 1.5, 2, 3, 5, 7, 10, 15, 20, 30, 50, 100) if low <= t <= high])
    left.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"×{v:g}"))
    left.yaxis.set_minor_formatter(FuncFormatter(lambda v, _: ""))
    left.set_xlabel("cache hit rate on the measured stream")
    left.set_ylabel("QPS with cache / without (log scale)")
    right.set_xlabel("Zipf skew s of the stream (P(rank r) ∝ r^-s)")
    right.set_ylabel("cache hit rate")
    right.set_ylim(0, 1)
    for ax in (left, right):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    fig.suptitle(textwrap.fill(title, 120), fontsize=10)
    fig.tight_layout()
    return fig


def _skew_phrase(row: pd.Series) -> str:
    s = row["skew reaching hit rate"]
    if np.isfinite(s):
        return f"{row['stream']} from skew {s:g}"
    return f"{row['stream']} at no measured skew (at most {row['highest hit rate']:.0%})"


def cache_title(summary: pd.DataFrame, needed: dict) -> str:
    """The finding in one line: the hit rate ×5 needs and the skew at which each stream kind reaches it."""
    if not np.isfinite(needed["value"]):
        top = summary.loc[summary["speed-up"].idxmax()]
        return f"An embedding cache stays below ×{SPEEDUP:g} QPS (best ×{top['speed-up']:.1f}, {top['stream']} at skew {top['skew']:g})"
    reach = skews_reaching(summary, needed["value"])
    return (f"×{SPEEDUP:g} QPS from an embedding cache needs a hit rate of {needed['value']:.0%}: streams reach it "
            + "; ".join(_skew_phrase(r) for _, r in reach.iterrows()))


def cache_interpretation(summary: pd.DataFrame, needed: dict) -> str:
    """The cache findings in a paragraph, every number from the runs."""
    meta = summary.iloc[0]
    head = (f"**Caching** ({int(meta['queries']):,} measured queries one at a time through `{meta['model']}`, "
            f"Zipf over {int(meta['pool']):,} distinct {meta['task']} texts, LRU of {meta['maxsize']} entries, "
            f"{int(summary['repeats'].max())} seeded repeats; ×QPS = median with min–max over repeats): ")
    parts = []
    for (state, share), s in summary.groupby(["cache", "unseen share"], sort=False):
        parts.append(f"{stream_kind(state, share)}: " + ", ".join(
            f"skew {r['skew']:g} hit rate {r['hit rate']:.0%}, ×{format_ratio(r['speed-up'], r['speed-up min'], r['speed-up max'], unit='')}"
            for _, r in s.sort_values("skew").iterrows()))
    text = head + "; ".join(parts) + "."
    if np.isfinite(needed["value"]):
        reach = skews_reaching(summary, needed["value"])
        lo, hi = needed["min"], needed["max"]
        text += (f" A line through 1/×QPS against hit rate ({needed['runs']} runs, one fit per repeat) puts ×{SPEEDUP:g} at a "
                 f"hit rate of {needed['value']:.1%} ({lo:.1%}–{hi:.1%} over repeats; {needed['no_overhead']:.0%} if a hit "
                 "cost nothing, since the cached stream does 1 − h of the forward passes). Streams reach it: "
                 + "; ".join(_skew_phrase(r) for _, r in reach.iterrows()) + ".")
        tails = reach[reach["unseen share"] > 0]
        for _, r in tails.iterrows():
            if r["hit rate ceiling"] < needed["value"]:
                text += (f" With {r['unseen share']:.0%} of the queries never seen before, the hit rate cannot pass "
                         f"{r['hit rate ceiling']:.0%} (1 − unseen share), under the {needed['value']:.0%} that "
                         f"×{SPEEDUP:g} needs, whatever the skew.")
    return text
