"""Stage `embed`: encode the (model, prepared task) pairs the experiments need into data/embeddings/.

What is encoded is the union over the experiments listed in ``experiments`` of their (model, task)
pairs (``embed_plan``): an experiment group gives ``models`` + ``tasks`` (null = the default-size
variant of every task of ``data.tasks``) or ``runs: {model: [task, ...]}``. A full-size task is
encoded only for the models of the experiment that lists it.

Each (model, task) is read with ``min(model's max_seq_length, embed.max_seq_length[task's text
length])`` tokens; the cap is part of the spec, hence of the model fingerprint. Work already in the
store (same task checksum, same model fingerprint) is skipped, and a task renamed with the same
checksum (``STS12`` -> ``STS12-sample``) reuses its stored vectors, so only what is new is encoded.
Timing is not done here: see the `throughput` stage.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from ..encoders import encoder_groups, model_provenance, models_from_params, with_token_cap
from ..errors import EmbedlabError
from ..params import experiment_runs, experiments, load_params, token_caps
from ..paths import embeddings_dir, from_root, tasks_dir
from ..provenance import sha256_json
from ..store import is_current, load_embeddings, meta_path, save_embeddings
from ..tasks import available_tasks, base_name, default_tasks, load_prepared, texts_to_embed


def embed_plan(params: dict, prepared: list[str], defaults: list[str]) -> dict[str, list[str]]:
    """``{model id: [prepared task names]}``: the union over the listed experiments of what each needs.

    ``prepared``: every available prepared name; ``defaults``: the default-size variant of each task
    (what ``tasks: null`` means). Models in registry order, tasks in ``prepared`` order. A task an
    experiment names that is not prepared is a one-line error naming the fix.
    """
    wanted: dict[str, set[str]] = {}
    for group in experiments(params):
        for model, tasks in experiment_runs(params[group], group).items():
            names = defaults if tasks is None else tasks
            missing = [t for t in names if t not in prepared]
            if missing:
                variants = [p for p in prepared if base_name(p) == base_name(missing[0])]
                hint = (f"it is prepared as {', '.join(variants)}; list that, or add {base_name(missing[0])} to "
                        "data.full_size for the full-size task" if variants
                        else "add it to data.tasks (or see data/tasks/index.json for why it is unavailable)")
                raise EmbedlabError(f"params '{group}' asks for task '{missing[0]}', which is not prepared", hint)
            wanted.setdefault(model, set()).update(names)
    return {m: [t for t in prepared if t in wanted[m]] for m in params["models"] if m in wanted}


def todo(groups, tasks: dict, texts: dict, root: Path, plan: dict[str, list[str]] | None = None) -> dict[str, list[str]]:
    """``{group name: [task names]}``: the tasks some model of each group needs (``plan``; None: every
    task) and has no current embeddings of."""
    out = {}
    for group in groups:
        fingerprints = {s.id: sha256_json(model_provenance(s)) for s in group.specs}
        out[group.name] = [
            name for name, task in tasks.items()
            if any(not is_current(root, s.id, name, task["checksum"], fingerprints[s.id], roles=texts[name].keys())
                   for s in group.specs if plan is None or name in plan.get(s.id, ()))]
    return out


def reuse_stored(root: Path, model_id: str, name: str, task: dict, fingerprint: str, roles) -> bool:
    """Copy current embeddings stored under the task's other name (``STS12`` for ``STS12-sample`` and
    back) when their task checksum and model fingerprint match; True if the task is now current."""
    for other in dict.fromkeys((base_name(name), f"{base_name(name)}-sample")):
        if other == name or not is_current(root, model_id, other, task["checksum"], fingerprint, roles=roles):
            continue
        meta_fields = ("model", "model_provenance", "model_fingerprint", "task_checksum", "seconds",
                       "texts_per_second", "shared_forward_pass_with")
        meta = json.loads(meta_path(root, model_id, other).read_text(encoding="utf-8"))
        for role, (texts, array) in load_embeddings(root, model_id, other, task["checksum"]).items():
            save_embeddings(root, model_id, name, role, texts, array,
                            {**{k: meta.get(k) for k in meta_fields}, "task": name, "copied_from": other})
        return True
    return False


def run(params_path: str | Path = "params.yaml") -> None:
    params = load_params(params_path)
    settings = params["embed"]
    caps = token_caps(settings)
    registry = models_from_params(params["models"])
    prepared = available_tasks(tasks_dir())
    plan = embed_plan(params, prepared, default_tasks(tasks_dir()))
    needed = sorted({t for names in plan.values() for t in names}, key=prepared.index)
    tasks = {name: load_prepared(name, tasks_dir()) for name in needed}
    texts = {name: texts_to_embed(task) for name, task in tasks.items()}
    device = settings.get("device", "auto")
    root = embeddings_dir()
    batch_size = int(settings.get("batch_size", 32))
    for length, cap in caps.items():  # one pass over the models per token cap
        of_length = {n: t for n, t in tasks.items() if t.get("text_length", "short") == length}
        specs = [with_token_cap(registry[m], cap) for m in plan if any(t in of_length for t in plan[m])]
        groups = encoder_groups(specs, cache_dir=from_root(settings.get("cache_dir", "data/models")),
                                device=None if device == "auto" else device)
        pending = todo(groups, of_length, texts, root, plan)
        for group in groups:
            fingerprints = {s.id: sha256_json(model_provenance(s)) for s in group.specs}
            names = [n for n in pending[group.name]
                     if not all(reuse_stored(root, s.id, n, tasks[n], fingerprints[s.id], texts[n].keys())
                                for s in group.specs if n in plan[s.id])]
            print(f"embed: {group.name} ({length} texts, {cap or 'own'} tokens): "
                  f"{len(names)} tasks to encode" + (f": {', '.join(names)}" if names else ", all current"))
            for name in names:
                task = tasks[name]
                for role, role_texts in texts[name].items():
                    start = time.perf_counter()
                    arrays = group.encode(role_texts, role=role, batch_size=batch_size, show_progress=True)
                    seconds = time.perf_counter() - start
                    for spec in group.specs:
                        if name not in plan[spec.id]:
                            continue
                        meta = {
                            "model": spec.id, "model_provenance": model_provenance(spec),
                            "model_fingerprint": fingerprints[spec.id], "task": name,
                            "task_checksum": task["checksum"], "seconds": round(seconds, 3),
                            "texts_per_second": round(len(role_texts) / seconds, 2) if seconds > 0 else None,
                            "shared_forward_pass_with": [s.id for s in group.specs if s.id != spec.id],
                        }
                        save_embeddings(root, spec.id, name, role, role_texts, arrays[spec.id], meta)
            group.close()
