"""What experiment 02 encodes (the ``needs`` contract of ``embedlab.needs``): its grid, the calibration
task, the ``zoo`` models (scored on ``tasks`` only) and the tasks an in-domain fit reads.

Read as a file of its own by the `embed` stage: absolute imports of ``embedlab.needs`` / ``errors`` /
``params`` only."""

from __future__ import annotations

from embedlab.errors import EmbedlabError
from embedlab.needs import add, require_tasks, with_calibration


def in_domain_fits(group: dict, name: str = "experiment") -> dict[str, dict]:
    """``in_domain_calibration: {evaluated task's base name: fit task, or {task: fit task, roles: [query |
    document], models: [...]}}`` as ``{base name: {"task", "roles", "models"}}`` (``roles`` / ``models``
    None: all; ``models``: the only models a fit is encoded and fitted for, the others fall back to the
    off-domain fit); a shape error is one line."""
    spec = group.get("in_domain_calibration") or {}
    fix = ("e.g. in_domain_calibration: {STSBenchmark: STSBenchmark-train, SciFact: {task: SciFact, roles: [document], "
           "models: [all-MiniLM-L6-v2]}}")
    if not isinstance(spec, dict):
        raise EmbedlabError(f"params '{name}.in_domain_calibration' must map task names to fit tasks", fix)
    out = {}
    for key, value in spec.items():
        if isinstance(value, dict):
            roles, models = value.get("roles"), value.get("models")
            if not isinstance(value.get("task"), str) or (roles is not None and (
                    not isinstance(roles, list) or not set(roles) <= {"query", "document"})) or (
                    models is not None and not (isinstance(models, list) and all(isinstance(m, str) for m in models))):
                raise EmbedlabError(f"params '{name}.in_domain_calibration.{key}' must be a task name or "
                                    "{task: name, roles: [query | document], models: [model, ...]}", fix)
            out[key] = {"task": value["task"], "roles": roles, "models": models}
        elif isinstance(value, str):
            out[key] = {"task": value, "roles": None, "models": None}
        else:
            raise EmbedlabError(f"params '{name}.in_domain_calibration.{key}' must be a task name", fix)
    return out


def in_domain_fit_tasks(group: dict, name: str = "experiment", model: str | None = None) -> list[str]:
    """The prepared tasks ``in_domain_fits`` names, in order, each once; with ``model``, those fitted for it."""
    return list(dict.fromkeys(e["task"] for e in in_domain_fits(group, name).values()
                              if model is None or e["models"] is None or model in e["models"]))


def needs(group: dict, name: str = "dimension_scaling", params: dict | None = None) -> dict[str, list[str] | None]:
    out = with_calibration(group, name)
    zoo, tasks = group.get("zoo") or [], group.get("tasks")
    if not isinstance(zoo, list) or not all(isinstance(m, str) for m in zoo):
        raise EmbedlabError(f"params '{name}.zoo' must be a list of model ids", "see the 'models:' registry")
    for model in zoo:
        out.setdefault(model, None if tasks is None else list(tasks))
    if in_domain_fit_tasks(group, name):
        require_tasks(group, name, "in_domain_calibration")
    for model in group.get("models", []):
        add(out, [model], in_domain_fit_tasks(group, name, model))
    return out
