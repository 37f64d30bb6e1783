"""Experiment 02's plan: every params error raised before any work; the tasks scored at each dimension; where each fit comes from."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import EmbedlabError
from ...vectors.reduction import check_dim, check_dims
from ..results import english_scored_tasks
from ..calibration import calibration_vectors, evaluated_texts, test_texts
from .methods import check_methods


def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised before anything is computed."""
    from .needs import in_domain_fits
    from ...schema import TASK_TYPES
    from ...tasks import base_name

    cfg = exp.group
    registry = exp.params["models"]
    models = exp.check_models(cfg.get("models"), "dimension_scaling.models")
    exp.check_models(cfg.get("zoo"), "dimension_scaling.zoo")
    native = {m: int(registry[m]["dim"]) for m in models}
    dims = check_dims(cfg["dims"], native, cfg.get("dims_per_model"))
    methods = check_methods(cfg["methods"])
    prepared = english_scored_tasks(exp, cfg.get("tasks"), "dimension_scaling.tasks")
    tasks = list(prepared)
    dims_by_type = {k: [int(d) for d in v] for k, v in (cfg.get("dims_by_type") or {}).items()}
    bad = [k for k in dims_by_type if k not in TASK_TYPES]
    if bad:
        raise EmbedlabError(f"dimension_scaling.dims_by_type names '{bad[0]}', which is not a task type",
                            f"use some of: {', '.join(TASK_TYPES)}")
    calibration = cfg["calibration"]
    if calibration in tasks:
        raise EmbedlabError(f"the calibration task {calibration} is also evaluated: an inductive fit would see its test rows",
                            "calibrate on a task that is not in dimension_scaling.tasks")
    exp.task(calibration)  # prepared?
    fits = in_domain_fits(cfg, "dimension_scaling")
    for e in fits.values():
        exp.task(e["task"])  # prepared?
    fit_keys = {t: base_name(t) if base_name(t) in fits else None for t in tasks}  # None: no training data here
    spread = cfg.get("random_projection_spread") or {}
    for m in models:
        if spread:
            check_dim(m, spread["dim"], native[m], "dimension_scaling.random_projection_spread.dim")
    pair = cfg.get("same_recipe") or {}
    if pair:
        for key in ("small", "large"):
            if pair[key] not in models:
                raise EmbedlabError(f"dimension_scaling.same_recipe.{key} '{pair[key]}' is not one of its models",
                                    "add it to dimension_scaling.models")
        check_dim(pair["large"], native[pair["small"]], native[pair["large"]], "dimension_scaling.same_recipe")
        if native[pair["small"]] < native[pair["large"]]:  # the large model is always cut to the small one's size
            dims[pair["large"]] = sorted(set(dims[pair["large"]]) | {native[pair["small"]]})
    # loaded once here (run_grid fits on them): the off-domain texts outside every evaluated text, the
    # in-domain texts outside every evaluated TEST text (a classification task's train split is its own)
    exclude, tests = evaluated_texts(exp, tasks), test_texts(exp, tasks)
    calibration_sets = {m: calibration_vectors(exp, m, calibration, exclude) for m in models}
    names = {m.name for m in methods}
    keys = [k for k in dict.fromkeys(fit_keys.values()) if k is not None] if "pca_in_domain" in names else []
    # a fit may name the only models it is encoded for (``models``); the others fall back to the off-domain fit
    in_domain_sets = {(m, k): calibration_vectors(exp, m, fits[k]["task"], tests, roles=fits[k]["roles"])
                      for m in models for k in keys if fits[k]["models"] is None or m in fits[k]["models"]}
    checks = [(m, f"{fits[k]['task']} (in-domain)", in_domain_sets[m, k][0]) for m, k in in_domain_sets]
    fallback = None in fit_keys.values() or len(in_domain_sets) < len(models) * len(keys)
    if names & {"pca_off_domain", "pca_whiten"} or ("pca_in_domain" in names and fallback):
        checks += [(m, calibration, calibration_sets[m][0]) for m in models]
    for m, source, texts in checks:  # PCA has at most as many components as fit texts
        top = max(dims[m], default=0)
        if top > len(texts):
            raise EmbedlabError(f"PCA of {m} to {top} dims needs {top} fit texts; {source} has {len(texts)} "
                                "outside the evaluated tasks' test texts", "fit on a larger task, or lower the target dimensions")
    search = cfg["search"]
    if search["model"] not in models:
        raise EmbedlabError(f"dimension_scaling.search.model '{search['model']}' is not one of its models",
                            "add it to dimension_scaling.models")
    return {"models": models, "native": native, "dims": dims, "methods": methods, "tasks": tasks,
            "types": {t: p["type"] for t, p in prepared.items()}, "calibration": calibration,
            "calibration_sets": calibration_sets, "fits": fits, "fit_keys": fit_keys, "in_domain_sets": in_domain_sets,
            "dims_by_type": dims_by_type, "spread": spread,
            "pair": pair, "search": search, "zoo": list(cfg.get("zoo") or []),
            "n_experiments": int(cfg.get("n_experiments", 10))}


def tasks_at(p: dict, dim: int, model: str | None = None) -> list[str]:
    """The tasks scored at a reduced dimension: every task whose type is not in ``dims_by_type``, and
    those whose type lists this dimension; for the same-recipe pair's large model at the small model's
    native size, every task (``same_recipe_only`` marks the cells outside the grid)."""
    pair = p.get("pair") or {}
    if pair and model == pair["large"] and dim == p["native"][pair["small"]]:
        return list(p["tasks"])
    return [t for t in p["tasks"] if p["types"][t] not in p["dims_by_type"] or dim in p["dims_by_type"][p["types"][t]]]


def grid_tasks(p: dict) -> list[str]:
    """The tasks scored at every dimension (their types are not in ``dims_by_type``): the ones whose
    mean compares across dimensions."""
    return [t for t in p["tasks"] if p["types"][t] not in p["dims_by_type"]]


def fit_table(p: dict) -> pd.DataFrame:
    """Per evaluated task: where ``pca_in_domain`` is fitted (its own training data, or the off-domain
    fallback where it has none, or for the models a fit does not list) and on how many texts."""
    rows, first = [], p["models"][0]
    for t in p["tasks"]:
        key = p["fit_keys"][t]
        if key is None:
            n = len(p["calibration_sets"][first][0])
            rows.append({"task": t, "task type": p["types"][t], "in-domain fit": "none: no training data",
                         "pca_in_domain fitted on": f"{p['calibration']} (off-domain fallback)", "fit texts": n})
        else:
            e = p["fits"][key]
            have = [m for m in p["models"] if (m, key) in p["in_domain_sets"]]
            n = len(p["in_domain_sets"][have[0], key][0]) if have else np.nan
            roles = f", {'/'.join(e['roles'])} texts" if e["roles"] else ""
            rest = [m for m in p["models"] if m not in have]
            rows.append({"task": t, "task type": p["types"][t], "in-domain fit": "its training data"
                         + (f" (off-domain fallback for {', '.join(rest)})" if rest else ""),
                         "pca_in_domain fitted on": f"{e['task']}{roles}, minus every evaluated test text", "fit texts": n})
    return pd.DataFrame(rows)
