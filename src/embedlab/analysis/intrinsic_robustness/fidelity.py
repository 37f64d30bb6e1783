"""Experiment 04, claim C07: cosine fidelity of same- and different-class pairs (ROC AUC, chance 0.5) and fixed thresholds."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...intrinsic import AUC_CHANCE, pair_cosines, pair_fidelity
from .plan import model_label, models_scored_on, stored_field, wrap_title


def run_fidelity(exp, p: dict) -> tuple[pd.DataFrame, dict]:
    """Per (model, labelled task): ``intrinsic.fidelity`` (from one set of pair cosines) as records, and the pair cosines of each for the
    distribution figure (``{(model, task): (cosines, same)}``)."""
    f = p["fidelity"]
    rows, cosines = [], {}
    for task in f["tasks"]:
        t = exp.task(task)
        labels = np.asarray([str(v) for v in t["splits"]["test"]["label"]])
        for model in models_scored_on(exp, p["models"], task):
            emb = stored_field(exp, model, task, "text")
            i, j, cos = pair_cosines(emb, int(f["n_pairs"]), int(f.get("seed", 0)))
            same = labels[i] == labels[j]
            cosines[model, task] = (cos, same)
            values = pair_fidelity(cos, same, float(f["same_above"]), float(f["different_below"]))
            rows.append({"model": model, "task": task, "task_type": t["type"], "language": t["language"], **values})
    return pd.DataFrame(rows), cosines


def fidelity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model, the means over the labelled tasks: AUC (next to its chance level, ``auc chance``), medians,
    shares past the thresholds."""
    cols = ["auc", "same_median", "different_median", "same_above", "different_below"]
    table = frame.groupby("model", sort=False)[cols].mean().sort_values("auc", ascending=False)
    table.insert(1, "auc chance", AUC_CHANCE)
    return table


def fidelity_records(frame: pd.DataFrame, thresholds: dict) -> pd.DataFrame:
    names = {"auc": "fidelity_auc", "same_median": "fidelity_same_median", "different_median": "fidelity_different_median",
             "same_above": f"fidelity_same_above_{thresholds['same_above']:g}",
             "different_below": f"fidelity_different_below_{thresholds['different_below']:g}"}
    out = frame.melt(id_vars=["model", "task", "task_type", "language"], value_vars=list(names),
                     var_name="metric", value_name="value")
    return out.assign(metric=out["metric"].map(names), main=out["metric"] == "auc", section="fidelity",
                      chance=np.where(out["metric"] == "auc", AUC_CHANCE, np.nan))


def fidelity_figure(cosines: dict, table: pd.DataFrame, task: str, thresholds: dict, title: str):
    """Same- and different-class cosine distributions per model on one task, with C07's thresholds."""
    import matplotlib.pyplot as plt

    models = [m for m in table.index if (m, task) in cosines]
    fig, ax = plt.subplots(figsize=(12, 0.45 * len(models) + 1.8))
    for k, model in enumerate(models):
        cos, same = cosines[model, task]
        for values, offset, colour in ((cos[same], 0.18, "#2ca02c"), (cos[~same], -0.18, "#d62728")):
            parts = ax.violinplot(values, positions=[k + offset], vert=False, widths=0.34, showmedians=True,
                                  showextrema=False)
            for body in parts["bodies"]:
                body.set_facecolor(colour), body.set_alpha(0.55)
            parts["cmedians"].set_color(colour)
        ax.text(1.02, k, f"AUC {table.loc[model, 'auc']:.2f}", va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.text(1.02, len(models) - 0.4, f"(chance {AUC_CHANCE:g})", va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.axvline(thresholds["same_above"], color="#2ca02c", ls="--", lw=1)
    ax.axvline(thresholds["different_below"], color="#d62728", ls="--", lw=1)
    ax.set_yticks(range(len(models)), models, fontsize=8)
    ax.set_xlabel(f"cosine of a pair of {task} test texts (green: same class, red: different; dashed: C07's "
                  f"{thresholds['same_above']:g} / {thresholds['different_below']:g}; AUC: mean over the labelled tasks, "
                  f"{AUC_CHANCE:g} = no separation)")
    ax.set_title(wrap_title(title), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def fidelity_title(table: pd.DataFrame, thresholds: dict, names: dict | None = None) -> str:
    meets = table[(table["same_above"] > 0.5) & (table["different_below"] > 0.5)]
    above = int((table["auc"] > AUC_CHANCE).sum())
    return (f"A random same-class pair has a higher cosine than a random different-class pair with probability "
            f"{table['auc'].min():.2f}–{table['auc'].max():.2f} (ROC AUC; chance {AUC_CHANCE:g}, perfect 1; above chance "
            f"for {above} of {len(table)} models, best {model_label(table.index[0], names)}), yet {len(meets)} of {len(table)} "
            f"models put most pairs on the right side of fixed {thresholds['same_above']:g} / {thresholds['different_below']:g} "
            "thresholds: each model's cosines live in their own band")
