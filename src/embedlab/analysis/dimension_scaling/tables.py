"""Experiment 02's tables from the grid's records: smallest dimensions per level, PCA at half the size, seed
spread, the same-recipe pair, quality against bytes."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..results import type_order
from ..results import mean_retention
from .grid import main_rows
from .methods import DS_METHODS, FITS, LEVELS, METHOD_LABELS, is_upper_bound
from ...stats import separated


def retention_by_type(results: pd.DataFrame) -> pd.DataFrame:
    """Mean retention per (model, method, dim, task type) over the type's tasks scored at that dim."""
    return mean_retention(main_rows(results), ["model", "method", "dim", "task_type"])


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
    """Zhang, Zhou & Bollegala (2024, ``findings.ZHANG_2024``): PCA halves the dimension for about 1% loss.
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
    from ...stats import mean_difference

    pair = p["pair"]
    small, large = pair["small"], pair["large"]
    dim = p["native"][small]
    # tasks both models were scored on natively; a variant missing on one of them (a transductive PCA
    # with more components than a task has texts) is left out rather than compared on fewer tasks
    fast = [t for t in p["tasks"] if (small, "native", dim, t) in items and (large, "native", p["native"][large], t) in items]
    variants = [(m, d) for m, d in [("native", p["native"][large])] + [(m.name, dim) for m in p["methods"]]
                if fast and all((large, m, d, t) in items for t in fast)]
    base = [items[small, "native", dim, t] for t in fast]
    settings = exp.resampling
    rows = []
    for method, d in variants:
        keys = [(large, method, d, t) for t in fast]
        cmp = mean_difference(list(zip([items[k] for k in keys], base)), **settings)
        rows.append({"large model": f"{large} · {METHOD_LABELS.get(method, method)} · {d}", "large": large,
                     "method": method, "kind": "upper bound" if is_upper_bound(method) else "method", "dim": d,
                     "small": small, "small dim": dim, "mean (large)": np.mean([items[k].point() for k in keys]),
                     "mean (small)": np.mean([b.point() for b in base]),
                     "difference": cmp["difference"], "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                     "separated": separated(cmp), "tasks": ", ".join(fast),
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


def quality_bytes_frame(results: pd.DataFrame, tasks: list[str]) -> pd.DataFrame:
    """Mean main score over ``tasks`` (those scored at every dimension, ``grid_tasks``) against bytes per
    float32 vector, per (model, method, dim); ``upper_bound`` marks the transductive fit."""
    main = main_rows(results)
    main = main[main["task"].isin(tasks)]
    frame = main.groupby(["model", "method", "dim"])["value"].mean().rename("quality").reset_index()
    return frame.assign(bytes=4 * frame["dim"], upper_bound=frame["method"].map(is_upper_bound))
