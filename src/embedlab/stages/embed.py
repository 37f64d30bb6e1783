"""Stage `embed`: encode the (model, prepared task) pairs the experiments need into data/embeddings/.

What is encoded is the union over the experiments listed in ``experiments`` of their (model, task)
pairs (``embed_plan``): each experiment's package says what it needs (``embedlab.needs``: its
``needs.py``, else its grid of ``models`` + ``tasks`` or ``runs``). A full-size task is encoded only for
the models of the experiment that lists it.

Each (model, task) is read with ``min(model's max_seq_length, embed.max_seq_length[task's text
length])`` tokens, except the (task, model) pairs of ``embed.own_length``, read at the model's own
max_seq_length (MTEB's protocol); the cap is part of the spec, hence of the model fingerprint. Work already in the
store (same task checksum, same model fingerprint) is skipped, and each (model, role, text) is encoded
once: a task whose texts the store already holds for the same fingerprint (a sample inside its
full-size task, a renamed task, a resized sample) reuses those rows (``store.StoredRows``), so only
texts never seen are encoded; the meta file records ``n_encoded`` and ``n_reused``.
Timing is not done here: see the `throughput` stage.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from ..encoders import (encoder_groups, model_provenance, models_from_params, pick_device, runtime, set_threads,
                        with_backend, with_token_cap)
from ..errors import EmbedlabError
from ..needs import all_needs, full_size_tasks
from ..params import encoding_backend, load_params, own_length_pairs, token_caps
from ..paths import embeddings_dir, tasks_dir
from ..provenance import sha256_json
from ..store import StoredRows, is_current, save_embeddings
from ..tasks import available_tasks, base_name, default_tasks, load_prepared, texts_to_embed


def embed_plan(params: dict, prepared: list[str], defaults: list[str],
               needs: dict | None = None) -> dict[str, list[str]]:
    """``{model id: [prepared task names]}``: the union over the listed experiments of what each needs.

    ``prepared``: every available prepared name; ``defaults``: the default-size variant of each task
    (what ``tasks: null`` means); ``needs``: ``all_needs(params)`` when the caller has read it already.
    Models in registry order, tasks in ``prepared`` order. A task an experiment names that is not
    prepared is a one-line error naming the fix.
    """
    wanted: dict[str, set[str]] = {}
    for group, runs in (all_needs(params) if needs is None else needs).items():
        for model, tasks in runs.items():
            names = list(defaults if tasks is None else tasks) + [
                t for t in full_size_tasks(params[group], group) if t in prepared]
            missing = [t for t in names if t not in prepared]
            if missing:
                variants = [p for p in prepared if base_name(p) == base_name(missing[0])]
                hint = (f"it is prepared as {', '.join(variants)}; list that, or add {base_name(missing[0])} to "
                        "data.full_size for the full-size task" if variants
                        else "add it to data.tasks (or see data/tasks/index.json for why it is unavailable)")
                raise EmbedlabError(f"params '{group}' asks for task '{missing[0]}', which is not prepared", hint)
            wanted.setdefault(model, set()).update(names)
    return {m: [t for t in prepared if t in wanted[m]] for m in params["models"] if m in wanted}


def todo(groups, tasks: dict, texts: dict, root: Path, plan: dict[str, list[str]] | None = None,
         fingerprints: dict[str, str] | None = None) -> dict[str, list[str]]:
    """``{group name: [task names]}``: the tasks some model of each group needs (``plan``; None: every
    task) and has no current embeddings of. ``fingerprints``: ``{model id: fingerprint}`` (computed
    when not given)."""
    out = {}
    for group in groups:
        prints = fingerprints or {s.id: sha256_json(model_provenance(s)) for s in group.specs}
        out[group.name] = [
            name for name, task in tasks.items()
            if any(not is_current(root, s.id, name, task["checksum"], prints[s.id], roles=texts[name].keys())
                   for s in group.specs if plan is None or name in plan.get(s.id, ()))]
    return out


def encode_task(group, users, name: str, task: dict, texts: dict, fingerprints: dict, stored: StoredRows,
                root: Path, batch_size: int) -> None:
    """Encode one task for the group's specs in ``users``, reusing every (model, role, text) the store
    already holds, and save one array per (spec, role)."""
    for role, role_texts in texts.items():
        known = {s.id: stored.rows(s.id, fingerprints[s.id], role) for s in users}
        missing = list(dict.fromkeys(t for t in role_texts if any(t not in known[s.id] for s in users)))
        start = time.perf_counter()
        arrays = group.encode(missing, role=role, batch_size=batch_size, show_progress=True) if missing else {}
        seconds = time.perf_counter() - start
        for spec in users:
            new = dict(zip(missing, arrays[spec.id])) if missing else {}
            array = np.stack([new[t] if t in new else known[spec.id][t] for t in role_texts]).astype(np.float32)
            meta = {
                "model": spec.id, "model_provenance": model_provenance(spec),
                "model_fingerprint": fingerprints[spec.id], "task": name, "task_checksum": task["checksum"],
                "n_encoded": len(missing), "n_reused": len(role_texts) - len(missing),
                "seconds": round(seconds, 3),
                "texts_per_second": round(len(missing) / seconds, 2) if missing and seconds > 0 else None,
                "shared_forward_pass_with": [s.id for s in group.specs if s.id != spec.id],
            }
            save_embeddings(root, spec.id, name, role, role_texts, array, meta)
            stored.add(spec.id, fingerprints[spec.id], role, role_texts, array)


def cap_passes(plan: dict[str, list[str]], tasks: dict, caps: dict,
               own_length: dict[str, list[str]]) -> list[tuple[str, int | None, dict[str, list[str]]]]:
    """``[(label, token cap, {model: [task names]})]``: one encoding pass per token cap over ``plan``.
    A (task, model) of ``own_length`` (``{task: [models]}``) is read in a pass of its own at the model's
    own max_seq_length (cap None); every other pair at the cap of the task's kind of text."""
    def own(model, name):
        return model in (own_length.get(name) or ())

    passes = [(length, cap, {m: [n for n in names if not own(m, n) and tasks[n].get("text_length", "short") == length]
                             for m, names in plan.items()}) for length, cap in caps.items()]
    passes.append(("own-length", None, {m: [n for n in names if own(m, n)] for m, names in plan.items()}))
    return [(label, cap, {m: n for m, n in of.items() if n}) for label, cap, of in passes if any(of.values())]


def run(params_path: str | Path = "params.yaml") -> None:
    params = load_params(params_path)
    settings = params["embed"]
    caps = token_caps(settings)
    threads = set_threads(settings.get("threads"))
    print(f"embed: threads {threads}")
    needs = all_needs(params)  # every experiment's models and tasks checked before the data or any model is read
    registry = models_from_params(params["models"])
    prepared = available_tasks(tasks_dir())
    plan = embed_plan(params, prepared, default_tasks(tasks_dir()), needs)
    needed = sorted({t for names in plan.values() for t in names}, key=prepared.index)
    tasks = {name: load_prepared(name, tasks_dir()) for name in needed}
    texts = {name: texts_to_embed(task) for name, task in tasks.items()}
    cache_dir, device = runtime(settings)
    backend = encoding_backend(settings)
    print(f"embed: backend {backend}" + (" (fp32 transformer weights run by onnxruntime on their ONNX fp32 export)"
                                         if backend == "onnx" else ""))
    root = embeddings_dir()
    stored = StoredRows(root)
    batch_size = int(settings.get("batch_size", 32))
    own_length = own_length_pairs(settings)  # pairs this run does not encode (a smaller data.tasks) do not apply
    for length, cap, of_pass in cap_passes(plan, tasks, caps, own_length):  # one pass per token cap
        specs = [with_backend(with_token_cap(registry[m], cap), backend, device or pick_device()) for m in of_pass]
        fingerprints = {s.id: sha256_json(model_provenance(s)) for s in specs}
        groups = encoder_groups(specs, cache_dir=cache_dir, device=device)
        names_in_pass = {n for names in of_pass.values() for n in names}
        pending = todo(groups, {n: t for n, t in tasks.items() if n in names_in_pass}, texts, root, of_pass, fingerprints)
        for group in groups:
            names = pending[group.name]
            print(f"embed: {group.name} ({length} texts, {cap or 'own'} tokens): "
                  f"{len(names)} tasks to encode" + (f": {', '.join(names)}" if names else ", all current"))
            for name in names:
                users = [s for s in group.specs if name in of_pass.get(s.id, ())]
                encode_task(group, users, name, tasks[name], texts[name], fingerprints, stored, root, batch_size)
            group.close()
