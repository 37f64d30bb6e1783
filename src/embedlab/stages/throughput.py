"""Stage `throughput`: every registry model, and the plain ``SentenceTransformer.encode`` reference,
timed interleaved on the same texts (stage `timing_texts`: ``data/throughput_texts.json``) in one run (``throughput.rounds`` rounds, a shuffled order each),
into reports/metrics/throughput.json. Torch, onnxruntime and faiss run with ``embed.threads`` threads (recorded).
For the models of ``throughput.memory``: the bytes of the weights they run and the peak resident
memory of a fresh process that loads one and encodes the same texts. For every model that runs an
ONNX graph: what the graph computes in (op-type counts, int8 weights dequantized or int8 kernels).

Output: ``records`` (flat: ``texts_per_s`` per model and for the reference, ``speedup_vs_fp32`` for
``throughput.references``, ``ratio_vs_plain_sentence_transformers`` for the baseline,
``speedup_vs_fp32_long_texts`` for the ONNX fp32 variants on long documents; each with
``value`` = median over rounds, ``min``, ``max``, ``rounds``), the same per model under ``models``,
``baseline``, ``footprint``, ``onnx_graphs`` and ``provenance``.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..encoders import encoder_groups, model_location, models_from_params, pick_device, runtime, set_threads, with_token_cap
from ..encoders.footprint import peak_memory, weight_footprint
from ..encoders.onnx_graph import graph_summary
from ..encoders.precision import runs_as, session_config
from ..errors import EmbedlabError
from ..params import load_params, token_caps
from ..paths import metrics_path, throughput_texts_path
from ..provenance import atomic_write_json, library_versions
from ..throughput import (PLAIN, group_runner, onnx_file, onnxruntime_threads, paired_ratio, rate,
                          sentence_transformer_runner, time_interleaved)


def _check(settings: dict, registry: dict) -> None:
    baseline = settings.get("baseline")
    if baseline and baseline not in registry:
        raise EmbedlabError(f"params 'throughput.baseline' names unknown model '{baseline}'",
                            f"use a model of the registry, e.g. {next(iter(registry))}, or null")
    named = list(settings.get("memory") or []) + [m for pair in (settings.get("references") or {}).items() for m in pair]
    unknown = [m for m in named if m not in registry]
    if unknown:
        raise EmbedlabError(f"params 'throughput.memory' or 'throughput.references' names unknown model '{unknown[0]}'",
                            f"use models of the registry, e.g. {next(iter(registry))}")


def run(params_path: str | Path = "params.yaml") -> Path:
    started = time.time()
    params = load_params(params_path)
    settings, embed = params.get("throughput") or {}, params["embed"]
    registry = models_from_params(params["models"])
    _check(settings, registry)
    baseline, memory = settings.get("baseline"), list(settings.get("memory") or [])
    references = dict(settings.get("references") or {})
    batch_size, rounds = int(settings.get("batch_size", 32)), int(settings.get("rounds", 5))
    if "threads" in settings:
        raise EmbedlabError("params 'throughput.threads' has moved to 'embed.threads' (one setting for every stage)",
                            "delete throughput.threads and set embed.threads")
    in_force = set_threads(embed.get("threads"))
    threads = in_force["torch"]
    picked = timing_texts()
    source, texts = picked["short"]["task"], picked["short"]["texts"]
    # Short sentences are timed, so every model reads them with the short-text cap.
    specs = [with_token_cap(spec, token_caps(embed)["short"]) for spec in registry.values()]
    cache_dir, device = runtime(embed)
    # Every runner stays loaded so the rounds can interleave them.
    groups, runners, graphs, footprints, ort_threads = {}, {}, {}, {}, {}
    for group in encoder_groups(specs, cache_dir=cache_dir, device=device):
        print(f"throughput: loading {group.name}")
        groups[group.name] = group.load()
        runners[group.name] = group_runner(group, texts, batch_size)
        ort_threads[group.name] = onnxruntime_threads(group.backend)
        path = onnx_file(group.backend)
        for spec in group.specs:
            if path is not None:
                graphs[spec.id] = {"file": f"{path.parent.name}/{path.name}", **graph_summary(path)}
            if spec.id in memory:
                footprints[spec.id] = {"weights": weight_footprint(group)}
    base_spec = next((s for s in specs if s.id == baseline), None)
    if base_spec is not None:
        runners[PLAIN] = sentence_transformer_runner(model_location(base_spec, cache_dir), texts, batch_size=batch_size,
                                                     device=device or pick_device(),
                                                     max_seq_length=base_spec.max_seq_length)
    print(f"throughput: {len(runners)} runners x {rounds} rounds of {len(texts)} texts")
    seconds, orders = time_interleaved(runners, rounds, seed=int(settings.get("seed", 0)))

    common = {"task": source, "n_texts": len(texts), "batch_size": batch_size, "torch_threads": threads}
    models, records, group_of = {}, [], {}
    for name, group in groups.items():
        r = rate(seconds[name], len(texts))
        record = {**common, "device": str(group.device), "rounds": rounds, "repeats": rounds,
                  "onnxruntime_intra_op_threads": ort_threads[name],
                  "texts_per_second": round(r["value"], 2), "texts_per_second_min": round(r["min"], 2),
                  "texts_per_second_max": round(r["max"], 2),
                  # older readers: best / worst are the max / min over rounds
                  "texts_per_second_best": round(r["max"], 2), "texts_per_second_worst": round(r["min"], 2),
                  "texts_per_second_by_round": [round(v, 2) for v in r["by_round"]],
                  "seconds_by_round": [round(s, 4) for s in seconds[name]],
                  "load_seconds": round(group.load_seconds or 0.0, 3),
                  "models_sharing_the_pass": [s.id for s in group.specs],
                  "runs_as": runs_as(group.specs[0])}
        for spec in group.specs:
            models[spec.id], group_of[spec.id] = record, name
            records.append({"model": spec.id, "runner": "embedlab", "metric": "texts_per_s", **_rounded(r), **common,
                            "device": record["device"], "onnxruntime_intra_op_threads": ort_threads[name]})
    for variant, reference in references.items():
        ratio = paired_ratio(seconds[group_of[variant]], seconds[group_of[reference]])
        records.append({"model": variant, "metric": "speedup_vs_fp32", "reference": reference, **_rounded(ratio, 3)})
    payload = {"records": records, "models": models}
    if base_spec is not None:
        r = rate(seconds[PLAIN], len(texts))
        ratio = paired_ratio(seconds[group_of[baseline]], seconds[PLAIN])
        records.append({"model": baseline, "runner": PLAIN, "metric": "texts_per_s", **_rounded(r), **common,
                        "device": device or pick_device()})
        records.append({"model": baseline, "metric": "ratio_vs_plain_sentence_transformers", "reference": PLAIN,
                        **_rounded(ratio, 3)})
        payload["baseline"] = {"model": baseline, "what": PLAIN, **common, "rounds": rounds, "repeats": rounds,
                               "texts_per_second": round(r["value"], 2), "texts_per_second_min": round(r["min"], 2),
                               "texts_per_second_max": round(r["max"], 2),
                               "ratio_embedlab_to_plain": round(ratio["value"], 3),
                               "ratio_embedlab_to_plain_min": round(ratio["min"], 3),
                               "ratio_embedlab_to_plain_max": round(ratio["max"], 3)}
    for group in groups.values():
        group.close()
    records += long_text_speedups(settings, registry, references, picked.get("long"), embed, batch_size, rounds)
    for spec in specs:
        if spec.id in memory:  # a fresh process each, so no model's memory counts for another
            print(f"throughput: peak memory of {spec.id}")
            footprints[spec.id]["peak_memory"] = peak_memory(spec, texts, cache_dir=cache_dir, batch_size=batch_size,
                                                             threads=threads)
    if footprints:
        payload["footprint"] = footprints
    if graphs:
        payload["onnx_graphs"] = graphs
    payload["provenance"] = {"params": {"throughput": settings, "embed": embed}, "torch_threads": threads,
                             "threads": in_force, "onnxruntime_session": session_config(),
                             "round_orders": orders, "libraries": library_versions(),
                             "wall_time_seconds": round(time.time() - started, 1)}
    target = metrics_path("throughput")
    atomic_write_json(target, payload)
    return target


def timing_texts() -> dict:
    """The texts stage `timing_texts` picked (``data/throughput_texts.json``)."""
    import json

    path = throughput_texts_path()
    if not path.exists():
        raise EmbedlabError(f"{path.name} not found", "run `dvc repro timing_texts` first")
    return json.loads(path.read_text(encoding="utf-8"))


def long_text_speedups(settings: dict, registry: dict, references: dict, long: dict | None, embed: dict,
                       batch_size: int, rounds: int) -> list[dict]:
    """``speedup_vs_fp32_long_texts`` records: each ONNX fp32 variant of ``references`` against its fp32
    original on the long documents ``long`` (``{"task", "texts"}`` from stage `timing_texts`), at the
    long-text token cap, interleaved over the same number of rounds (what ``embed.backend: onnx`` saves where
    texts are long)."""
    pairs = {v: r for v, r in references.items() if registry[v].options.get("precision") == "onnx-fp32"
             and registry[r].options.get("precision", "fp32") == "fp32"}
    if not long or not pairs:
        return []
    task, texts = long["task"], long["texts"]
    cap = token_caps(embed)["long"]
    specs = [with_token_cap(registry[m], cap) for m in dict.fromkeys([*pairs, *pairs.values()])]
    cache_dir, device = runtime(embed)
    groups = {s.id: g for g in encoder_groups(specs, cache_dir=cache_dir, device=device) for s in g.specs}
    print(f"throughput: {len(groups)} runners x {rounds} rounds of {len(texts)} long texts ({task}, {cap or 'own'} tokens)")
    seconds, _ = time_interleaved({m: group_runner(g.load(), texts, batch_size) for m, g in groups.items()}, rounds,
                                  seed=int(settings.get("seed", 0)))
    for group in {id(g): g for g in groups.values()}.values():
        group.close()
    max_len = {s.id: s.max_seq_length for s in specs}
    return [{"model": v, "metric": "speedup_vs_fp32_long_texts", "reference": r, "task": task, "n_texts": len(texts),
             "max_seq_length": max_len[r], "batch_size": batch_size, **_rounded(paired_ratio(seconds[v], seconds[r]), 3)}
            for v, r in pairs.items()]


def _rounded(spread: dict, digits: int = 2) -> dict:
    return {k: round(spread[k], digits) for k in ("value", "min", "max")} | {"rounds": spread["rounds"]}
