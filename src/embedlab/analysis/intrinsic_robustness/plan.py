"""Experiment 04's plan: every params error raised before any work; a task's stored vectors."""

from __future__ import annotations

import numpy as np
import textwrap

from ...encoders import loader_info
from ...errors import EmbedlabError
from ...intrinsic import AUC_CHANCE
from ...params import noisy_names
from ..coincidence import DEFAULT_TOLERANCE


#: Claim C09's words: at this noise rate, similarity should move less than this share.
C09_RATE, C09_BOUND = 0.10, 0.15


def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised (one line) before any work."""
    cfg, g = exp.group, exp.group_name
    registry = exp.params["models"]
    models = exp.check_models(cfg.get("models"), f"{g}.models")
    if not models:
        raise EmbedlabError(f"{g}.models is empty", f"list models of params.yaml's registry: {', '.join(registry)}")
    types = {t: exp.task(t)["type"] for t in exp.tasks(cfg["tasks"])}
    calibration = exp.tasks([cfg["calibration"]])[0]

    def of_type(key, allowed):
        listed = list(cfg.get(key, {}).get("tasks") or [])
        wrong = [t for t in listed if t not in types or types[t] not in allowed]
        if wrong:
            raise EmbedlabError(f"{g}.{key}.tasks lists '{wrong[0]}', which is not a {' or '.join(allowed)} task of "
                                f"{g}.tasks", f"list tasks of {g}.tasks of type {' or '.join(allowed)}")
        return listed

    fid = {**cfg["fidelity"], "tasks": of_type("fidelity", ("classification", "clustering"))}
    c = cfg.get("centering") or {}
    centering = {"tasks": of_type("centering", ("sts",)), "folds": int(c.get("folds", 2)), "seed": int(c.get("seed", 0))}
    if centering["folds"] < 2:
        raise EmbedlabError(f"{g}.centering.folds is {centering['folds']}: cross-fitting needs at least 2 folds",
                            "set centering.folds to 2")
    poly = dict(cfg.get("polysemy") or {})
    if poly:
        if types.get(poly.get("task")) != "polysemy":
            raise EmbedlabError(f"{g}.polysemy.task '{poly.get('task')}' is not a polysemy task of {g}.tasks",
                                "use WordNetPolysemy and list it in the group's tasks")
        bad = [m for m in poly.get("token_models") or [] if m not in registry
               or not loader_info(registry[m]["loader"]).word_vectors]
        if bad:
            raise EmbedlabError(f"{g}.polysemy.token_models names '{bad[0]}', whose word vectors this experiment "
                                "cannot read (its loader gives no word vectors)",
                                "use a model whose loader reads word vectors (contextual or static)")
    noise = exp.params["data"].get("noise") or {}
    blocks = {}
    for block, spec in (cfg.get("robustness") or {}).items():
        exp.check_models(spec["models"], f"{g}.robustness.{block}")
        pairs = []
        for clean in exp.tasks(spec["tasks"]):
            names = noisy_names(noise, clean)
            if not names:
                raise EmbedlabError(f"{g}.robustness.{block} lists '{clean}', for which data.noise asks no noise",
                                    "add its base task to data.noise.tasks")
            for name in exp.tasks(names):
                pairs.append((clean, name))
        blocks[block] = {"models": list(spec["models"]), "pairs": pairs}
    return {"models": models, "tasks": list(types), "types": types, "calibration": calibration, "fidelity": fid,
            "centering": centering, "polysemy": poly, "robustness": blocks,
            "coincide_below": float(cfg.get("coincide_below", DEFAULT_TOLERANCE)),
            "n_experiments": int(cfg.get("n_experiments", 10))}


def stored_field(exp, model: str, task: str, field: str, transform=None) -> np.ndarray:
    """Stored vectors of ``task``'s test ``field`` texts, in row order."""
    t = exp.task(task)
    return np.asarray(exp.encoder(model, t, transform=transform).lookup(t["splits"]["test"][field], "query"))


def models_scored_on(exp, models, task) -> list[str]:
    """The models that are a measurement on ``task`` (not N/A for its language)."""
    t = exp.task(task)
    return [m for m in models if exp.na_reason(m, t, exp.encoder(m, t)) is None]


def wrap_title(title: str, width: int = 120) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(title, width))


def model_label(model: str, names: dict | None) -> str:
    """A model as text names it: a coinciding group by its label ("a = b"), never one member alone."""
    return (names or {}).get(model, model)


def auc_meaning(what: str = "same-class", other: str = "different-class") -> str:
    """What a pair-ranking AUC is, with its chance level."""
    return (f"the probability that a random {what} pair has a higher cosine than a random {other} pair; "
            f"{AUC_CHANCE:g} = no separation, 1 = perfect")
