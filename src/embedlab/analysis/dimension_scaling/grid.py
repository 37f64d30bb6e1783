"""Experiment 02's grid: every (model, method, dim, task) scored from the store, with retention against the native score."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...vectors.reduction import PCAReduction
from ..calibration import task_vectors
from ..results import main_rows as scored_main_rows
from ..results import with_retention as retention_against
from .methods import DS_METHODS, FALLBACK, FITS, is_upper_bound
from .plan import grid_tasks, tasks_at


def run_grid(exp, p: dict, progress=None) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """Score every (model, method, dim, task) and every model's native vectors.

    Returns the records (``method``, ``dim``, ``native_dim``, ``fit``, ``upper_bound``,
    ``same_recipe_only``, ``retention`` added), the per-item data of each main score,
    ``{(model, method, dim, task): ItemScores}``, for paired comparisons, and the cells not scored (a
    transductive PCA with more components than the task has texts) with why. A fit shared by two
    methods (the in-domain fallback is the off-domain fit) is fitted and scored once.
    """
    from tqdm.std import tqdm

    options = {"n_experiments": p["n_experiments"]}
    frames, items, skipped, scored, fitted = [], {}, [], {}, {}

    def score(model, tasks, make, key, method, dim, **labels):
        """Score ``tasks`` through the transform ``make()`` builds (once per ``key``), each task once per key."""
        todo = [t for t in tasks if (model, key, t) not in scored]
        if todo:
            if (model, key) not in fitted:
                fitted[model, key] = make()
            got = {}
            frame = exp.evaluate([model], todo, transform=fitted[model, key], intrinsic=False, progress=False,
                                 items=got, **options)
            for t in todo:
                scored[model, key, t] = (frame[frame["task"] == t], got.get((model, t)))
        grid = tasks_at(p, dim) if method != "native" else p["tasks"]
        for t in tasks:
            frame, item = scored[model, key, t]
            frames.append(frame.assign(method=method, dim=dim, native_dim=p["native"][model],
                                       upper_bound=is_upper_bound(method), same_recipe_only=t not in grid,
                                       **labels))
            if item is not None:
                items[model, method, dim, t] = item

    steps = sum(1 + len(p["methods"]) for _ in p["models"])
    bar = tqdm(total=steps, desc="02_dimension_scaling: model × method", disable=progress is False)
    for model in p["models"]:
        native = p["native"][model]
        score(model, p["tasks"], lambda: None, ("native",), "native", native, fit="none")
        bar.update(1)
        cal_texts, cal = p["calibration_sets"][model]
        source = f"{p['calibration']} ({len(cal_texts)} texts, none in the evaluated tasks)"

        def fitted_on(method, dim, x, where, seed=0, transductive=False):
            def make():
                transform = method.make(dim, seed=seed)
                return transform.fit(x, source=where, transductive=transductive) if transform.needs_fit else transform
            return make

        for method in p["methods"]:
            for dim in p["dims"][model]:
                tasks = tasks_at(p, dim, model)
                off_key = (method.build.__name__, method.options, "off-domain", dim)
                if method.transductive:
                    for t in tasks:
                        vectors = task_vectors(exp, model, t)[1]
                        if len(vectors) < dim:  # PCA has at most as many components as texts
                            skipped.append({"model": model, "method": method.name, "dim": dim, "task": t,
                                            "why": f"{len(vectors)} texts cannot fit {dim} components"})
                            continue
                        score(model, [t], fitted_on(method, dim, vectors, t, transductive=True),
                              (method.name, dim, t), method.name, dim, fit=FITS[method.name])
                elif method.name == "pca_in_domain":
                    for key in dict.fromkeys(p["fit_keys"][t] for t in tasks):
                        group = [t for t in tasks if p["fit_keys"][t] == key]
                        if key is None or (model, key) not in p["in_domain_sets"]:  # none (for this model): off-domain, said so
                            score(model, group, fitted_on(method, dim, cal, source), off_key, method.name, dim, fit=FALLBACK)
                            continue
                        texts, x = p["in_domain_sets"][model, key]
                        where = f"{p['fits'][key]['task']} ({len(texts)} texts, none in an evaluated test split)"
                        score(model, group, fitted_on(method, dim, x, where), (method.build.__name__, method.options, key, dim),
                              method.name, dim, fit=FITS[method.name])
                else:
                    key = off_key if method.build is PCAReduction else (method.name, dim)
                    score(model, tasks, fitted_on(method, dim, cal, source), key, method.name, dim, fit=FITS[method.name])
            bar.update(1)
        spread = p["spread"]
        if spread and "random_projection" in [m.name for m in p["methods"]] and spread["dim"] < native:
            rp = DS_METHODS["random_projection"]
            for seed in spread["seeds"]:
                if seed == 0:
                    continue  # the grid's own run
                score(model, grid_tasks(p), fitted_on(rp, spread["dim"], cal, source, seed=seed),
                      ("random_projection", spread["dim"], seed), "random_projection", spread["dim"],
                      fit=FITS["random_projection"], seed_run=True)
    bar.close()
    results = pd.concat(frames, ignore_index=True)
    if "seed" in results.columns:
        results["seed"] = results["seed"].where(results["method"] == "random_projection")
    results["seed_run"] = results.get("seed_run", pd.Series(False, index=results.index)).fillna(False).astype(bool)
    return with_retention(results), items, pd.DataFrame(skipped)


def with_retention(results: pd.DataFrame) -> pd.DataFrame:
    """Add ``retention`` = score / the same model's native score on the same task and metric."""
    return retention_against(results, results[results["method"] == "native"])


def main_rows(results: pd.DataFrame, seed_runs: bool = False, same_recipe: bool = False) -> pd.DataFrame:
    """Main scores with a value; by default the grid only (no extra random-projection seeds, no cells
    scored only for the same-recipe comparison)."""
    rows = scored_main_rows(results)
    if not seed_runs:
        rows = rows[~rows["seed_run"]]
    if not same_recipe and "same_recipe_only" in rows.columns:
        rows = rows[~rows["same_recipe_only"].fillna(False).astype(bool)]
    return rows
