"""What an experiment encodes: ``{model id: [prepared task, ...] or None}`` (None: the default-size
variant of every task of ``data.tasks``).

The contract: an experiment's package ``embedlab.analysis.<group>`` may hold a module ``needs.py``
with ``needs(group, name, params) -> {model: [task, ...] or None}`` (``group``: its params group,
``name``: the group's name for messages, ``params``: the whole file, for shared groups such as
``data.noise``). The `embed` stage encodes the union over the listed experiments (``all_needs``), so
neither it nor ``params.py`` knows any experiment's keys. A package without ``needs.py`` encodes its
grid (``grid``) plus ``full_size`` (``full_size_tasks``).

``needs.py`` is read as a file of its own (``embedlab.contract.part``), so `embed` does not depend on
the experiments' analysis code: it may import only ``embedlab.needs``, ``embedlab.errors`` and
``embedlab.params``, by absolute name (tests/test_layout.py).
"""

from __future__ import annotations

from .contract import part
from .errors import EmbedlabError


def grid(group: dict, name: str = "experiment") -> dict[str, list[str] | None]:
    """``{model: [task, ...] or None}`` from ``runs: {model: [task, ...]}``, or from ``models: [...]``
    with ``tasks`` (a list, or null: the default-size variants)."""
    if "runs" in group:
        runs = group["runs"]
        if "models" in group or not isinstance(runs, dict) or not all(
                isinstance(v, list) and all(isinstance(t, str) for t in v) for v in runs.values()):
            raise EmbedlabError(f"params '{name}.runs' must map model ids to lists of task names "
                                "(and replaces 'models' + 'tasks')",
                                "e.g. runs: {all-MiniLM-L6-v2: [STSBenchmark, SciFact]}")
        return {model: list(tasks) for model, tasks in runs.items()}
    models, tasks = group.get("models", []), group.get("tasks")
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise EmbedlabError(f"params '{name}.models' must be a list of model ids", "see the 'models:' registry")
    if tasks is not None and (not isinstance(tasks, list) or not all(isinstance(t, str) for t in tasks)):
        raise EmbedlabError(f"params '{name}.tasks' must be a list of task names or null",
                            "null means the default-size variant of every task of data.tasks")
    return {model: None if tasks is None else list(tasks) for model in models}


def add(out: dict, models, tasks) -> dict:
    """Add ``tasks`` to each of ``models`` in ``out`` (in order, each once); returns ``out``."""
    for model in models:
        out[model] = list(dict.fromkeys((out.get(model) or []) + list(tasks)))
    return out


def require_tasks(group: dict, name: str, key: str, fix: str = "list the evaluated tasks") -> None:
    """A key that adds tasks to the grid (``key``) needs the grid's ``tasks`` listed: null cannot be extended."""
    if group.get("tasks") is None:
        raise EmbedlabError(f"params '{name}.{key}' needs an explicit '{name}.tasks' list", fix)


def with_calibration(group: dict, name: str = "experiment") -> dict[str, list[str] | None]:
    """The grid plus ``calibration`` (one task every model of ``models`` needs, e.g. the texts a
    reduction or a quantizer is fitted on)."""
    out = grid(group, name)
    calibration = group.get("calibration")
    if calibration is not None:
        if not isinstance(calibration, str):
            raise EmbedlabError(f"params '{name}.calibration' must be one task name", "e.g. calibration: RottenTomatoesPlotRetrieval")
        require_tasks(group, name, "calibration", "list the evaluated tasks (the calibration task must not be one of them)")
        add(out, group.get("models", []), [calibration])
    return out


def full_size_tasks(group: dict, name: str = "experiment") -> list[str]:
    """``full_size: [task, ...]`` of an experiment group: tasks it scores at full size instead of their
    default-size sample, where ``data.full_size`` has ``prepare`` write them (elsewhere the sample stays)."""
    names = group.get("full_size") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise EmbedlabError(f"params '{name}.full_size' must be a list of task names",
                            "e.g. full_size: [STSBenchmark] (each also in data.full_size)")
    return list(names)


def experiment_needs(params: dict, group_name: str) -> dict[str, list[str] | None]:
    """What the experiment of ``group_name`` encodes: its package's ``needs.py`` (else its grid)."""
    module = part(group_name, "needs")
    if module is None:
        return grid(params[group_name], group_name)
    return module.needs(params[group_name], group_name, params)


def all_needs(params: dict) -> dict[str, dict[str, list[str] | None]]:
    """``{group: needs}`` of every listed experiment, each model checked against the registry and each
    task against ``data.tasks`` (or its ``<task>-sample`` / noisy variants), before any work starts."""
    from .params import experiments, noisy_names

    registry, tasks = params["models"], params["data"]["tasks"]
    names = set(tasks) | {f"{t}-sample" for t in tasks}
    noise = params["data"].get("noise")
    names |= {n for t in list(names) for n in noisy_names(noise, t)}
    out = {}
    for group in experiments(params):
        full_size_tasks(params[group], group)  # shape checked; a task data.full_size does not prepare keeps its sample
        out[group] = runs = experiment_needs(params, group)
        for model, wanted in runs.items():
            if model not in registry:
                raise EmbedlabError(f"params '{group}' names unknown model '{model}'",
                                    f"add it to the 'models:' registry or use one of: {', '.join(registry)}")
            unknown = [t for t in (wanted or []) if t not in names]
            if unknown:
                raise EmbedlabError(f"params '{group}' names unknown task '{unknown[0]}'",
                                    f"use a task of data.tasks (or <task>-sample): {', '.join(tasks)}")
    return out
