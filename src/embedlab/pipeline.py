"""The pipeline stages behind ``python -m embedlab``: prepare, embed, notebook."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .errors import EmbedlabError, require_package
from .params import experiment_params, load_params, models_needed, scaled_sizes
from .provenance import atomic_write_json, sha256_json

TASKS_DIR = Path("data/tasks")
EMBEDDINGS_DIR = Path("data/embeddings")
NOTEBOOKS_DIR = Path("notebooks")
REPORTS_DIR = Path("reports")


def resolve_mirror(data: dict, params_path: str | Path) -> str | None:
    """The benchmark mirror folder (relative paths are taken from the params file's folder).

    ``EMBEDLAB_MIRROR`` overrides the param; an empty value or ``null`` means "use the hub".
    """
    mirror = os.environ.get("EMBEDLAB_MIRROR", data.get("mirror"))
    if mirror in (None, "", "null", "none"):
        return None
    path = Path(mirror)
    if not path.is_absolute():
        path = Path(params_path).resolve().parent / path
    return str(path)


def prepare(params_path: str | Path = "params.yaml") -> dict:
    """Stage `prepare`: load, verify and sample every task in ``data.tasks`` into data/tasks/."""
    from .datasets import prepare_tasks

    params = load_params(params_path)
    data = params["data"]
    index = prepare_tasks(
        data["tasks"], mirror=resolve_mirror(data, params_path), sizes=scaled_sizes(data),
        seed=int(data.get("seed", 0)), out_dir=TASKS_DIR, full_size=data.get("full_size") or (),
        dataset_folders=data.get("dataset_folders") or {},
    )
    for name, record in index["tasks"].items():
        if not record["available"]:
            print(f"note: task {name} unavailable: {record['reason']}")
    return index


def available_tasks(tasks_dir: Path = TASKS_DIR) -> list[str]:
    """Names of the prepared tasks that are available (index.json written by `prepare`)."""
    path = tasks_dir / "index.json"
    if not path.exists():
        raise EmbedlabError(f"{path} not found", "run `dvc repro prepare` first")
    index = json.loads(path.read_text(encoding="utf-8"))
    return [name for name, record in index["tasks"].items() if record["available"]]


def embed(params_path: str | Path = "params.yaml") -> None:
    """Stage `embed`: encode each (model, task) once; work already in the store is reused."""
    from .datasets import load_prepared, texts_to_embed
    from .encoders import encoder_groups, model_provenance, models_from_params
    from .store import is_current, save_embeddings

    params = load_params(params_path)
    settings = params["embed"]
    registry = models_from_params(params["models"])
    specs = [cap_length(registry[m], settings.get("max_seq_length")) for m in models_needed(params)]
    tasks = {name: load_prepared(name, TASKS_DIR) for name in available_tasks()}
    device = settings.get("device", "auto")
    groups = encoder_groups(specs, cache_dir=settings.get("cache_dir", "data/models"),
                            device=None if device == "auto" else device)
    bench_texts = _throughput_texts(tasks, int(settings.get("throughput_texts", 256)))
    baseline = settings.get("throughput_baseline")
    if baseline:
        _measure_st_baseline(registry[baseline], bench_texts, settings)
    texts = {name: texts_to_embed(task) for name, task in tasks.items()}
    for group in groups:
        fingerprints = {s.id: sha256_json(model_provenance(s)) for s in group.specs}
        todo = [name for name, task in tasks.items()
                if not all(is_current(EMBEDDINGS_DIR, s.id, name, task["checksum"], fingerprints[s.id],
                                      roles=texts[name].keys())
                           for s in group.specs)]
        ids = ", ".join(s.id for s in group.specs)
        if not todo and all((EMBEDDINGS_DIR / s.id / "throughput.json").exists() for s in group.specs):
            print(f"embed: {ids}: all {len(tasks)} tasks current, skipped")
            continue
        print(f"embed: {ids}: {len(todo)} of {len(tasks)} tasks to encode")
        _measure_throughput(group, bench_texts, settings)
        for name in todo:
            task = tasks[name]
            for role, role_texts in texts[name].items():
                start = time.perf_counter()
                arrays = group.encode(role_texts, role=role, batch_size=int(settings.get("batch_size", 32)),
                                      show_progress=True)
                seconds = time.perf_counter() - start
                for spec in group.specs:
                    meta = {
                        "model": spec.id, "model_provenance": model_provenance(spec),
                        "model_fingerprint": fingerprints[spec.id], "task": name,
                        "task_checksum": task["checksum"], "seconds": round(seconds, 3),
                        "texts_per_second": round(len(role_texts) / seconds, 2) if seconds > 0 else None,
                        "shared_forward_pass_with": [s.id for s in group.specs if s.id != spec.id],
                    }
                    save_embeddings(EMBEDDINGS_DIR, spec.id, name, role, role_texts, arrays[spec.id], meta)


def cap_length(spec, cap: int | None):
    """The spec with ``max_seq_length`` lowered to ``cap`` (``embed.max_seq_length``; None keeps it).

    The cap is part of the spec, so it is recorded in the model provenance and fingerprint.
    """
    import dataclasses

    if cap is None or spec.max_seq_length <= int(cap):
        return spec
    return dataclasses.replace(spec, max_seq_length=int(cap))


def _throughput_texts(tasks: dict, n: int) -> list[str]:
    """A fixed set of short real sentences for throughput timing (the same for every model)."""
    from .datasets import texts_to_embed

    for preferred in ("STSBenchmark", "MRPolarity", "SICK-R"):
        if preferred in tasks:
            texts = texts_to_embed(tasks[preferred])["query"]
            return texts[:n]
    first = next(iter(tasks.values()))
    return next(iter(texts_to_embed(first).values()))[:n]


def _best_time(run, repeats: int) -> float:
    """Fastest of ``repeats`` timed calls: on a shared machine the minimum is the least noisy estimate."""
    times = []
    for _ in range(max(1, repeats)):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _time_encoding(encode, texts: list[str], settings: dict) -> dict:
    """Warm up on one batch, then time ``encode(texts, batch_size)`` (best of the repeats) as a record."""
    from .encoders import pick_device

    batch_size = int(settings.get("batch_size", 32))
    repeats = int(settings.get("throughput_repeats", 3))
    encode(texts[:batch_size], batch_size)  # warm-up
    seconds = _best_time(lambda: encode(texts, batch_size), repeats)
    return {"n_texts": len(texts), "batch_size": batch_size, "seconds": round(seconds, 4), "repeats": repeats,
            "statistic": "best of repeats", "texts_per_second": round(len(texts) / seconds, 2),
            "device": str(pick_device())}


def _measure_throughput(group, texts: list[str], settings: dict) -> None:
    """Time one encode pass over ``texts`` and store texts/second per model of the group."""
    record = _time_encoding(
        lambda batch, size: group.encode(batch, role="query", batch_size=size, show_progress=False), texts, settings)
    record["models_sharing_the_pass"] = [s.id for s in group.specs]
    for spec in group.specs:
        atomic_write_json(EMBEDDINGS_DIR / spec.id / "throughput.json", {"model": spec.id, **record})


def _measure_st_baseline(spec, texts: list[str], settings: dict) -> None:
    """Time plain ``SentenceTransformer.encode`` (no embedlab wrapper) as the throughput reference."""
    from .encoders import model_location, pick_device

    st = require_package("sentence_transformers", "sentence-transformers")
    model = st.SentenceTransformer(model_location(spec, settings.get("cache_dir", "data/models")),
                                   device=pick_device())
    record = _time_encoding(lambda batch, size: model.encode(batch, batch_size=size), texts, settings)
    atomic_write_json(EMBEDDINGS_DIR / "throughput_baseline.json",
                      {"what": "plain SentenceTransformer.encode", "model": spec.id, **record})


def run_notebook(name: str, params_path: str | Path = "params.yaml") -> Path:
    """Stage `<name>`: execute notebooks/<name>.ipynb with its params group into reports/<name>.ipynb.

    The executed notebook appears only when every cell ran; a failed run is kept as
    reports/<name>.failed.ipynb (not a pipeline output) and reported in one line.
    """
    params = load_params(params_path)
    group = experiment_params(params, name)
    source = NOTEBOOKS_DIR / f"{name}.ipynb"
    if not source.exists():
        raise EmbedlabError(f"notebook {source} not found", f"create it, or remove '{name}' from params.yaml")
    papermill = require_package("papermill")
    REPORTS_DIR.mkdir(exist_ok=True)
    target = REPORTS_DIR / f"{name}.ipynb"
    failed = REPORTS_DIR / f"{name}.failed.ipynb"
    tmp = REPORTS_DIR / f".{name}.running.ipynb"
    try:
        papermill.execute_notebook(str(source), str(tmp), parameters=dict(group, params_path=str(params_path)),
                                   kernel_name="python3", cwd=str(Path.cwd()), progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        os.replace(tmp, failed)
        raise EmbedlabError(f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
                            f"see the traceback in {failed}") from None
    os.replace(tmp, target)
    if failed.exists():
        failed.unlink()
    return target
