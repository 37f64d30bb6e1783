"""Where embedlab's encode spends its time, against plain ``SentenceTransformer.encode`` (issue 19).

One cProfile'd pass each, after one warm-up pass each, of all-MiniLM-L6-v2 over the first 2,000 distinct
texts of STS-B's test split (the throughput stage's texts), batch 32, ``embed.threads`` threads, the
short-text token cap. Prints the wall time of each pass and how it splits: the transformer's forward,
the rest of ``SentenceTransformer.encode`` (tokenisation, its own sorting, copies, normalisation), and
embedlab's own code around it (its sort, prefixing, writing rows back in input order). The ratio that is
recorded is the throughput stage's (interleaved rounds); this says where a difference comes from.

    python scripts/profile_encode.py [model id]
"""

from __future__ import annotations

import cProfile
import pstats
import sys
import time


def cumulative(stats: pstats.Stats, where: str, name: str) -> tuple[float, int]:
    """Cumulative seconds and primitive calls of the functions called ``name`` in files whose path
    contains ``where``."""
    rows = [v for (path, _, func), v in stats.stats.items() if func == name and where in path]
    return sum(v[3] for v in rows), sum(v[0] for v in rows)


def main(model: str = "all-MiniLM-L6-v2") -> None:
    from sentence_transformers import SentenceTransformer

    from embedlab.encoders import encoder_groups, model_location, models_from_params, runtime, set_threads, with_token_cap
    from embedlab.params import load_params, token_caps
    from embedlab.paths import tasks_dir
    from embedlab.tasks import load_prepared, texts_to_embed

    params = load_params()
    threads = set_threads(params["embed"].get("threads"))
    cache_dir, _ = runtime(params["embed"])
    spec = with_token_cap(models_from_params(params["models"])[model], token_caps(params["embed"])["short"])
    texts = texts_to_embed(load_prepared("STSBenchmark", tasks_dir()))["query"][:2000]
    group = encoder_groups([spec], cache_dir=cache_dir, device="cpu")[0].load()
    plain_model = SentenceTransformer(model_location(spec, cache_dir), device="cpu")
    plain_model.max_seq_length = spec.max_seq_length
    runners = {"embedlab": lambda: group.encode(texts, role="query", batch_size=32, show_progress=False),
               "plain": lambda: plain_model.encode(texts, batch_size=32, show_progress_bar=False)}
    for run in runners.values():
        run()
    print(f"{model}, {len(texts)} texts, batch 32, cap {spec.max_seq_length}, threads {threads}")
    for name, run in runners.items():
        profile = cProfile.Profile()
        start = time.perf_counter()
        profile.enable()
        run()
        profile.disable()
        wall = time.perf_counter() - start
        stats = pstats.Stats(profile)
        encode, calls = cumulative(stats, "sentence_transformer/model.py", "encode")
        forward, _ = cumulative(stats, "modules/transformer.py", "forward")
        print(f"{name:9s} {wall:6.2f} s: transformer forward {forward:5.2f} s; the rest of SentenceTransformer.encode "
              f"({calls} call{'s' if calls > 1 else ''}) {encode - forward:5.2f} s; outside it {wall - encode:5.3f} s")


if __name__ == "__main__":
    main(*sys.argv[1:])
