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
    encoding_backend(params["embed"])
    experiments(params)  # each listed group exists (what it needs is checked by embed: embedlab.needs)
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


#: ``embed.backend``: what runs the fp32 weights of transformer models (``encoders.spec.with_backend``)
BACKENDS = ("torch", "onnx")


def encoding_backend(embed: dict) -> str:
    """``embed.backend`` (default torch), checked: ``onnx`` runs every fp32 transformer model's weights
    through its ONNX fp32 export on CPU (the same vectors, checked when the export is made)."""
    value = embed.get("backend", "torch")
    if value not in BACKENDS:
        raise EmbedlabError(f"params 'embed.backend' must be one of {', '.join(BACKENDS)}, got {value!r}",
                            "use backend: torch (the default) or backend: onnx")
    return value


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
