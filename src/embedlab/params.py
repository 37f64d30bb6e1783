"""Read and validate ``params.yaml``: one group per pipeline stage, plus the model registry."""

from __future__ import annotations

import math
from pathlib import Path

import yaml

from .errors import EmbedlabError
from .paths import from_root, params_path

REQUIRED_GROUPS = ("data", "models", "embed", "experiments")
SIZE_KEYS = (
    "sts_pairs", "classification_train_per_label", "classification_test", "clustering_texts",
    "retrieval_queries", "retrieval_corpus", "retrieval_negatives_per_query", "bitext_pairs", "pair_pairs",
    "robustness_pairs", "polysemy_lemmas",
)
#: Size keys that no longer exist: old key -> (the key that replaced it, what it means).
REPLACED_SIZE_KEYS = {
    "classification_train": ("classification_train_per_label",
                             "rows kept of every label of the train split; mteb draws 8 per label in each of "
                             "its 10 experiments, so 80 keeps its protocol"),
}
#: Size keys that are ratios, not caps: ``data.scale`` leaves them alone.
UNSCALED_SIZE_KEYS = ("retrieval_negatives_per_query",)
#: Kinds of text, each with its own token cap (``embed.max_seq_length``); a TaskSpec says which it has.
TEXT_LENGTHS = ("short", "long")


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
    token_caps(params["embed"])
    own_length_pairs(params["embed"])
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
    keep = data.get("keep_corpus") or []  # how a retrieval task is sampled where data.tasks lists it
    if not isinstance(keep, list) or not all(isinstance(t, str) for t in keep):
        raise EmbedlabError(f"params 'data.keep_corpus' must be a list of retrieval task names, got {keep!r}",
                            "e.g. keep_corpus: [RottenTomatoesPlotRetrieval], or []")
    _check_noise(data.get("noise"), tasks)
    sizes = data.get("sizes", {})
    if not isinstance(sizes, dict):
        raise EmbedlabError("params 'data.sizes' must be a mapping", f"use keys from {', '.join(SIZE_KEYS)}")
    for key, value in sizes.items():
        if key in REPLACED_SIZE_KEYS:
            new, meaning = REPLACED_SIZE_KEYS[key]
            raise EmbedlabError(f"params 'data.sizes.{key}' was replaced by '{new}' ({meaning})",
                                f"rename it to data.sizes.{new} in params.yaml")
        if key not in SIZE_KEYS:
            raise EmbedlabError(f"params 'data.sizes' has unknown key '{key}'", f"use one of {', '.join(SIZE_KEYS)}")
        if value is not None and not (isinstance(value, int) and value > 0):
            raise EmbedlabError(f"params 'data.sizes.{key}' must be a positive integer or null, got {value!r}",
                                "null means full size")


#: Noise kinds (``tasks/noise.py`` implements them) and the language of the texts each applies to.
NOISE_KINDS = {"synonym": "en", "swap": "en", "shuffle": "en", "typo": "en", "char": "zh"}


def noisy_name(clean: str, kind: str, rate: float) -> str:
    """``STSBenchmark-sample`` + typo at 0.1 -> ``STSBenchmark-sample-noisy-typo10``."""
    return f"{clean}-noisy-{kind}{round(rate * 100)}"


def _check_noise(noise, tasks: list[str]) -> None:
    """``data.noise``: ``{rates: [share, ...], tasks: {task of data.tasks: [kind, ...]}}`` or null."""
    if noise is None:
        return
    fix = "e.g. noise: {rates: [0.05, 0.1, 0.2], tasks: {STSBenchmark: [synonym, swap, shuffle, typo]}}"
    if not isinstance(noise, dict) or not isinstance(noise.get("tasks"), dict) or not isinstance(noise.get("rates"), list):
        raise EmbedlabError("params 'data.noise' must be {rates: [...], tasks: {task: [kind, ...]}} or null", fix)
    bad_rates = [r for r in noise["rates"] if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r <= 1]
    if bad_rates or not noise["rates"]:
        raise EmbedlabError(f"params 'data.noise.rates' must be shares in (0, 1], got {noise['rates']!r}", "use e.g. [0.05, 0.1, 0.2]")
    for name, kinds in noise["tasks"].items():
        if name not in tasks:
            raise EmbedlabError(f"params 'data.noise.tasks' names '{name}', which is not in data.tasks", "list tasks of data.tasks")
        unknown = [k for k in (kinds if isinstance(kinds, list) else [kinds]) if k not in NOISE_KINDS]
        if unknown or not isinstance(kinds, list) or not kinds:
            raise EmbedlabError(f"params 'data.noise.tasks.{name}' has unknown noise kind '{(unknown or [kinds])[0]}'",
                                f"use a list of: {', '.join(NOISE_KINDS)}")


def noisy_names(noise: dict | None, clean: str) -> list[str]:
    """The prepared names of the noisy variants of ``clean`` (a prepared name, e.g. ``STSBenchmark-sample``)
    that ``data.noise`` asks for; [] when it lists none."""
    kinds = ((noise or {}).get("tasks") or {}).get(clean[:-len("-sample")] if clean.endswith("-sample") else clean) or []
    return [noisy_name(clean, kind, rate) for kind in kinds for rate in (noise or {}).get("rates", [])]


def scaled_sizes(data: dict) -> dict:
    """The per-type sample caps after applying ``data.scale`` ('full' removes every cap)."""
    scale = data.get("scale", 1.0)
    sizes = dict(data.get("sizes", {}))
    if scale == "full":
        return {k: None for k in sizes}
    # A floor keeps tiny runs meaningful: classification needs a few examples of each label.
    return {k: (v if v is None or k in UNSCALED_SIZE_KEYS else max(8, int(math.ceil(v * scale))))
            for k, v in sizes.items()}


def token_caps(embed: dict) -> dict[str, int | None]:
    """``{text length: token cap}`` from ``embed.max_seq_length``: a mapping ``{short: 128, long: 256}``,
    one integer for both, or null (each model's own max_seq_length). A model reads
    ``min(its own max_seq_length, the cap of the task's kind of text)`` tokens."""
    value = embed.get("max_seq_length")
    caps = value if isinstance(value, dict) else dict.fromkeys(TEXT_LENGTHS, value)
    fix = "use e.g. max_seq_length: {short: 128, long: 256} (null: each model's own max_seq_length)"
    if sorted(caps) != sorted(TEXT_LENGTHS):
        raise EmbedlabError(f"params 'embed.max_seq_length' must give a cap for each of {', '.join(TEXT_LENGTHS)}, "
                            f"got {value!r}", fix)
    for kind, cap in caps.items():
        if cap is not None and (isinstance(cap, bool) or not isinstance(cap, int) or cap < 1):
            raise EmbedlabError(f"params 'embed.max_seq_length.{kind}' must be a positive integer or null, "
                                f"got {cap!r}", fix)
    return {kind: caps[kind] for kind in TEXT_LENGTHS}


def own_length_pairs(embed: dict) -> dict[str, list[str]]:
    """``{prepared task: [model ids]}`` from ``embed.own_length``: pairs read at the model's own
    max_seq_length whatever ``embed.max_seq_length`` says (MTEB's protocol, for the models experiment 00
    compares with published scores on that task)."""
    value = embed.get("own_length") or {}
    ok = isinstance(value, dict) and all(isinstance(t, str) and isinstance(m, list) and all(isinstance(x, str) for x in m)
                                         for t, m in value.items())
    if not ok:
        raise EmbedlabError(f"params 'embed.own_length' must map prepared task names to lists of model ids, got {value!r}",
                            "use e.g. own_length: {SciFact: [multilingual-e5-small-q4]} (or {})")
    return {t: list(m) for t, m in value.items()}


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
    """Every model and task an experiment names is known (checked before any work starts).

    An experiment group gives ``models`` (+ optional ``tasks``; null = the default-size variants of
    ``data.tasks``) or ``runs: {model: [task, ...]}``. A task is a name of ``data.tasks`` or its
    sampled variant ``<name>-sample``.
    """
    registry, tasks = params["models"], params["data"]["tasks"]
    names = set(tasks) | {f"{t}-sample" for t in tasks}
    for group in experiments(params):
        full_size_tasks(params[group], group)  # shape checked; a task data.full_size does not prepare keeps its sample
    noise = params["data"].get("noise")
    names |= {n for t in list(names) for n in noisy_names(noise, t)}
    for group in experiments(params):
        runs = experiment_runs(params[group], group, noise)
        for model, wanted in runs.items():
            if model not in registry:
                raise EmbedlabError(f"params '{group}' names unknown model '{model}'",
                                    f"add it to the 'models:' registry or use one of: {', '.join(registry)}")
            unknown = [t for t in (wanted or []) if t not in names]
            if unknown:
                raise EmbedlabError(f"params '{group}' names unknown task '{unknown[0]}'",
                                    f"use a task of data.tasks (or <task>-sample): {', '.join(tasks)}")


def experiment_runs(group: dict, name: str = "experiment", noise: dict | None = None) -> dict[str, list[str] | None]:
    """``{model: [task, ...] or None}`` of one experiment group (None: the default-size variants).

    From ``runs: {model: [task, ...]}``, or from ``models: [...]`` with ``tasks`` (a list, or null).
    Optional keys add what an experiment reads besides its grid: ``calibration`` (one task every
    model of ``models`` needs, e.g. the texts a reduction or a quantizer is fitted on), ``zoo``
    (more models, scored on ``tasks`` only), ``weights: {tasks: [...], variants: {variant: reference
    or null}}`` (each variant and each reference encoded on those tasks) and ``robustness: {block: {models:
    [...], tasks: [...]}}`` (each block's models encoded on its tasks and on their noisy variants that
    ``noise``, i.e. ``data.noise``, asks for: ``noisy_names``) and ``in_domain_calibration`` (the tasks
    an in-domain fit reads, encoded for every model of ``models``: ``in_domain_fit_tasks``) and
    ``rescoring: {tasks: [...], models: [...]}`` (retrieval tasks re-ranked from quantized indexes, encoded for
    those models, default ``models``).
    """
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
    calibration, zoo = group.get("calibration"), group.get("zoo") or []
    if calibration is not None and not isinstance(calibration, str):
        raise EmbedlabError(f"params '{name}.calibration' must be one task name", "e.g. calibration: RottenTomatoesPlotRetrieval")
    if not isinstance(zoo, list) or not all(isinstance(m, str) for m in zoo):
        raise EmbedlabError(f"params '{name}.zoo' must be a list of model ids", "see the 'models:' registry")
    if calibration is not None and tasks is None:
        raise EmbedlabError(f"params '{name}.calibration' needs an explicit '{name}.tasks' list",
                            "list the evaluated tasks (the calibration task must not be one of them)")
    out = {model: None if tasks is None else list(tasks) for model in zoo}
    fits = in_domain_fit_tasks(group, name)
    if fits and tasks is None:
        raise EmbedlabError(f"params '{name}.in_domain_calibration' needs an explicit '{name}.tasks' list",
                            "list the evaluated tasks")
    for model in models:
        out[model] = None if tasks is None else list(dict.fromkeys(
            list(tasks) + ([calibration] if calibration else []) + in_domain_fit_tasks(group, name, model)))
    rescoring = group.get("rescoring") or {}
    if isinstance(rescoring, dict) and rescoring.get("tasks") and tasks is not None:
        for model in rescoring.get("models") or models:  # rescored retrieval tasks, e.g. full-size SciFact
            out[model] = list(dict.fromkeys((out.get(model) or []) + list(rescoring["tasks"])))
    weights = group.get("weights")
    if weights is not None:
        w_tasks, variants = weights.get("tasks") if isinstance(weights, dict) else None, (weights or {}).get("variants")
        if (not isinstance(w_tasks, list) or not all(isinstance(t, str) for t in w_tasks) or not isinstance(variants, dict)
                or not all(isinstance(v, str) and (r is None or isinstance(r, str)) for v, r in variants.items())):
            raise EmbedlabError(f"params '{name}.weights' must be {{tasks: [task, ...], variants: {{model: reference model or null}}}}",
                                "e.g. weights: {tasks: [STSBenchmark], variants: {all-MiniLM-L6-v2-onnx-int8: all-MiniLM-L6-v2}}")
        if tasks is None:
            raise EmbedlabError(f"params '{name}.weights' needs an explicit '{name}.tasks' list", "list the evaluated tasks")
        for model in dict.fromkeys([*variants, *(r for r in variants.values() if r)]):
            out[model] = list(dict.fromkeys((out.get(model) or []) + list(w_tasks)))
    blocks = group.get("robustness") or {}
    fix = "e.g. robustness: {english: {models: [all-MiniLM-L6-v2], tasks: [STSBenchmark-sample]}}"
    if not isinstance(blocks, dict) or not all(
            isinstance(b, dict) and isinstance(b.get("models"), list) and isinstance(b.get("tasks"), list)
            for b in blocks.values()):
        raise EmbedlabError(f"params '{name}.robustness' must map block names to {{models: [...], tasks: [...]}}", fix)
    if blocks and tasks is None:
        raise EmbedlabError(f"params '{name}.robustness' needs an explicit '{name}.tasks' list", "list the evaluated tasks")
    for block in blocks.values():
        wanted = [n for t in block["tasks"] for n in [t, *noisy_names(noise, t)]]
        for model in block["models"]:
            out[model] = list(dict.fromkeys((out.get(model) or []) + wanted))
    return out


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


def full_size_tasks(group: dict, name: str = "experiment") -> list[str]:
    """``full_size: [task, ...]`` of an experiment group: tasks it scores at full size instead of their
    default-size sample, where ``data.full_size`` has ``prepare`` write them (elsewhere the sample stays)."""
    names = group.get("full_size") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise EmbedlabError(f"params '{name}.full_size' must be a list of task names",
                            "e.g. full_size: [STSBenchmark] (each also in data.full_size)")
    return list(names)
