"""Stage `embed`: encode each (registry model, prepared task) once into data/embeddings/.

Work already in the store (same task checksum, same model fingerprint) is skipped, so adding a
model or a task encodes only what is new. Timing is not done here: see the `throughput` stage.
"""

from __future__ import annotations

import time
from pathlib import Path

from ..encoders import encoder_groups, model_provenance, models_from_params, with_token_cap
from ..params import load_params
from ..paths import embeddings_dir, from_root, tasks_dir
from ..provenance import sha256_json
from ..store import is_current, save_embeddings
from ..tasks import available_tasks, load_prepared, texts_to_embed


def todo(groups, tasks: dict, texts: dict, root: Path) -> dict[str, list[str]]:
    """``{group name: [task names]}``: the tasks some model of each group has no current embeddings of."""
    out = {}
    for group in groups:
        fingerprints = {s.id: sha256_json(model_provenance(s)) for s in group.specs}
        out[group.name] = [
            name for name, task in tasks.items()
            if not all(is_current(root, s.id, name, task["checksum"], fingerprints[s.id], roles=texts[name].keys())
                       for s in group.specs)]
    return out


def run(params_path: str | Path = "params.yaml") -> None:
    params = load_params(params_path)
    settings = params["embed"]
    registry = models_from_params(params["models"])
    specs = [with_token_cap(spec, settings.get("max_seq_length")) for spec in registry.values()]
    tasks = {name: load_prepared(name, tasks_dir()) for name in available_tasks(tasks_dir())}
    texts = {name: texts_to_embed(task) for name, task in tasks.items()}
    device = settings.get("device", "auto")
    groups = encoder_groups(specs, cache_dir=from_root(settings.get("cache_dir", "data/models")),
                            device=None if device == "auto" else device)
    root = embeddings_dir()
    pending = todo(groups, tasks, texts, root)
    batch_size = int(settings.get("batch_size", 32))
    for group in groups:
        names = pending[group.name]
        if not names:
            print(f"embed: {group.name}: all {len(tasks)} tasks current, skipped")
            continue
        print(f"embed: {group.name}: {len(names)} of {len(tasks)} tasks to encode")
        fingerprints = {s.id: sha256_json(model_provenance(s)) for s in group.specs}
        for name in names:
            task = tasks[name]
            for role, role_texts in texts[name].items():
                start = time.perf_counter()
                arrays = group.encode(role_texts, role=role, batch_size=batch_size, show_progress=True)
                seconds = time.perf_counter() - start
                for spec in group.specs:
                    meta = {
                        "model": spec.id, "model_provenance": model_provenance(spec),
                        "model_fingerprint": fingerprints[spec.id], "task": name,
                        "task_checksum": task["checksum"], "seconds": round(seconds, 3),
                        "texts_per_second": round(len(role_texts) / seconds, 2) if seconds > 0 else None,
                        "shared_forward_pass_with": [s.id for s in group.specs if s.id != spec.id],
                    }
                    save_embeddings(root, spec.id, name, role, role_texts, arrays[spec.id], meta)
        group.close()
