"""Read and validate ``params.yaml``: one group per pipeline stage, plus the model registry."""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from .errors import EmbedlabError
from .paths import from_root, params_path

REQUIRED_GROUPS = ("data", "models", "embed", "experiments")
SIZE_KEYS = (
    "sts_pairs", "classification_train", "classification_test", "clustering_texts",
    "retrieval_queries", "retrieval_corpus", "bitext_pairs", "pair_pairs", "robustness_pairs",
)


def load_params(path: str | Path | None = None) -> dict:
    """Load params.yaml (default: the repository root's) and check the groups every stage relies on."""
    path = params_path() if path is None else from_root(path)
    if not path.exists():
        raise EmbedlabError(f"params file '{path}' not found", "run inside the repository (a folder at or below the one holding dvc.yaml), or pass --params PATH")
    try:
        params = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise EmbedlabError(f"params file '{path}' is not valid YAML{where}", "fix the YAML syntax") from None
    if not isinstance(params, dict):
        raise EmbedlabError(f"params file '{path}' must be a mapping of groups", "see the README's params section")
    for group in REQUIRED_GROUPS:
        if not isinstance(params.get(group), dict):
            raise EmbedlabError(f"params.yaml has no '{group}' group (or it is not a mapping)",
                                f"add a '{group}:' section; see the README")
    _check_data(params["data"])
    check_experiment_models(params)
    return params


def _check_data(data: dict) -> None:
    tasks = data.get("tasks")
    if not isinstance(tasks, list) or not tasks or not all(isinstance(t, str) for t in tasks):
        raise EmbedlabError("params 'data.tasks' must be a non-empty list of task names",
                            "list tasks such as [STSBenchmark, MRPolarity]")
    full = data.get("full_size") or []
    if not isinstance(full, list) or [t for t in full if t not in tasks]:
        raise EmbedlabError(f"params 'data.full_size' must list tasks from data.tasks, got {full!r}",
                            "name tasks that are also in data.tasks, or use []")
    folders = data.get("dataset_folders") or {}
    if not isinstance(folders, dict) or not all(isinstance(v, str) for v in folders.values()):
        raise EmbedlabError("params 'data.dataset_folders' must map task names to folder paths",
                            "e.g. dataset_folders: {BIOSSES: /data/hf/biosses}")
    scale = data.get("scale", 1.0)
    if scale != "full" and not (isinstance(scale, (int, float)) and scale > 0):
        raise EmbedlabError(f"params 'data.scale' must be a positive number or 'full', got {scale!r}",
                            "use e.g. scale: 1.0 (default sizes), 0.05 (tiny) or 'full'")
    sizes = data.get("sizes", {})
    if not isinstance(sizes, dict):
        raise EmbedlabError("params 'data.sizes' must be a mapping", f"use keys from {', '.join(SIZE_KEYS)}")
    for key, value in sizes.items():
        if key not in SIZE_KEYS:
            raise EmbedlabError(f"params 'data.sizes' has unknown key '{key}'", f"use one of {', '.join(SIZE_KEYS)}")
        if value is not None and not (isinstance(value, int) and value > 0):
            raise EmbedlabError(f"params 'data.sizes.{key}' must be a positive integer or null, got {value!r}",
                                "null means full size")


def scaled_sizes(data: dict) -> dict:
    """The per-type sample caps after applying ``data.scale`` ('full' removes every cap)."""
    scale = data.get("scale", 1.0)
    sizes = dict(data.get("sizes", {}))
    if scale == "full":
        return {k: None for k in sizes}
    # A floor keeps tiny runs meaningful: classification needs a few examples of each label.
    return {k: (None if v is None else max(8, int(math.ceil(v * scale)))) for k, v in sizes.items()}


def experiments(params: dict) -> dict[str, str]:
    """``{params group: experiment name}`` from the ``experiments`` group, in reading order.

    The experiment name (e.g. ``01_architecture_comparison``) names the stage, the notebook, the
    metrics file and the figures folder; the group (``architecture_comparison``) holds its params.
    """
    listed = params.get("experiments") or {}
    if not isinstance(listed, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in listed.items()):
        raise EmbedlabError("params 'experiments' must map a params group to an experiment name",
                            "e.g. experiments: {architecture_comparison: 01_architecture_comparison}")
    for group, name in listed.items():
        if group[:1].isdigit():
            raise EmbedlabError(f"params group '{group}' starts with a digit, which `dvc exp run -S` cannot parse",
                                f"name the group without the leading number, e.g. '{group.lstrip('0123456789_')}'")
        if not isinstance(params.get(group), dict):
            raise EmbedlabError(f"params 'experiments' lists group '{group}', but params.yaml has no such group",
                                f"add a '{group}:' section or remove it from 'experiments'")
    return dict(listed)


def experiment_group(params: dict, name: str) -> tuple[str, dict]:
    """``(group name, group)`` of the experiment called ``name`` (its stage / notebook name)."""
    listed = experiments(params)
    for group, experiment in listed.items():
        if name in (experiment, group):
            return group, params[group]
    raise EmbedlabError(f"params.yaml lists no experiment '{name}'",
                        f"add it under 'experiments', or use one of: {', '.join(listed.values()) or '(none)'}")


def check_experiment_models(params: dict) -> None:
    """Every model an experiment names is in the registry (checked before any work starts)."""
    for group in experiments(params):
        models = params[group].get("models", [])
        if not isinstance(models, list):
            raise EmbedlabError(f"params '{group}.models' must be a list of model ids", "see the 'models:' registry")
        unknown = [m for m in models if m not in params["models"]]
        if unknown:
            raise EmbedlabError(f"params '{group}.models' names unknown model '{unknown[0]}'",
                                f"add it to the 'models:' registry or use one of: {', '.join(params['models'])}")
