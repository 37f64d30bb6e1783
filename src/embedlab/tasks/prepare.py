"""Stage ``prepare``: load each task, sample it down to the configured caps (seeded) and write
``<out_dir>/<name>.json`` in the format of docs/ARCHITECTURE.md plus ``<out_dir>/index.json``;
read a prepared task back and list the texts it needs embedded.

Nothing written records where the clone lives: paths (mirror, local dataset folders, the assets
folder in a reason) are relative to the repository root.
"""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

from ..errors import EmbedlabError
from ..paths import relative_to_root, tasks_dir
from ..provenance import atomic_write_json, sha256_file, sha256_json
from . import embedded, standard  # noqa: F401 -- register both suites, in CATALOG's order
from .embedded import noise_record
from .files import Files, TaskUnavailable, default_assets_dir, package_versions
from .mirror import Mirror, MirrorLacks
from .mteb_registry import load_generic, mteb_task_spec
from .naming import is_cut, prepared_name, task_label
from .noise import NOISE_KINDS, noisy_name, noisy_splits
from .sampling import counts, sample_task, validate_sizes
from .spec import CATALOG, TaskSpec, loaders
from .wordnet import synonym_source

#: The fields of each type whose texts are embedded (retrieval: queries and corpus), in order.
_FIELDS = {"sts": ("sentence1", "sentence2"), "pair_classification": ("sentence1", "sentence2"),
           "classification": ("text",), "clustering": ("text",), "bitext_mining": ("sentence1", "sentence2"),
           "robustness": ("original", "noisy"), "polysemy": ("sentence",)}


def task_spec(name: str) -> TaskSpec | None:
    """embedlab's record of ``name`` (``CATALOG``), else one built from mteb's registry, else None."""
    return CATALOG.get(name) or mteb_task_spec(name)


def _one_line(exc: BaseException, limit: int = 240) -> str:
    text = " ".join(str(exc).split()) or exc.__class__.__name__
    text = f"{exc.__class__.__name__}: {text}"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _load_full(spec: TaskSpec, mirror: Mirror, assets: Path, seed: int, hub_state: dict) -> tuple[dict, dict]:
    """Full splits plus provenance fields (source, origin, files) of one task."""
    files = Files(assets, mirror)
    how = loaders(spec.name)
    if spec.source == "package":
        splits = how.package(files, seed)
        return splits, {"source": "package", "origin": ", ".join(spec.origin), "files": files.hashes}
    if spec.source == "mirror":
        try:
            splits = how.mirror(files, seed)
            return splits, {"source": "mirror", "origin": ", ".join(spec.origin), "files": files.hashes}
        except MirrorLacks as why:
            mirror_reason = str(why)
    else:
        mirror_reason = f"{spec.name} is read from the hub (not part of the benchmark mirror)"
    folder = Path(spec.hub_id) if spec.hub_id and Path(spec.hub_id).is_dir() else None
    # No usable mirror: the hub, at the pinned revision. A connection failure is remembered so that a
    # machine without network does not wait through the hub client's retries once per task.
    if hub_state.get("offline") and folder is None:
        raise TaskUnavailable(f"{mirror_reason}; hub not tried for {spec.hub_id}: unreachable earlier in this run "
                              f"({hub_state['offline']})")
    try:
        splits = how.hub(spec, seed) if how.hub is not None else load_generic(spec)
    except EmbedlabError:
        raise
    except Exception as exc:  # noqa: BLE001 - any hub failure makes the task unavailable, in one line
        if isinstance(exc, (ConnectionError, TimeoutError)) or any(
                word in cls.__name__ for cls in type(exc).__mro__ for word in ("Connection", "Offline")):
            hub_state["offline"] = _one_line(exc)
        shown = relative_to_root(folder) if folder is not None else spec.hub_id
        raise TaskUnavailable(f"{mirror_reason}; hub load of {shown}@{(spec.hub_revision or 'main')[:8]} "
                              f"failed ({_one_line(exc)})",
                              "set data.mirror (or EMBEDLAB_MIRROR) to the benchmark mirror folder, "
                              "or run where the Hugging Face Hub is reachable") from None
    if folder is not None:  # a local copy: checksum every file, as for the mirror
        hashes = {str(f.relative_to(folder)): sha256_file(f) for f in sorted(folder.rglob("*")) if f.is_file()}
        return splits, {"source": "folder", "origin": relative_to_root(folder), "files": hashes}
    return splits, {"source": "hub", "origin": f"hf://datasets/{spec.hub_id}@{spec.hub_revision}", "files": {}}


def prepare_task(spec: TaskSpec, *, mirror: str | os.PathLike | None, sizes: dict | None, seed: int,
                 assets: str | os.PathLike | None = None, keep_corpus: bool = False,
                 _hub_state: dict | None = None) -> dict:
    """Load, check and sample one task; return the prepared task dict (not written).

    Its ``name`` is ``<spec.name>-sample`` where a standard task is cut (``naming.prepared_name``).
    """
    assets = Path(assets) if assets is not None else default_assets_dir()
    full, prov = _load_full(spec, Mirror(mirror), assets, seed, {} if _hub_state is None else _hub_state)
    return _sampled(spec, full, prov, validate_sizes(sizes), seed, keep_corpus)


def _sampled(spec: TaskSpec, full: dict, prov: dict, sizes: dict, seed: int, keep_corpus: bool) -> dict:
    """The prepared task dict of ``spec``'s ``full`` splits sampled down to ``sizes``."""
    used, how = sample_task(spec.name, spec.type, full, sizes, seed, keep_corpus=keep_corpus)
    n_full, n_used = counts(spec.type, full), counts(spec.type, used)
    hub_id = relative_to_root(spec.hub_id) if prov["source"] == "folder" else spec.hub_id
    task = {"name": prepared_name(spec.name, spec.source, is_cut(n_used, n_full)), "base_name": spec.name,
            "type": spec.type, "language": spec.language, "main_score": spec.main_score,
            "text_length": spec.text_length, **prov, "n_full": n_full, "n_used": n_used,
            "sampling": how if is_cut(n_used, n_full) else {}, "seed": seed,
            "checksum": sha256_json(used), "license": spec.license, "note": spec.note,
            "mteb_name": spec.mteb_name, "hub": {"id": hub_id, "revision": spec.hub_revision}}
    task["label"] = task_label(task)
    if spec.source == "package":
        task["package_versions"] = package_versions(spec.origin)
    if spec.type == "robustness":
        task["noise"] = noise_record(used["test"])
    task["splits"] = used
    return task


def prepare_tasks(names, *, mirror: str | os.PathLike | None, sizes: dict | None, seed: int,
                  out_dir: str | os.PathLike | None = None, strict: bool = False,
                  assets: str | os.PathLike | None = None, full_size=(), dataset_folders=None,
                  keep_corpus=(), noise: dict | None = None) -> dict:
    """Prepare ``names`` (None = every task in CATALOG) and write ``<out_dir>/<name>.json`` + ``index.json``.

    ``out_dir``: default ``paths.tasks_dir()`` (data/tasks under the repository root).
    Each task is prepared at the caps of ``sizes`` (its default-size variant). A standard task that
    the caps cut is named ``<name>-sample``; one they do not cut keeps its bare name.
    ``full_size``: task names ALSO prepared at full size under their bare name (for experiments that
    compare with MTEB's published scores); an embedded task listed there is prepared at full size only
    (its name is not MTEB's, so one name serves both). A ``fit_only`` task (texts to fit a transform on,
    never scored) is prepared at full size only and is never a default task.
    ``keep_corpus``: retrieval tasks whose corpus is never cut (only their queries are sampled).
    ``noise``: ``{tasks: {name: [kind, ...]}, rates: [...]}`` (``data.noise``): each listed task's default-size
    variant is also written with each kind of noise (``tasks/noise.py``) at each rate in its test texts, as
    ``<variant>-noisy-<kind><percent>`` (e.g. ``STSBenchmark-sample-noisy-typo10``), with a ``noise`` record.
    A name outside CATALOG that mteb's registry knows is prepared from the hub by its MTEB record
    (``mteb_task_spec``). ``dataset_folders`` maps task names to local folders holding a copy of the
    task's hub dataset; those are read with the same ``datasets.load_dataset`` call.

    ``mirror``: folder of the benchmark mirror (None = use the hub for the standard suite).
    ``sizes``: caps by key of DEFAULT_SIZES (``None``, a missing key or a None value = full size; pass
    ``DEFAULT_SIZES`` for the defaults). Sampling is seeded: same inputs, same files.
    A task that cannot be loaded (package or asset missing; no mirror and no hub) is recorded in the
    index under its bare name with ``available: false`` and a one-line reason, or raises if ``strict``.
    A mirror or asset file whose sha256 does not match always raises. ``assets``: default
    ``default_assets_dir()``. Returns the index (also written to ``<out_dir>/index.json``): one entry
    per prepared name, with ``base_name``, ``label``, ``default`` (the default-size variant of its task)
    and ``full`` (every split at full size).
    """
    names = list(CATALOG) if names is None else [names] if isinstance(names, str) else list(names)
    specs = {n: task_spec(n) for n in names}
    unknown = [n for n, spec in specs.items() if spec is None]
    if unknown:
        raise EmbedlabError(f"unknown task(s) {', '.join(unknown)}: neither embedlab's catalog nor mteb's "
                            f"registry has them; embedlab's tasks: {', '.join(CATALOG)}",
                            "use a name from embedlab.tasks.CATALOG or an MTEB task name")
    noise = noise or {}
    for name, kinds in (noise.get("tasks") or {}).items():
        spec = specs.get(name)
        if spec is None:
            raise EmbedlabError(f"data.noise.tasks names '{name}', which is not in data.tasks", "list tasks of data.tasks")
        wrong = [k for k in kinds if NOISE_KINDS.get(k) != spec.language]
        if wrong:
            raise EmbedlabError(f"data.noise.tasks.{name}: noise '{wrong[0]}' does not apply to {spec.language} texts",
                                "use " + ", ".join(k for k, lang in NOISE_KINDS.items() if lang == spec.language)
                                + f" for {spec.language} tasks")
    not_retrieval = [n for n in keep_corpus if n in specs and specs[n].type != "retrieval"]
    if not_retrieval:
        raise EmbedlabError(f"keep_corpus lists {', '.join(not_retrieval)}, which are not retrieval tasks",
                            "list only retrieval tasks in data.keep_corpus")
    for name, folder in (dataset_folders or {}).items():
        if name in specs:
            if not Path(folder).is_dir():
                raise EmbedlabError(f"data.dataset_folders.{name}: folder '{folder}' does not exist",
                                    "point it at a local copy of the task's dataset, or remove the entry")
            specs[name] = dataclasses.replace(specs[name], source="hub", hub_id=str(folder), hub_revision=None)
    sizes = validate_sizes(sizes)
    out = Path(out_dir) if out_dir is not None else tasks_dir()
    assets = Path(assets) if assets is not None else default_assets_dir()
    hub_state: dict = {}
    index = {"seed": seed, "sizes": sizes, "full_size": list(full_size), "keep_corpus": list(keep_corpus),
             "mirror": None if mirror is None else relative_to_root(mirror), "tasks": {}}
    for name in names:
        spec = specs[name]
        try:
            full, prov = _load_full(spec, Mirror(mirror), assets, seed, hub_state)
        except TaskUnavailable as exc:
            if strict:
                raise EmbedlabError(exc.problem, exc.fix or "set data.mirror in params.yaml (or EMBEDLAB_MIRROR) "
                                    "to the benchmark mirror, or run where the Hugging Face Hub is reachable") from None
            for stale in (name, prepared_name(name, spec.source, True)):
                (out / f"{stale}.json").unlink(missing_ok=True)  # never leave an older file behind
            index["tasks"][name] = {
                "type": spec.type, "language": spec.language, "file": f"{name}.json", "base_name": name,
                "label": name, "default": True, "full": None, "text_length": spec.text_length,
                "available": False, "reason": exc.problem + (f" (fix: {exc.fix})" if exc.fix else ""),
                "source": None, "checksum": None, "n_full": None, "n_used": None, "n_texts": None}
            continue
        in_full = name in full_size
        whole = spec.fit_only or (in_full and spec.source == "package")  # one variant, at full size
        variants = [_sampled(spec, full, prov, dict.fromkeys(sizes) if whole else sizes, seed, name in keep_corpus)]
        if in_full and variants[0]["name"] != name:
            variants.append(_sampled(spec, full, prov, dict.fromkeys(sizes), seed, False))
        for i, task in enumerate(variants):
            path = out / f"{task['name']}.json"
            atomic_write_json(path, task)
            index["tasks"][task["name"]] = {
                "type": spec.type, "language": spec.language, "file": path.name, "base_name": name,
                "label": task["label"], "default": i == 0 and not spec.fit_only, "full": not is_cut(task["n_used"], task["n_full"]),
                "text_length": task["text_length"], "available": True, "reason": None, "source": task["source"],
                "checksum": task["checksum"], "n_full": task["n_full"], "n_used": task["n_used"],
                "n_texts": {role: len(t) for role, t in texts_to_embed(task).items()}}
    _write_noisy(noise, index, out, seed, assets)
    atomic_write_json(out / "index.json", index)
    return index


def _write_noisy(noise: dict, index: dict, out: Path, seed: int, assets: Path) -> None:
    """Write the noisy variants ``data.noise`` asks for and add them to ``index`` (see ``prepare_tasks``)."""
    synonyms = None
    for name, kinds in (noise.get("tasks") or {}).items():
        clean = next((n for n, r in index["tasks"].items() if r["base_name"] == name and r["available"] and r["default"]), None)
        if clean is None:
            continue  # the task itself is unavailable (its reason is in the index)
        task = load_prepared(clean, out)
        if "synonym" in kinds and synonyms is None:
            synonyms = synonym_source(Files(assets))
        for kind in kinds:
            for rate in noise["rates"]:
                splits, share = noisy_splits(task, kind, float(rate), seed, synonyms)
                noisy = {k: v for k, v in task.items() if k != "splits"}
                noisy.update(name=noisy_name(clean, kind, rate), label=f"{task['label']}, {kind} noise {rate:.0%}",
                             checksum=sha256_json(splits),
                             noise={"kind": kind, "rate": float(rate), "of": clean, "measured_rate": round(share, 4),
                                    "seed": seed, "texts": "test split"})
                noisy["splits"] = splits
                path = out / f"{noisy['name']}.json"
                atomic_write_json(path, noisy)
                index["tasks"][noisy["name"]] = {
                    **index["tasks"][clean], "file": path.name, "label": noisy["label"], "default": False, "full": False,
                    "checksum": noisy["checksum"], "noise": noisy["noise"],
                    "n_texts": {role: len(t) for role, t in texts_to_embed(noisy).items()}}


def texts_to_embed(task: dict) -> dict[str, list[str]]:
    """Unique texts of a prepared task by role, in first-seen order.

    Order: splits as stored, then fields in contract order (e.g. all ``sentence1`` then all
    ``sentence2``), then rows. Role ``document`` = a retrieval corpus; ``query`` = everything else.
    Embedding files align row by row with these lists.
    """
    roles: dict[str, dict[str, None]] = {}
    for split in task["splits"].values():
        if task["type"] == "retrieval":
            roles.setdefault("query", {}).update(dict.fromkeys(split["queries"].values()))
            roles.setdefault("document", {}).update(dict.fromkeys(split["corpus"].values()))
        else:
            for field in _FIELDS[task["type"]]:
                roles.setdefault("query", {}).update(dict.fromkeys(split[field]))
    return {role: list(texts) for role, texts in roles.items()}


def load_prepared(name: str, out_dir: str | os.PathLike | None = None) -> dict:
    """Read ``<out_dir>/<name>.json`` written by ``prepare_tasks`` (checksum verified; ``out_dir``
    default ``paths.tasks_dir()``)."""
    out = Path(out_dir) if out_dir is not None else tasks_dir()
    path = out / f"{name}.json"
    if not path.is_file():
        reason = ""
        index_path = out / "index.json"
        if index_path.is_file():
            entry = json.loads(index_path.read_text(encoding="utf-8")).get("tasks", {}).get(name)
            if entry and not entry.get("available"):
                reason = f": unavailable, {entry.get('reason')}"
        raise EmbedlabError(f"prepared task file {path} is missing{reason}", "run `dvc repro prepare`")
    task = json.loads(path.read_text(encoding="utf-8"))
    if sha256_json(task["splits"]) != task.get("checksum"):
        raise EmbedlabError(f"prepared task file {path} does not match its checksum (edited by hand?)",
                            "run `dvc repro prepare`")
    return task


def available_tasks(out_dir: str | os.PathLike | None = None) -> list[str]:
    """Prepared names of the available tasks (every variant: ``STS12-sample`` and, where listed in
    ``data.full_size``, ``STS12``), in ``data.tasks`` order (from index.json)."""
    index = _read_index(out_dir)
    return [name for name, record in index["tasks"].items() if record["available"]]


def default_tasks(out_dir: str | os.PathLike | None = None) -> list[str]:
    """Prepared names of the default-size variant of every available task of ``data.tasks``, in its
    order (e.g. ``STS12-sample``, ``STSBenchmark``): what an experiment with ``tasks: null`` uses."""
    index = _read_index(out_dir)
    return [name for name, record in index["tasks"].items() if record["available"] and record.get("default", True)]


def _read_index(out_dir: str | os.PathLike | None) -> dict:
    path = (Path(out_dir) if out_dir is not None else tasks_dir()) / "index.json"
    if not path.exists():
        raise EmbedlabError(f"{relative_to_root(path)} not found", "run `dvc repro prepare` first")
    return json.loads(path.read_text(encoding="utf-8"))
