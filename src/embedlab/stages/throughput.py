"""Stage `throughput`: every registry model timed in one run on the same texts, plus the plain
``SentenceTransformer.encode`` reference, into reports/metrics/throughput.json. For the models of
``throughput.memory``: the bytes of the weights they run and the peak resident memory of a fresh
process that loads one and encodes the same texts."""

from __future__ import annotations

import time
from pathlib import Path

from ..encoders import encoder_groups, model_location, models_from_params, pick_device, runtime, with_token_cap
from ..encoders.footprint import peak_memory, weight_footprint
from ..errors import EmbedlabError
from ..params import load_params, token_caps
from ..paths import metrics_path, tasks_dir
from ..provenance import atomic_write_json, library_versions
from ..tasks import available_tasks, load_prepared, texts_to_embed
from ..throughput import pick_texts, time_group, time_sentence_transformer


def torch_threads() -> int:
    """The thread count the timings ran with (torch's default), given to the memory processes too."""
    import torch

    return torch.get_num_threads()


def run(params_path: str | Path = "params.yaml") -> Path:
    started = time.time()
    params = load_params(params_path)
    settings, embed = params.get("throughput") or {}, params["embed"]
    registry = models_from_params(params["models"])
    baseline = settings.get("baseline")
    if baseline and baseline not in registry:
        raise EmbedlabError(f"params 'throughput.baseline' names unknown model '{baseline}'",
                            f"use a model of the registry, e.g. {next(iter(registry))}, or null")
    memory = list(settings.get("memory") or [])
    unknown = [m for m in memory if m not in registry]
    if unknown:
        raise EmbedlabError(f"params 'throughput.memory' names unknown model '{unknown[0]}'",
                            f"use models of the registry, e.g. {next(iter(registry))}")
    batch_size, repeats = int(settings.get("batch_size", 32)), int(settings.get("repeats", 3))
    tasks = {name: load_prepared(name, tasks_dir()) for name in available_tasks(tasks_dir())}
    texts = pick_texts(tasks, int(settings.get("texts", 256)), texts_to_embed)
    # Short sentences are timed, so every model reads them with the short-text cap.
    specs = [with_token_cap(spec, token_caps(embed)["short"]) for spec in registry.values()]
    cache_dir, device = runtime(embed)
    models, footprints = {}, {}
    for group in encoder_groups(specs, cache_dir=cache_dir, device=device):
        print(f"throughput: {group.name}")
        record = time_group(group.load(), texts, batch_size=batch_size, repeats=repeats)
        for spec in group.specs:
            models[spec.id] = record
            if spec.id in memory:
                footprints[spec.id] = {"weights": weight_footprint(group)}
        group.close()
    for spec in specs:
        if spec.id in memory:  # a fresh process each, so no model's memory counts for another
            print(f"throughput: peak memory of {spec.id}")
            footprints[spec.id]["peak_memory"] = peak_memory(spec, texts, cache_dir=cache_dir, batch_size=batch_size,
                                                             threads=torch_threads())
    payload = {"models": models}
    if footprints:
        payload["footprint"] = footprints
    if baseline:
        spec = next(s for s in specs if s.id == baseline)
        record = time_sentence_transformer(
            model_location(spec, cache_dir), texts, batch_size=batch_size, repeats=repeats,
            device=device or pick_device(), max_seq_length=spec.max_seq_length)
        payload["baseline"] = {"model": baseline, **record,
                               "ratio_embedlab_to_plain": round(models[baseline]["texts_per_second"]
                                                                / record["texts_per_second"], 3)}
    payload["provenance"] = {"params": {"throughput": settings, "embed": embed},
                             "libraries": library_versions(), "wall_time_seconds": round(time.time() - started, 1)}
    target = metrics_path("throughput")
    atomic_write_json(target, payload)
    return target
