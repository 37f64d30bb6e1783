"""Experiment 03's claims of the seed article: each rule reads this experiment's records (``results``) and
the tables its metrics file writes beside them (``payload``), and names the experiment by ``experiment``.
The ledger (``embedlab.claims``) gathers ``CLAIMS`` of every listed experiment.

Read as a file of its own by the `report` stage: absolute imports only (tests/test_layout.py)."""

from __future__ import annotations

from embedlab.claims import Claim, missing


def _weights(payload) -> list[dict]:
    """Experiment 03's weight-variant rows that have an fp32 reference."""
    rows = (payload or {}).get("weights") or []
    return [r for r in rows if r.get("reference")]


def _ci(r) -> str:
    return f"{r['difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]"


def _speed(r) -> str:
    """A weight variant's speed-up: the median over interleaved rounds with their range where recorded."""
    from embedlab.throughput import format_ratio

    return format_ratio(r["speed-up"], r.get("speed-up min"), r.get("speed-up max"), unit="x")


def assess_c18(results, families, datasets=None, payload=None, experiment="this experiment"):
    rows = [r for r in _weights(payload) if "int8" in r["precision"] + r["model"] and "pruned" not in r["precision"]]
    if not rows:
        return missing(f"int8 weight variant in {experiment}")
    met = {r["model"]: (r["size ratio"] >= 3.5, r["speed-up"] >= 2.8, r["retention"] > 0.98) for r in rows}
    verdict = ("supported" if any(all(m) for m in met.values())
               else "partly" if any(any(m) for m in met.values()) else "contradicted")
    return verdict, ("int8 weights against fp32 on the same texts (" + experiment + ", claimed 4x smaller, 3.2x "
                     "faster, < 2% loss): " + "; ".join(
                         f"`{r['model']}` {r['size ratio']:.1f}x smaller" + (f" (against {r['size against']})"
                                                                             if r.get("size against") else "")
                         + f", {_speed(r)} the texts/s, quality {r['retention'] - 1:+.1%} (mean main score {_ci(r)}, "
                         "paired)" + (f", mean cosine to fp32 {r['cosine to reference']:.2f}"
                                      if r.get("cosine to reference") == r.get("cosine to reference")
                                      and r.get("cosine to reference") is not None else "") for r in rows)
                     + ". Speed: median over interleaved rounds on 2 CPU cores, batch 32, with the rounds' range; "
                       "size: the bytes of the weights run, against the fp32 model in the same file type")


def assess_c19(results, families, datasets=None, payload=None, experiment="this experiment"):
    rows = [r for r in _weights(payload) if "distilled" in r["precision"]]
    if not rows:
        return missing(f"distilled student in {experiment}")
    met = {r["model"]: (r["retention"] >= 0.98, 1 - 1 / r["speed-up"] >= 0.76) for r in rows}
    verdict = ("supported" if any(all(m) for m in met.values())
               else "partly" if any(any(m) for m in met.values()) else "contradicted")
    return verdict, (f"{experiment}: no TinyBERT pair installs offline; model2vec static students distilled from their teacher "
                     f"`{rows[0]['reference']}` (a different, cruder distillation: one vector per token, no layers): " + "; ".join(
                         f"`{r['model']}` keeps {r['retention']:.1%} of the teacher's mean main score at "
                         f"{1 - 1 / r['speed-up']:.0%} less time per text ({r['speed-up']:.0f}x the texts/s)" for r in rows)
                     + " (claimed: 98% at -76% latency)")


def assess_c20(results, families, datasets=None, payload=None, experiment="this experiment"):
    payload = payload or {}
    rows = payload.get("cache") or []
    if not rows:
        return missing(f"cache measurement in {experiment}")
    for r in rows:  # CPU per query saved by the cache (median runs)
        r["cpu saved"] = 1 - r["cpu ms/query with"] / r["cpu ms/query without"]
    warm = [r for r in rows if r["cache"] == "warm" and not r["unseen share"]] or rows
    both = [r for r in warm if r["speed-up"] >= 5 and r["cpu saved"] >= 0.4]
    verdict = "partly" if both else "contradicted"
    first = min(both, key=lambda r: r["skew"]) if both else max(warm, key=lambda r: r["speed-up"])
    needed = payload.get("cache_hit_rate_for_x5") or {}
    need = (f"; x5 needs a hit rate of {needed['value']:.0%} ({needed['min']:.0%}–{needed['max']:.0%} over repeats)"
            if needed.get("value") == needed.get("value") and needed.get("value") is not None else "")
    return verdict, (f"{experiment}: an LRU cache ({rows[0]['maxsize']} entries) in front of `{rows[0]['model']}`, "
                     f"warm (filled by a warm-up stream first), seeded Zipf streams of {rows[0]['queries']} real queries: "
                     + ", ".join(f"skew {r['skew']:g} hit rate {r['hit rate']:.0%} -> x{r['speed-up']:.1f} QPS, CPU "
                                 f"{-r['cpu saved']:+.0%}" for r in warm) + need + ". "
                     + (f"x5 QPS and -40% CPU hold from skew {first['skew']:g} (hit rate {first['hit rate']:.0%}) on: the "
                        "gain is set by the traffic's repetition, not by the cache, so the claim holds only for such traffic"
                        if both else f"no measured skew reached both (best x{first['speed-up']:.1f})"))


def assess_c23(results, families, datasets=None, payload=None, experiment="this experiment"):
    rows = [r for r in _weights(payload) if "pruned" in r["precision"]]
    if not rows:
        return missing(f"pruned variant in {experiment}")
    near = [r for r in rows if r["sparsity"] >= 0.6]
    if not near:
        return missing("pruned variant at >= 60% sparsity")
    r = max(near, key=lambda r: r["sparsity"])
    verdict = "supported" if r["retention"] > 0.99 and not (r["separated"] and r["difference"] < 0) else "contradicted"

    def share(x):
        everything = x.get("parameter sparsity")
        return (f"{x['sparsity']:.0%} of the Linear weights" + (f" = {everything:.0%} of all parameters"
                                                                if everything == everything and everything is not None else ""))
    return verdict, (f"{experiment}: one-shot global magnitude pruning of `{r['reference']}`'s Linear weights "
                     "(the embedding table, norms and biases kept), no recovery fine-tuning: " + "; ".join(
                         f"{share(x)} zeroed keeps {x['retention']:.1%} (mean main score {_ci(x)}, paired)" for x in rows)
                     + f". At {share(r)} the loss is {1 - r['retention']:.1%} (claimed: 65% of parameters at < 1%). "
                     "The verdict is about one-shot pruning: pruning followed by fine-tuning to recover, which the claim "
                     "may mean, is not tested here. Zeros stored densely take the same bytes and time on a dense CPU runtime")


CLAIMS = [
    Claim("C18", "INT8 quantization: model 4x smaller, 3.2x faster, accuracy loss < 2%.", assess_c18),
    Claim("C19", "Distillation (TinyBERT student): 98% of the teacher's performance, latency -76%.", assess_c19),
    Claim("C20", "Caching embeddings of frequent queries: QPS x5, CPU use -40%.", assess_c20),
    Claim("C23", "Embedding pruning removes 65% of parameters with < 1% accuracy loss.", assess_c23, scope="one-shot pruning only"),
]
