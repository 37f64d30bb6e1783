"""Experiment 02 (dimension scaling): how much quality each dimension buys, and what it costs.

The notebook `notebooks/02_dimension_scaling.ipynb` calls these (figures: ``dimension_figures``; search
time: ``dimension_costs``). Nothing is encoded: every score comes from the embedding store through a
reduction (``embedlab.reduction``) fitted once per (model, method, dimension, fit texts) and applied to
every role of a task.

Where each method is fitted (``FITS``; the records' ``fit`` column says which, per task):

- ``truncation``: nothing to fit; ``random_projection``: the fit only reads the input dimension.
- ``pca_in_domain``: the task's OWN training data (``in_domain_calibration``: STS-B's train split for
  the STSBenchmark tasks, Banking77's train split, SciFact's documents outside the evaluated sample),
  minus every test text of every evaluated task. A task with no training data (SICK-R, STS12-16, MRPC
  as MTEB uses them) falls back to the off-domain fit, and its records say so.
- ``pca_off_domain`` (and ``pca_whiten``): the params' ``calibration`` task (movie plots), minus every
  text of every evaluated task.
- ``pca_transductive``: the evaluated task's own texts (every split). It has seen the test rows, so it
  is an UPPER BOUND (``UPPER_BOUNDS``), reported beside the methods and never ranked with them.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmbedlabError
from ..reduction import METHODS, PCAReduction, Truncation, check_dim, check_dims, variance_profile
from .results import english_scored_tasks, pareto_front, short_name, type_order  # noqa: F401 (notebook API)

LEVELS = (0.99, 0.95)

#: 02's reduction methods: the library's reductions under names that say where each is fitted.
DS_METHODS = {"truncation": METHODS["truncation"],
              "pca_in_domain": dataclasses.replace(METHODS["pca_inductive"], name="pca_in_domain"),
              "pca_off_domain": dataclasses.replace(METHODS["pca_inductive"], name="pca_off_domain"),
              "pca_whiten": METHODS["pca_whiten"],
              "random_projection": METHODS["random_projection"],
              "pca_transductive": METHODS["pca_transductive"]}
FITS = {"truncation": "none", "random_projection": "random (data-independent)", "pca_in_domain": "in-domain",
        "pca_off_domain": "off-domain", "pca_whiten": "off-domain", "pca_transductive": "evaluated texts (upper bound)"}
FALLBACK = "off-domain (task has no training data)"
UPPER_BOUNDS = ("pca_transductive",)
#: How tables, legends and the written text name each method.
METHOD_LABELS = {"truncation": "truncation", "pca_in_domain": "PCA fitted on the task's training data",
                 "pca_off_domain": "PCA fitted off-domain (calibration task)",
                 "pca_whiten": "whitened PCA fitted off-domain", "random_projection": "random projection",
                 "pca_transductive": "PCA fitted on evaluated texts (upper bound)", "native": "native"}
SHORT_LABELS = {"truncation": "truncation", "pca_in_domain": "in-domain PCA", "pca_off_domain": "off-domain PCA",
                "pca_whiten": "off-domain whitened PCA", "random_projection": "random projection"}
UPPER_BOUND_TEXT = "upper bound (PCA fitted on the evaluated texts)"


def check_methods(names) -> list:
    """The method of each name (``DS_METHODS``); an unknown name is a one-line error."""
    if "pca_inductive" in names:
        raise EmbedlabError("dimension_scaling.methods lists 'pca_inductive', which 02 splits by where it is fitted",
                            "use pca_in_domain (the task's training data) and/or pca_off_domain (the calibration task)")
    unknown = [m for m in names if m not in DS_METHODS]
    if unknown:
        raise EmbedlabError(f"unknown reduction method '{unknown[0]}'", f"use some of: {', '.join(DS_METHODS)}")
    return [DS_METHODS[m] for m in names]


def is_upper_bound(method: str) -> bool:
    return method in UPPER_BOUNDS


# -- the plan, checked before any work -------------------------------------------------------------------

def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised before anything is computed."""
    from ..params import in_domain_fits
    from ..schema import TASK_TYPES
    from ..tasks import base_name

    cfg = exp.group
    registry = exp.params["models"]
    models = list(cfg.get("models") or [])
    for m in models + list(cfg.get("zoo") or []):
        if m not in registry:
            raise EmbedlabError(f"dimension_scaling names model '{m}', which is not in the registry (params.yaml: models)",
                                f"use one of: {', '.join(registry)}")
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


# -- vectors for fitting ---------------------------------------------------------------------------------

def task_vectors(exp, model: str, task: str, roles=None) -> tuple[list[str], np.ndarray]:
    """Every text a task embeds (all roles, or those of ``roles``) and its stored vector."""
    from ..paths import embeddings_dir
    from ..store import load_embeddings

    stored = load_embeddings(embeddings_dir(), model, task, exp.task(task)["checksum"])
    texts, rows = [], []
    for role in sorted(stored):
        if roles is not None and role not in roles:
            continue
        role_texts, array = stored[role]
        texts += role_texts
        rows.append(array)
    return texts, np.concatenate(rows).astype(np.float32)


def evaluated_texts(exp, tasks: list[str]) -> set[str]:
    """Every text of the evaluated tasks, every split."""
    from ..tasks import texts_to_embed

    out = set()
    for t in tasks:
        for texts in texts_to_embed(exp.task(t)).values():
            out.update(texts)
    return out


def test_texts(exp, tasks: list[str]) -> set[str]:
    """Every text of the evaluated tasks' test splits (what a score is measured on; a classification
    task's train split is left in: it is that task's training data)."""
    from ..tasks import texts_to_embed

    out = set()
    for t in tasks:
        task = exp.task(t)
        for texts in texts_to_embed({**task, "splits": {"test": task["splits"]["test"]}}).values():
            out.update(texts)
    return out


def calibration_vectors(exp, model: str, calibration: str, exclude: set[str], roles=None) -> tuple[list[str], np.ndarray]:
    """The calibration task's texts and vectors (of ``roles``, default every role) with every text in
    ``exclude`` removed (the evaluated tasks' texts): an inductive fit never sees a test row."""
    texts, vectors = task_vectors(exp, model, calibration, roles)
    keep = [i for i, t in enumerate(texts) if t not in exclude]
    return [texts[i] for i in keep], vectors[keep]


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


# -- the grid --------------------------------------------------------------------------------------------

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
            frame = exp.evaluate([model], todo, transform=fitted[model, key], intrinsic=False, progress=False, **options)
            for t in todo:
                scored[model, key, t] = (frame[frame["task"] == t], exp.items.pop((model, t), None))
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
    native = results[results["method"] == "native"].set_index(["model", "task", "metric"])["value"]
    key = pd.MultiIndex.from_frame(results[["model", "task", "metric"]])
    base = native.reindex(key).to_numpy()
    out = results.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["retention"] = out["value"].to_numpy() / base
    return out


def main_rows(results: pd.DataFrame, seed_runs: bool = False, same_recipe: bool = False) -> pd.DataFrame:
    """Main scores with a value; by default the grid only (no extra random-projection seeds, no cells
    scored only for the same-recipe comparison)."""
    rows = results[results["main"] & results["value"].notna()]
    if not seed_runs:
        rows = rows[~rows["seed_run"]]
    if not same_recipe and "same_recipe_only" in rows.columns:
        rows = rows[~rows["same_recipe_only"].fillna(False).astype(bool)]
    return rows


# -- tables ---------------------------------------------------------------------------------------------

def retention_by_type(results: pd.DataFrame) -> pd.DataFrame:
    """Mean retention per (model, method, dim, task type) over the type's tasks scored at that dim."""
    main = main_rows(results)
    return (main.groupby(["model", "method", "dim", "task_type"])["retention"].mean()
            .rename("retention").reset_index())


def _first_reaching(part: pd.DataFrame, level: float):
    ok = part[part["retention"] >= level].sort_values("dim")
    return int(ok["dim"].iloc[0]) if len(ok) else None


def smallest_dims(results: pd.DataFrame, levels=LEVELS) -> pd.DataFrame:
    """Per model × method × task type: the smallest scored dimension whose mean retention is at least
    each level (the native size when no reduced dimension reaches it). A task type scored at fewer
    dims (clustering) is judged on those. ``kind``: "method", or "upper bound" (fitted on the evaluated
    texts)."""
    by = retention_by_type(results)
    natives = results.groupby("model")["native_dim"].first()
    rows = []
    for (model, method, kind), part in by[by["method"] != "native"].groupby(["model", "method", "task_type"]):
        row = {"model": model, "method": method, "kind": "upper bound" if is_upper_bound(method) else "method",
               "task type": kind}
        for level in levels:
            dim = _first_reaching(part, level)
            row[f"{level:.0%}"] = dim if dim is not None else int(natives[model])
            row[f"{level:.0%} reached below native"] = dim is not None
        rows.append(row)
    out = pd.DataFrame(rows)
    return (out.assign(_o=out["task type"].map(type_order), _u=out["kind"] == "upper bound")
            .sort_values(["model", "_u", "method", "_o"]).drop(columns=["_o", "_u"]).reset_index(drop=True))


def smallest_dims_per_model(results: pd.DataFrame, tasks: list[str], levels=LEVELS) -> pd.DataFrame:
    """Per model × method: the smallest SCORED dimension whose mean retention over ``tasks`` (those
    scored at every dimension, ``grid_tasks``) reaches each level; a dim counts only where every one of
    ``tasks`` was scored. ``pca_in_domain`` is judged only on the tasks it was fitted in-domain for (the
    model's tasks with training data; a task without falls back to the off-domain fit, which is the
    ``pca_off_domain`` row), and has no row for a model with none. Not reached below the native size: the
    native size, flagged."""
    main = main_rows(results)
    main = main[main["task"].isin(tasks) & (main["method"] != "native")]
    rows = []
    for (model, method), part in main.groupby(["model", "method"]):
        if method == "pca_in_domain":
            part = part[part["fit"] == FITS["pca_in_domain"]]
            if part.empty:
                continue
        judged = sorted(part["task"].unique(), key=tasks.index) if method == "pca_in_domain" else list(tasks)
        means = part.groupby("dim")["retention"].agg(["mean", "count"])
        means = means[means["count"] == len(judged)]
        native = int(part["native_dim"].iloc[0])
        row = {"model": model, "native dim": native, "method": method,
               "kind": "upper bound" if is_upper_bound(method) else "method", "tasks": len(judged),
               "judged on": ", ".join(judged) if method == "pca_in_domain" else "every grid task",
               "scored dims": ", ".join(str(int(d)) for d in means.index)}
        for level in levels:
            ok = means[means["mean"] >= level]
            row[f"{level:.0%}"] = int(ok.index[0]) if len(ok) else native
            row[f"{level:.0%} reached below native"] = bool(len(ok))
        rows.append(row)
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order = {m: i for i, m in enumerate(DS_METHODS)}
    return (out.assign(_m=out["method"].map(lambda m: order.get(m, len(order)))).sort_values(["native dim", "model", "_m"])
            .drop(columns="_m").reset_index(drop=True))


def threshold_matrix(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """``smallest_dims`` as a (model · method label) × task type matrix for one level ("99%")."""
    frame = table.assign(row=table["model"] + " · " + table["method"].map(lambda m: METHOD_LABELS.get(m, m)))
    return frame.pivot(index="row", columns="task type", values=level)


def half_dimension_check(results: pd.DataFrame, fit_kinds: dict | None = None) -> pd.DataFrame:
    """Zhang, Zhou & Bollegala (2024, ``dimension_text.ZHANG_2024``): PCA halves the dimension for about 1% loss.
    Per model and PCA fit: the mean retention at half the native size (where that dimension was scored;
    clustering excluded: its k-means runs vary more than 1%). ``pca_in_domain`` is judged on the tasks
    it was fitted in-domain for (their protocol: a fit on the task's own training data), the
    off-domain fit on every task."""
    main = main_rows(results)
    scopes = fit_kinds or {"pca_in_domain": [FITS["pca_in_domain"]], "pca_off_domain": [FITS["pca_off_domain"]]}
    rows = []
    for (model, method), part in main.groupby(["model", "method"]):
        if method not in scopes:
            continue
        half = int(part["native_dim"].iloc[0]) // 2
        at = part[(part["dim"] == half) & (part["task_type"] != "clustering") & part["fit"].isin(scopes[method])]
        row = {"model": model, "method": method, "fit": ", ".join(scopes[method]), "native": half * 2, "half": half}
        if at.empty:
            rows.append({**row, "tasks": 0, "mean retention": np.nan, "loss": np.nan, "agrees (loss ≤ 1.5%)": None})
            continue
        mean = float(at["retention"].mean())
        rows.append({**row, "tasks": int(at["task"].nunique()),
                     "task types": ", ".join(sorted(at["task_type"].unique(), key=type_order)),
                     "mean retention": mean, "loss": 1 - mean,
                     "worst task": at.loc[at["retention"].idxmin(), "task"], "worst retention": float(at["retention"].min()),
                     "agrees (loss ≤ 1.5%)": bool(1 - mean <= 0.015)})
    return pd.DataFrame(rows)


def seed_spread(results: pd.DataFrame) -> pd.DataFrame:
    """Random projection at the spread dimension: mean and spread of the main score over seeds, per task."""
    main = main_rows(results, seed_runs=True)
    rp = main[main["method"] == "random_projection"]
    if rp.empty:
        return pd.DataFrame()
    dims = rp[rp["seed_run"]]["dim"].unique()
    rp = rp[rp["dim"].isin(dims) & (rp["task_type"] != "clustering")]
    return (rp.groupby(["model", "dim", "task"])["value"].agg(["mean", "std", "min", "max", "count"])
            .rename(columns={"count": "seeds"}).reset_index())


def same_recipe(exp, results: pd.DataFrame, items: dict, p: dict) -> pd.DataFrame:
    """The small model at its native size against the large one at its own size (first row) and reduced
    to the small one's size by each method (``kind`` "upper bound" for the transductive fit): mean main
    score over the tasks every variant was scored on (every task: the large model is scored at the small
    one's size on every type), and the paired bootstrap difference."""
    from ..stats import mean_difference

    pair = p["pair"]
    small, large = pair["small"], pair["large"]
    dim = p["native"][small]
    # tasks both models were scored on natively; a variant missing on one of them (a transductive PCA
    # with more components than a task has texts) is left out rather than compared on fewer tasks
    fast = [t for t in p["tasks"] if (small, "native", dim, t) in items and (large, "native", p["native"][large], t) in items]
    variants = [(m, d) for m, d in [("native", p["native"][large])] + [(m.name, dim) for m in p["methods"]]
                if fast and all((large, m, d, t) in items for t in fast)]
    base = [items[small, "native", dim, t] for t in fast]
    settings = {"n_resamples": exp.bootstrap_settings["bootstrap_resamples"], "seed": exp.bootstrap_settings["bootstrap_seed"]}
    rows = []
    for method, d in variants:
        keys = [(large, method, d, t) for t in fast]
        cmp = mean_difference(list(zip([items[k] for k in keys], base)), **settings)
        rows.append({"large model": f"{large} · {METHOD_LABELS.get(method, method)} · {d}", "large": large,
                     "method": method, "kind": "upper bound" if is_upper_bound(method) else "method", "dim": d,
                     "small": small, "small dim": dim, "mean (large)": np.mean([items[k].point() for k in keys]),
                     "mean (small)": np.mean([b.point() for b in base]),
                     "difference": cmp["difference"], "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                     "separated": bool(cmp["ci_low"] > 0 or cmp["ci_high"] < 0), "tasks": ", ".join(fast),
                     "task types": ", ".join(sorted({p["types"][t] for t in fast}, key=type_order))})
    return pd.DataFrame(rows)


def same_recipe_by_type(results: pd.DataFrame, p: dict) -> pd.DataFrame:
    """Mean main score per task type of the small model at its native size and of the large model at
    its own size and at the small one's size by each method (every type: see ``tasks_at``)."""
    pair = p["pair"]
    small, large, dim = pair["small"], pair["large"], p["native"][pair["small"]]
    main = main_rows(results, same_recipe=True)
    rows = main[((main["model"] == small) & (main["method"] == "native"))
                | ((main["model"] == large) & ((main["method"] == "native") | (main["dim"] == dim)))]
    rows = rows.assign(variant=rows["model"] + " · " + rows["method"].map(lambda m: METHOD_LABELS.get(m, m))
                       + " · " + rows["dim"].astype(int).astype(str))
    table = rows.pivot_table(index="variant", columns="task_type", values="value", aggfunc="mean")
    return table[sorted(table.columns, key=type_order)]


# -- the zoo at native size -------------------------------------------------------------------------------

def size_on_disk(path) -> int | None:
    """Bytes of a model's files (a folder: every file under it)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return None
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def native_zoo(exp, p: dict, results: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every zoo model at its native size on every task but clustering (mteb's k-means runs are the slow
    part): (records of the models ``results`` did not already score natively, one row per model with
    native dim, mean main score with its interval, measured throughput and size on disk)."""
    from ..encoders import model_location, models_from_params, runtime
    from .results import english_mean_ci

    fast = [t for t in p["tasks"] if p["types"][t] != "clustering"]
    done = pd.DataFrame() if results is None else results[(results["method"] == "native") & results["task"].isin(fast)]
    todo = [m for m in p["zoo"] if done.empty or m not in set(done["model"])]
    records = exp.evaluate(todo, fast, intrinsic=False, progress=False, n_experiments=p["n_experiments"]) if todo else None
    quality = english_mean_ci(pd.concat([f for f in (done[done["model"].isin(p["zoo"])] if not done.empty else None, records)
                                         if f is not None], ignore_index=True))
    throughput = exp.throughput()["models"]
    specs = models_from_params(exp.params["models"])
    cache_dir, _ = runtime(exp.params["embed"])
    rows = []
    for model in p["zoo"]:
        try:
            location = model_location(specs[model], cache_dir)
        except EmbedlabError:
            location = None
        size = size_on_disk(location) if location is not None else None
        rows.append({"model": model, "family": exp.params["models"][model]["family"],
                     "native dim": int(exp.params["models"][model]["dim"]),
                     "mean main score": quality["mean"].get(model, np.nan),
                     "ci_low": quality["ci_low"].get(model, np.nan), "ci_high": quality["ci_high"].get(model, np.nan),
                     "texts/s": (throughput.get(model) or {}).get("texts_per_second", np.nan),
                     "MB on disk": size / 1e6 if size else np.nan})
    return (records if records is not None else pd.DataFrame(),
            pd.DataFrame(rows).sort_values("native dim").reset_index(drop=True))


# -- dimension utilisation (C08) -------------------------------------------------------------------------

def utilisation(exp, models: list[str], calibration: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per model, on the calibration task's texts (the same texts for every model): share of variance in
    the top 20 principal components, components for 85% / 95%, effective rank; and the cumulative
    explained-variance curve for the figure."""
    rows, curves = [], {}
    for model in models:
        _, x = task_vectors(exp, model, calibration)
        x = x.astype(np.float64)
        s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
        curves[model] = np.cumsum(s**2) / np.sum(s**2)
        rows.append({"model": model, "native dim": x.shape[1], "n texts": len(x), **variance_profile(x)})
    return pd.DataFrame(rows), curves


def utilisation_records(table: pd.DataFrame, calibration: str) -> list[dict]:
    """The utilisation table as flat result records (task = the calibration corpus, main = False)."""
    out = []
    for _, row in table.iterrows():
        for metric in ("pca_variance_top20", "components_85", "components_95", "effective_rank"):
            out.append({"model": row["model"], "task": calibration, "task_type": "intrinsic", "language": "en",
                        "metric": metric, "value": float(row[metric]), "main": False, "method": "native",
                        "dim": int(row["native dim"]), "native_dim": int(row["native dim"])})
    return out


# -- shared with experiment 03 and the figures ---------------------------------------------------------

def quality_bytes_frame(results: pd.DataFrame, tasks: list[str]) -> pd.DataFrame:
    """Mean main score over ``tasks`` (those scored at every dimension, ``grid_tasks``) against bytes per
    float32 vector, per (model, method, dim); ``upper_bound`` marks the transductive fit."""
    main = main_rows(results)
    main = main[main["task"].isin(tasks)]
    frame = main.groupby(["model", "method", "dim"])["value"].mean().rename("quality").reset_index()
    return frame.assign(bytes=4 * frame["dim"], upper_bound=frame["method"].map(is_upper_bound))
