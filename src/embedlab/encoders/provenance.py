"""``model_provenance``: what produced a model's vectors, recorded next to them (and fingerprinted)."""

from __future__ import annotations

from pathlib import Path

from ..paths import relative_to_root
from ..provenance import package_version
from .packages import PACKAGES, missing_package
from .registry import backend_class, loader_info
from .sources import package_weight_files, sha256_cached, weight_files
from .spec import ModelSpec, model_error


def source_provenance(spec: ModelSpec, source: dict) -> dict:
    """A source's record: package versions, hub id and revision, or a root-relative path; weight sha256s."""
    kind, value = next(iter(source.items()))
    rec: dict = {"kind": kind}
    if kind == "package":
        info = PACKAGES[value]
        rec["package"] = value
        rec["versions"] = {d: package_version(d) for d in info.dists}
        missing = [d for d, v in rec["versions"].items() if v is None]
        if missing:
            raise missing_package(spec.id, value, f"distribution '{missing[0]}' is not installed")
        files = package_weight_files(spec, value)
    elif kind == "path":
        path = Path(value).expanduser()
        if not path.exists():
            raise model_error(spec.id, f"path '{value}' does not exist", "fix source.path")
        rec["path"] = relative_to_root(path)  # the same in every clone
        files = weight_files(path)
    else:
        rec["hub"] = value
        rec["revision"] = spec.options.get("revision")
        files = weight_files(Path(value)) if Path(value).exists() else {}
    if files:
        rec["sha256"] = {name: sha256_cached(p) for name, p in files.items()}
    return rec


def model_provenance(spec: ModelSpec) -> dict:
    """What produced a model's vectors: source, package versions or hub id, weight checksums, settings.

    The loader adds its own fields through its back end's ``provenance(spec, record)`` hook.
    """
    info = loader_info(spec.loader)
    rec = {
        "model": spec.id,
        "family": spec.family,
        "loader": spec.loader,
        "pooling": spec.pooling,
        "dim": spec.dim,
        "max_seq_length": spec.max_seq_length,
        "options": spec.options,
        "source": source_provenance(spec, spec.source),
        "library": {lib: package_version(lib) for lib in dict.fromkeys((info.library, *info.libraries))},
    }
    if "tokenizer" in spec.options:
        rec["tokenizer"] = source_provenance(spec, spec.options["tokenizer"])
    backend_class(spec.loader).provenance(spec, rec)
    return rec
