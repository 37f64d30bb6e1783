"""Experiment 02: why the upper bound (PCA fitted on the evaluated texts) levels off below 100%.

PCA subtracts the mean of the texts it is fitted on before it projects, and every output is
re-normalised; at a dimension near the native size the projection keeps almost all of the variance, so
what is left of the change is the centring. ``centring_alone`` tests that directly: the same evaluated
texts' mean subtracted from every vector, no dimension removed (``transforms.Centering``, fitted
transductively like the upper bound). Where centring alone scores what the upper bound's plateau
scores, the plateau is the centring, not the dimensions.
"""

from __future__ import annotations

import pandas as pd

from ...vectors.transforms import Centering
from ..calibration import task_vectors
from .plan import grid_tasks


METHOD = "centring_transductive"


def centring_alone(exp, p: dict, results: pd.DataFrame) -> pd.DataFrame:
    """Records (like ``run_grid``'s, ``method`` = ``centring_transductive`` at the native size) of every
    grid model on every grid task with the mean of the task's own texts subtracted, all dims kept."""
    native = results[(results["method"] == "native") & results["main"].astype(bool)].set_index(["model", "task"])["value"]
    frames = []
    for model in p["models"]:
        for task in grid_tasks(p):
            centring = Centering().fit(task_vectors(exp, model, task)[1], source=task, transductive=True)
            frame = exp.evaluate([model], [task], transform=centring, intrinsic=False, progress=False,
                                 items={}, n_experiments=p["n_experiments"])
            frames.append(frame.assign(method=METHOD, dim=p["native"][model], native_dim=p["native"][model],
                                       upper_bound=True, fit="transductive (centring only)"))
    out = pd.concat(frames, ignore_index=True)
    key = pd.MultiIndex.from_frame(out[["model", "task"]])
    out["retention"] = out["value"].to_numpy() / native.reindex(key).to_numpy()
    return out


def plateau_table(results: pd.DataFrame, centred: pd.DataFrame) -> pd.DataFrame:
    """Per (model, grid task): the upper bound's retention at its largest scored dimension beside
    centring alone's retention (all dims), and their difference."""
    bound = results[(results["method"] == "pca_transductive") & results["main"].astype(bool) & results["value"].notna()]
    top = bound.loc[bound.groupby(["model", "task"])["dim"].idxmax(), ["model", "task", "dim", "native_dim", "retention"]]
    alone = centred[centred["main"].astype(bool)][["model", "task", "retention"]]
    table = top.rename(columns={"dim": "upper bound's largest dim", "retention": "upper bound retention"}).merge(
        alone.rename(columns={"retention": "centring alone retention"}), on=["model", "task"])
    table["difference"] = table["upper bound retention"] - table["centring alone retention"]
    return table.reset_index(drop=True)


def plateau_sentence(table: pd.DataFrame, threshold: float = 0.95, within: float = 0.02) -> str:
    """One sentence: where the upper bound stays below ``threshold`` at its largest dimension, what
    centring alone keeps on the same task, and whether that accounts for the plateau (``within``:
    the largest |difference| that counts as the same score). Every number from ``table``."""
    low = table[table["upper bound retention"] < threshold]
    if low.empty:
        return ""
    top = "upper bound's largest dim"
    parts = [f"{r['model']} on {r['task']}: {r['upper bound retention']:.1%} at {int(r[top])} "
             f"of {int(r['native_dim'])} dims, centring alone {r['centring alone retention']:.1%}"
             for _, r in low.iterrows()]
    head = ("**Why the upper bound levels off below 100%**: PCA first subtracts the mean of the texts it is fitted on. "
            "Subtracting that mean alone, every dimension kept (" + "; ".join(parts) + "): ")
    apart = low[low["difference"].abs() > within]
    if apart.empty:
        return head + (f"the same score to within {low['difference'].abs().max():.1%}, so the plateau is the centring, "
                       "not lost dimensions.")
    return head + (f"centring alone does not account for {len(apart)} of these {len(low)} (difference above "
                   f"{within:.0%}): there the dimensions removed matter too.")
