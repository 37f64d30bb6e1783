"""Stage `throughput`: every registry model timed in one run on the same texts, plus the plain
``SentenceTransformer.encode`` reference, into reports/metrics/throughput.json."""

from __future__ import annotations

import time
from pathlib import Path

from ..encoders import encoder_groups, model_location, models_from_params, pick_device, runtime, with_token_cap
from ..errors import EmbedlabError
from ..params import load_params, token_caps
from ..paths import metrics_path, tasks_dir
from ..provenance import atomic_write_json, library_versions
from ..tasks import available_tasks, load_prepared, texts_to_embed
from ..throughput import pick_texts, time_group, time_sentence_transformer


def run(params_path: str | Path = "params.yaml") -> Path:
    started = time.time()
    params = load_params(params_path)
    settings, embed = params.get("throughput") or {}, params["embed"]
    registry = models_from_params(params["models"])
    baseline = settings.get("baseline")
    if baseline and baseline not in registry:
        raise EmbedlabError(f"params 'throughput.baseline' names unknown model '{baseline}'",
                            f"use a model of the registry, e.g. {next(iter(registry))}, or null")
    batch_size, repeats = int(settings.get("batch_size", 32)), int(settings.get("repeats", 3))
    tasks = {name: load_prepared(name, tasks_dir()) for name in available_tasks(tasks_dir())}
    texts = pick_texts(tasks, int(settings.get("texts", 256)), texts_to_embed)
    # Short sentences are timed, so every model reads them with the short-text cap.
    specs = [with_token_cap(spec, token_caps(embed)["short"]) for spec in registry.values()]
    cache_dir, device = runtime(embed)
    models = {}
    for group in encoder_groups(specs, cache_dir=cache_dir, device=device):
        print(f"throughput: {group.name}")
        record = time_group(group.load(), texts, batch_size=batch_size, repeats=repeats)
        for spec in group.specs:
            models[spec.id] = record
        group.close()
    payload = {"models": models}
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
