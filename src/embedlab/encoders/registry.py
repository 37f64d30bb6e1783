"""The loader registry: which loaders exist, what each accepts, and the back end that runs it.

A back end registers itself where it is defined::

    @register_loader("onnx", LoaderInfo(poolings=("mean", "cls", "max"), sources=SOURCE_KINDS, ...))
    class OnnxBackend(TokenBackend):
        ...

Every module under ``encoders/backends/`` is imported once, the first time the registry is read, so
adding a loader is one new file there. Back-end modules import their heavy libraries only when a
model loads, so discovery stays cheap.
"""

from __future__ import annotations

import pkgutil
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import import_module

from ..errors import EmbedlabError

#: The three ways a source can be given in params.yaml.
SOURCE_KINDS = ("package", "hub", "path")
#: Options every token loader takes: text prepended by role.
PREFIX_OPTIONS = ("query_prefix", "document_prefix")


@dataclass(frozen=True)
class LoaderInfo:
    """What a loader accepts: poolings, source kinds, offline packages and option keys."""

    poolings: tuple[str, ...]
    sources: tuple[str, ...]
    packages: tuple[str, ...]
    options: tuple[str, ...]
    library: str  # the distribution that runs it (its version goes into provenance)
    libraries: tuple[str, ...] = ()  # further distributions whose versions go into provenance
    # Capabilities, asked by what a loader can do, never by its name:
    tokenizer: str = ""  # "transformers": a Hugging Face tokenizer in the model folder; "": none such
    word_vectors: str = ""  # a word's own vector: "contextual" (hidden states in a sentence), "static" (one per word)
    ships: str = ""  # the weights' precision as the loader's files come (not fp32 run by torch), e.g. "ONNX as shipped"
    torch_module: bool = False  # runs a Hugging Face torch model a caller can load and modify (int8 surgery)


_REGISTERED: dict[str, tuple[LoaderInfo, type]] = {}
_DISCOVERED = False
_LOCK = threading.RLock()


def register_loader(name: str, info: LoaderInfo):
    """Class decorator: make ``name`` a loader run by the decorated back-end class.

    The class is built as ``cls(spec, cache_dir, device)`` and is a ``TokenBackend`` or a
    ``VectorBackend``. Registering a name twice with a different class is an error.
    """
    if not isinstance(info, LoaderInfo):
        raise TypeError(f"register_loader({name!r}, ...) needs a LoaderInfo, got {type(info).__name__}")

    def decorate(cls: type) -> type:
        with _LOCK:
            known = _REGISTERED.get(name)
            if known is not None and f"{known[1].__module__}.{known[1].__qualname__}" != f"{cls.__module__}.{cls.__qualname__}":
                raise EmbedlabError(
                    f"loader '{name}' is registered twice ({known[1].__module__} and {cls.__module__})",
                    "give the new loader another name",
                )
            _REGISTERED[name] = (info, cls)
        return cls

    return decorate


def _discover() -> None:
    """Import every back-end module once (each registers its loaders as it is imported)."""
    global _DISCOVERED
    if _DISCOVERED:
        return
    with _LOCK:
        if _DISCOVERED:
            return
        from . import backends

        for module in pkgutil.iter_modules(backends.__path__):
            if not module.name.startswith("_"):
                import_module(f"{backends.__name__}.{module.name}")
        _DISCOVERED = True


class _Loaders(Mapping):
    """``{loader name: LoaderInfo}``, filled from the back-end modules on first read."""

    def __getitem__(self, name: str) -> LoaderInfo:
        _discover()
        return _REGISTERED[name][0]

    def __iter__(self) -> Iterator[str]:
        _discover()
        return iter(list(_REGISTERED))

    def __len__(self) -> int:
        _discover()
        return len(_REGISTERED)

    def __repr__(self) -> str:
        return f"LOADERS({', '.join(self)})"


#: Every registered loader: ``{name: LoaderInfo}``.
LOADERS: Mapping[str, LoaderInfo] = _Loaders()


def loader_info(name: str) -> LoaderInfo:
    """The LoaderInfo of ``name`` or an EmbedlabError listing the known loaders."""
    if name not in LOADERS:
        raise EmbedlabError(f"unknown loader '{name}'", f"use one of: {', '.join(LOADERS)}")
    return LOADERS[name]


def backend_class(name: str) -> type:
    """The back-end class registered for loader ``name``."""
    loader_info(name)
    return _REGISTERED[name][1]
