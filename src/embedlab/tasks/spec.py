"""``TaskSpec``, the declarative record of one task, and the registry that holds every record next
to its loaders.

A task is added in one place: its record and its loader(s) in the suite's module
(``embedded.py`` or ``standard.py``), joined by one ``register(...)`` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..schema import MAIN_METRICS, TASK_TYPES

SOURCES = ("package", "mirror", "hub")


@dataclass(frozen=True)
class TaskSpec:
    """Declarative record of one task: what it is, where its data comes from, how it is scored.

    ``source`` is ``"package"`` (embedded suite: files shipped in installed packages / assets),
    ``"mirror"`` (standard suite: the local benchmark mirror, else ``hub_id`` at ``hub_revision``) or
    ``"hub"`` (an MTEB task by name). ``origin`` lists the files read, as
    ``<package>:<path in package>``, ``assets:<path>`` or a path relative to the mirror root.
    ``long_texts``: the task's texts are long (documents; median over ~100 words), so models read them
    with ``embed.max_seq_length.long`` tokens instead of the short cap.
    ``fit_only``: texts to fit a transform on (e.g. a benchmark's train split), never scored: prepared
    at full size only and never a default task (``tasks: null`` does not pick it up).
    """

    name: str
    type: str
    language: str
    source: str
    origin: tuple[str, ...]
    main_score: str
    splits: tuple[str, ...]
    license: str
    hub_id: str | None = None
    hub_revision: str | None = None
    mteb_name: str | None = None
    note: str = ""
    long_texts: bool = False
    fit_only: bool = False

    @property
    def text_length(self) -> str:
        """``"long"`` or ``"short"``: which of ``embed.max_seq_length``'s caps the task's texts get."""
        return "long" if self.long_texts else "short"


def declare(name: str, type: str, language: str, source: str, origin, license: str, *,
            main_score: str | None = None, **kw) -> TaskSpec:
    """A TaskSpec with the type's main score (``schema.MAIN_METRICS``) and splits (train + test for
    classification, test otherwise) filled in."""
    if type not in TASK_TYPES:
        raise ValueError(f"task {name}: type {type!r} is not one of {TASK_TYPES}")
    if source not in SOURCES:
        raise ValueError(f"task {name}: source {source!r} is not one of {SOURCES}")
    splits = ("train", "test") if type == "classification" else ("test",)
    return TaskSpec(name, type, language, source, tuple(origin), main_score or MAIN_METRICS[type], splits,
                    license, **kw)


@dataclass(frozen=True)
class Loaders:
    """How one task's full splits are read.

    ``package(files, seed)`` and ``mirror(files, seed)`` read through a ``files.Files`` (which records
    the sha256 of each file read); ``hub(spec, seed)`` reads the hub (users who are online). A
    missing hub loader means mteb's generic layout (``mteb_registry.load_generic``).
    """

    package: Callable | None = None
    mirror: Callable | None = None
    hub: Callable | None = None


#: Every registered task, by name, in registration order (the embedded suite, then the standard one).
CATALOG: dict[str, TaskSpec] = {}
_LOADERS: dict[str, Loaders] = {}


def register(spec: TaskSpec, *, package: Callable | None = None, mirror: Callable | None = None,
             hub: Callable | None = None) -> TaskSpec:
    """Add ``spec`` and its loaders to ``CATALOG``; returns ``spec``.

    A ``"package"`` task needs a ``package`` loader, a ``"mirror"`` task a ``mirror`` loader (its
    ``hub`` loader is the fallback when no mirror is configured).
    """
    if spec.name in CATALOG:
        raise ValueError(f"task {spec.name} is registered twice")
    if spec.source == "package" and package is None:
        raise ValueError(f"task {spec.name}: a package task needs a package loader")
    if spec.source == "mirror" and mirror is None:
        raise ValueError(f"task {spec.name}: a mirror task needs a mirror loader")
    CATALOG[spec.name] = spec
    _LOADERS[spec.name] = Loaders(package=package, mirror=mirror, hub=hub)
    return spec


def loaders(name: str) -> Loaders:
    """The loaders registered for ``name`` (none for a task that is not in ``CATALOG``)."""
    return _LOADERS.get(name, Loaders())
