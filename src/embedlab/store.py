"""Embeddings computed once per (model, task), stored atomically, and served to mteb.

Layout (docs/ARCHITECTURE.md): ``<root>/<model_id>/<task>.<role>.npy`` plus one
``<task>.meta.json`` per (model, task). Rows of the role-``r`` array align with
``datasets.texts_to_embed(task)[r]``. The meta file is the only thing that makes an array
readable: it lists, per role, the texts (so the rows can be looked up by text), their sha256,
the array's shape and dtype and the sha256 of the ``.npy`` bytes. Arrays are written first and
the meta last, each through a temporary file and a rename, so a crash leaves either an old meta
whose file hash no longer matches (refused) or an array with no meta entry (refused).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import EmbedlabError
from .paths import isolate_mteb_cache
from .provenance import atomic_write_bytes, atomic_write_json, sha256_file, sha256_texts
from .schema import ROLES
from .vectors.transforms import Transform, unit_rows

FIX = "run `dvc repro embed`"


def array_path(root, model_id: str, task_name: str, role: str) -> Path:
    """Where the role's array of (model, task) lives."""
    return Path(root) / model_id / f"{task_name}.{role}.npy"


def meta_path(root, model_id: str, task_name: str) -> Path:
    """Where the meta file of (model, task) lives."""
    return Path(root) / model_id / f"{task_name}.meta.json"


def save_embeddings(root, model_id: str, task_name: str, role: str, texts: list[str], array,
                    meta: dict) -> Path:
    """Store one role's embeddings of (model, task): the array first, then the meta file.

    ``meta`` is whatever the caller records (model provenance, ``task_checksum``,
    ``model_fingerprint``, seconds, texts/second); it is kept at the top level of the meta file.
    Roles saved earlier for the same task checksum and model fingerprint are kept; roles from
    an older checksum or fingerprint are dropped (their arrays are stale).
    """
    if role not in ROLES:
        raise EmbedlabError(f"unknown embedding role '{role}' (expected one of {', '.join(ROLES)})",
                            "pass role='query' or role='document'")
    texts = list(texts)
    array = np.asarray(array)
    if array.ndim != 2 or array.shape[0] != len(texts):
        raise EmbedlabError(
            f"{model_id}/{task_name}.{role}: array of shape {array.shape} does not hold one row per text "
            f"({len(texts)} texts)", "check the encoder's output")
    npy = array_path(root, model_id, task_name, role)
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    atomic_write_bytes(npy, buffer.getvalue())

    path = meta_path(root, model_id, task_name)
    previous = _read_meta(path) if path.exists() else None
    roles = {}
    if previous and all(previous.get(k) == meta.get(k) for k in ("task_checksum", "model_fingerprint")):
        roles = {r: entry for r, entry in previous.get("roles", {}).items() if r != role}
    roles[role] = {
        "file": npy.name,
        "shape": list(array.shape),
        "dtype": str(array.dtype),
        "sha256_file": sha256_file(npy),
        "sha256_texts": sha256_texts(texts),
        "n_texts": len(texts),
        "seconds": meta.get("seconds"),
        "texts_per_second": meta.get("texts_per_second"),
        "texts": texts,
    }
    record = {k: v for k, v in meta.items() if k != "roles"}
    record.update({"model": meta.get("model", model_id), "task": task_name, "roles": roles})
    atomic_write_json(path, record)
    return path


def load_embeddings(root, model_id: str, task_name: str,
                    expected_task_checksum: str | None = None) -> dict[str, tuple[list[str], np.ndarray]]:
    """``{role: (texts, array)}`` of (model, task), after checking the array against its meta.

    Refuses (EmbedlabError, fix ``dvc repro embed``) a missing meta, a meta for another task
    checksum, an array file that is missing, listed in no meta (an interrupted write) or whose
    bytes, shape, dtype or text hash differ from what the meta recorded.
    """
    return _load(root, model_id, task_name, expected_task_checksum)[1]


def _load(root, model_id: str, task_name: str, expected_task_checksum: str | None):
    meta = _checked_meta(root, model_id, task_name, expected_task_checksum)
    out = {}
    for role, entry in meta["roles"].items():
        npy = array_path(root, model_id, task_name, role)
        array = np.load(npy, allow_pickle=False)
        if list(array.shape) != entry["shape"] or str(array.dtype) != entry["dtype"]:
            raise EmbedlabError(
                f"{npy} has shape {list(array.shape)} {array.dtype}, its meta says {entry['shape']} {entry['dtype']}",
                FIX)
        out[role] = (list(entry["texts"]), array)
    return meta, out


def is_current(root, model_id: str, task_name: str, task_checksum: str, model_fingerprint: str,
               roles: Iterable[str] | None = None) -> bool:
    """Whether the store already holds valid embeddings of this task by this exact model.

    ``roles``: the roles the task needs (``texts_to_embed(task).keys()``). Pass them: a
    retrieval task interrupted after its query role would otherwise look complete.
    """
    try:
        meta = _checked_meta(root, model_id, task_name, task_checksum)
    except EmbedlabError:
        return False
    if meta.get("model_fingerprint") != model_fingerprint:
        return False
    return roles is None or set(roles) <= set(meta["roles"])


class StoredRows:
    """Vectors already in the store, by (model, fingerprint, role, text): each (model, text) is
    encoded once. A task whose texts were stored under another task (``STS12`` and
    ``STS12-sample``, a sample inside its full-size task) reuses those rows instead of encoding
    them again; only arrays that pass the meta checks, with the same model fingerprint (which
    includes the token cap) and the same role, are read."""

    def __init__(self, root):
        self.root = Path(root)
        self._rows: dict[tuple[str, str, str], dict[str, np.ndarray]] = {}

    def rows(self, model_id: str, fingerprint: str, role: str) -> dict[str, np.ndarray]:
        """``{text: vector}`` of every valid stored array of this model, fingerprint and role."""
        key = (model_id, fingerprint, role)
        if key not in self._rows:
            found: dict[str, np.ndarray] = {}
            for path in sorted((self.root / model_id).glob("*.meta.json")):
                try:
                    meta, arrays = _load(self.root, model_id, path.name[: -len(".meta.json")], None)
                except EmbedlabError:
                    continue
                if meta.get("model_fingerprint") == fingerprint and role in arrays:
                    texts, array = arrays[role]
                    for text, row in zip(texts, array):
                        found.setdefault(text, row)
            self._rows[key] = found
        return self._rows[key]

    def add(self, model_id: str, fingerprint: str, role: str, texts, array) -> None:
        """Make rows just saved available to the tasks encoded after them."""
        key = (model_id, fingerprint, role)
        if key in self._rows:
            for text, row in zip(texts, array):
                self._rows[key].setdefault(text, row)


def stored_corpus(root, model_id: str, tasks: Iterable[str] | None = None) -> tuple[list[str], np.ndarray]:
    """Every distinct text the store holds for ``model_id`` (all tasks, or ``tasks``; every role) and its
    vector, in a stable order (task file name, role, row): a large real corpus for timing search or
    measuring dimension use. Only arrays that pass the meta checks are read."""
    texts, rows = [], []
    seen = set()
    wanted = None if tasks is None else set(tasks)
    for path in sorted((Path(root) / model_id).glob("*.meta.json")):
        name = path.name[: -len(".meta.json")]
        if wanted is not None and name not in wanted:
            continue
        try:
            _, arrays = _load(root, model_id, name, None)
        except EmbedlabError:
            continue
        for role in sorted(arrays):
            for text, row in zip(*arrays[role]):
                if text not in seen:
                    seen.add(text)
                    texts.append(text)
                    rows.append(row)
    if not rows:
        raise EmbedlabError(f"the store holds no embeddings for model {model_id}", FIX)
    return texts, np.stack(rows).astype(np.float32)


def _read_meta(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise EmbedlabError(f"{path} is unreadable ({exc.__class__.__name__}: {exc})", FIX) from None


def _checked_meta(root, model_id: str, task_name: str, expected_task_checksum: str | None) -> dict:
    """The meta of (model, task), after checking every array it lists (and every array it does not)."""
    path = meta_path(root, model_id, task_name)
    if not path.exists():
        orphans = [r for r in ROLES if array_path(root, model_id, task_name, r).exists()]
        what = (f"{array_path(root, model_id, task_name, orphans[0])} has no meta file (interrupted write)"
                if orphans else f"no stored embeddings of task {task_name} for model {model_id} ({path} missing)")
        raise EmbedlabError(what, FIX)
    meta = _read_meta(path)
    if not isinstance(meta.get("roles"), dict) or not meta["roles"]:
        raise EmbedlabError(f"{path} lists no embedding roles", FIX)
    if expected_task_checksum is not None and meta.get("task_checksum") != expected_task_checksum:
        raise EmbedlabError(
            f"stored embeddings of {task_name} for {model_id} are for another version of the task "
            f"(checksum {str(meta.get('task_checksum'))[:12]}, prepared task has {expected_task_checksum[:12]})", FIX)
    for role in ROLES:
        npy = array_path(root, model_id, task_name, role)
        entry = meta["roles"].get(role)
        if entry is None:
            if npy.exists():
                raise EmbedlabError(f"{npy} is not listed in {path.name} (interrupted write)", FIX)
            continue
        if not npy.exists():
            raise EmbedlabError(f"{npy} is missing (listed in {path.name})", FIX)
        if sha256_file(npy) != entry.get("sha256_file"):
            raise EmbedlabError(f"{npy} does not match {path.name} (stale meta or interrupted write)", FIX)
        if sha256_texts(entry.get("texts", [])) != entry.get("sha256_texts"):
            raise EmbedlabError(f"{path} texts of role {role} do not match their checksum", FIX)
    return meta


class LookupEncoder:
    """An mteb encoder that serves stored embeddings instead of running a model.

    Implements mteb 2.x's ``EncoderProtocol`` (``encode``, ``similarity``,
    ``similarity_pairwise``, ``mteb_model_meta``; cosine similarity). ``encode`` looks every
    text of the batches up by exact string in the stored role: ``prompt_type`` document ->
    role ``document``, anything else (query, or None for symmetric tasks) -> role ``query``.
    A text that is not stored means the store and the task disagree: EmbedlabError.

    ``transform``: an optional FITTED ``transforms.Transform`` (reduce, quantize ...). The encoder
    never fits it: the same fitted state is applied to every role's stored matrix (``apply(array,
    role)``), and its ``similarity``, when it has one, replaces cosine. Its output is served as
    float32. ``dim``: an optional label (e.g. effective dimension or bits / 32) carried into the
    result records.
    """

    def __init__(self, root, model_id: str, task_name: str, *,
                 transform: Transform | None = None, dim: float | None = None,
                 expected_task_checksum: str | None = None):
        if transform is not None and not isinstance(transform, Transform):
            raise EmbedlabError(f"LookupEncoder transform must be a transforms.Transform, got {type(transform).__name__}",
                                "wrap a plain function as transforms.FunctionTransform(fn), or fit a Transform first")
        if transform is not None and not transform.fitted:
            raise EmbedlabError(f"transform {transform.name} is not fitted",
                                "fit it once on calibration vectors (.fit(vectors, source=...)) before serving embeddings")
        self.model_id = model_id
        self.task_name = task_name
        self.transform = transform
        self.dim = None if dim is None else float(dim)
        meta, stored = _load(root, model_id, task_name, expected_task_checksum)
        self.store_meta = {k: v for k, v in meta.items() if k != "roles"}
        self._arrays: dict[str, np.ndarray] = {}
        self._rows: dict[str, dict[str, int]] = {}
        for role, (texts, array) in stored.items():
            self._arrays[role] = self._apply_transform(array, role)
            rows = {t: i for i, t in enumerate(texts)}
            # mteb strips corpus documents (title + " " + text).strip() before encoding them
            for i, t in enumerate(texts):
                rows.setdefault(t.strip(), i)
            self._rows[role] = rows
        widths = {a.shape[1] for a in self._arrays.values()}
        if len(widths) != 1:
            raise EmbedlabError(f"{model_id}/{task_name}: roles have different widths {sorted(widths)}", FIX)
        self.embed_dim = widths.pop()
        self._meta = None

    def _apply_transform(self, array: np.ndarray, role: str) -> np.ndarray:
        out = array if self.transform is None else self.transform.apply(array, role)
        return np.ascontiguousarray(out, dtype=np.float32)

    # -- lookup ------------------------------------------------------------------------------------
    def lookup(self, texts: Iterable[str], role: str = "query") -> np.ndarray:
        """The (transformed) stored vectors of ``texts`` in the given role, one row per text."""
        if role not in self._rows:
            raise EmbedlabError(
                f"the store holds no '{role}' embeddings of {self.task_name} for {self.model_id}: "
                f"it does not match the task", FIX)
        rows = self._rows[role]
        idx = []
        for t in texts:
            i = rows.get(t)
            if i is None:
                i = rows.get(t.strip()) if isinstance(t, str) else None
            if i is None:
                shown = t if len(t) <= 60 else t[:57] + "..."
                raise EmbedlabError(
                    f"text not in the '{role}' embeddings of {self.task_name} for {self.model_id} ({shown!r}): "
                    f"the store does not match the task", FIX)
            idx.append(i)
        return self._arrays[role][np.asarray(idx, dtype=np.int64)]

    # -- mteb EncoderProtocol --------------------------------------------------------------------
    def encode(self, inputs, *, task_metadata=None, hf_split=None, hf_subset=None, prompt_type=None,
               **kwargs) -> np.ndarray:
        """Look up every text of every batch (``batch["text"]``) in the role ``prompt_type`` selects."""
        role = "document" if _prompt_value(prompt_type) == "document" else "query"
        parts = []
        for batch in inputs:
            texts = batch["text"] if isinstance(batch, dict) else batch
            if isinstance(texts, str):
                texts = [texts]
            parts.append(self.lookup(texts, role))
        if not parts:
            return np.zeros((0, self.embed_dim), dtype=np.float32)
        return np.concatenate(parts, axis=0)

    def similarity(self, embeddings1, embeddings2) -> np.ndarray:
        """Cosine similarity matrix (or the transform's own), shape (len(embeddings1), len(embeddings2))."""
        if self.transform is not None and self.transform.similarity is not None:
            return np.asarray(self.transform.similarity(_as_array(embeddings1), _as_array(embeddings2)))
        a = _unit_rows(embeddings1)
        b = _unit_rows(embeddings2)
        return a @ b.T

    def similarity_pairwise(self, embeddings1, embeddings2) -> np.ndarray:
        """Cosine similarity (or the transform's own) of row i with row i."""
        if self.transform is not None and self.transform.similarity is not None:
            a, b = _as_array(embeddings1), _as_array(embeddings2)
            return np.asarray([self.transform.similarity(a[i:i + 1], b[i:i + 1])[0, 0] for i in range(len(a))])
        a = _unit_rows(embeddings1)
        b = _unit_rows(embeddings2)
        return np.sum(a * b, axis=1)

    @property
    def mteb_model_meta(self):
        """mteb's ModelMeta: name = model id, revision = the stored model fingerprint, cosine."""
        if self._meta is None:
            isolate_mteb_cache()
            from mteb.models.model_meta import ModelMeta, ScoringFunction

            extra = self.transform.labels() if self.transform is not None else {}
            if self.dim is not None:
                extra["dim"] = self.dim
            self._meta = ModelMeta.create_empty(overwrites={
                "name": self.model_id,
                "revision": str(self.store_meta.get("model_fingerprint") or "stored-embeddings")[:40],
                "embed_dim": int(self.embed_dim),
                "similarity_fn_name": ScoringFunction.COSINE,
                "modalities": ["text"],
                "experiment_kwargs": extra or None,
            })
        return self._meta

    def __repr__(self) -> str:
        return f"LookupEncoder({self.model_id!r}, {self.task_name!r}, dim={self.embed_dim})"


def _prompt_value(prompt_type) -> str | None:
    return getattr(prompt_type, "value", prompt_type)


def _as_array(x) -> np.ndarray:
    return np.asarray(x.detach().cpu().numpy() if hasattr(x, "detach") else x, dtype=np.float32)


def _unit_rows(x) -> np.ndarray:
    x = _as_array(x)
    if x.ndim == 1:
        x = x[None, :]
    return unit_rows(x)
