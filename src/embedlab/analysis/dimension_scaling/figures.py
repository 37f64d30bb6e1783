"""Experiment 02's figures and their titles. Every method is drawn under its label
(``dimension_scaling.METHOD_LABELS``); the upper bound (PCA fitted on the evaluated texts) is a dashed
line or a hollow marker, left out of every ranking and of the Pareto front."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..results import pareto_front, short_name, type_order
from .methods import LEVELS, METHOD_LABELS, SHORT_LABELS, UPPER_BOUND_TEXT, is_upper_bound
from .tables import retention_by_type, threshold_matrix


METHOD_STYLE = {"truncation": ("#1f77b4", "o"), "pca_in_domain": ("#d62728", "s"), "pca_off_domain": ("#9467bd", "P"),
                "pca_transductive": ("#ff7f0e", "^"), "pca_whiten": ("#8c564b", "v"),
                "random_projection": ("#2ca02c", "D"), "native": ("#000000", "*")}


def label(method: str) -> str:
    return METHOD_LABELS.get(method, method)


def retention_figure(results: pd.DataFrame):
    """Retention against dimension, one line per method (mean over models, band: min–max over models),
    one panel per task type, log-2 x axis; the upper bound dashed."""
    import matplotlib.pyplot as plt

    by = retention_by_type(results)
    by = by[by["method"] != "native"]
    kinds = sorted(by["task_type"].unique(), key=type_order)
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.6 * len(kinds), 3.8), sharey=True, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        part = by[by["task_type"] == kind]
        for method, m in sorted(part.groupby("method"), key=lambda g: is_upper_bound(g[0])):
            stats = m.groupby("dim")["retention"].agg(["mean", "min", "max"])
            color, marker = METHOD_STYLE.get(method, ("#333333", "."))
            bound = is_upper_bound(method)
            ax.plot(stats.index, stats["mean"], marker=marker, color=color, label=label(method), ms=4,
                    ls="--" if bound else "-", mfc="none" if bound else color)
            if not bound:
                ax.fill_between(stats.index, stats["min"], stats["max"], color=color, alpha=0.12)
        ax.axhline(0.99, color="#555555", lw=0.8, ls="--")
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        ax.set_title(kind, fontsize=10)
        ax.set_xlabel("target dimension")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("retention (reduced / native score)")
    axes[0][0].set_ylim(max(0.3, float(by["retention"].min()) - 0.05), 1.05)
    axes[0][-1].legend(fontsize=7, loc="lower right")
    return fig, axes


def retention_title(results: pd.DataFrame, dim: int = 128) -> str:
    """At ``dim``: the methods' mean retention (best and worst), the upper bound's apart."""
    by = retention_by_type(results)
    at = by[(by["method"] != "native") & (by["dim"] == dim)]
    means = at.groupby("method")["retention"].mean()
    methods = means[[not is_upper_bound(m) for m in means.index]].sort_values(ascending=False)
    if methods.empty:
        return "Retention of the native score against dimension"
    text = (f"At {dim} dims {SHORT_LABELS.get(methods.index[0], methods.index[0])} keeps {methods.iloc[0]:.0%} of the "
            f"native score on average, {SHORT_LABELS.get(methods.index[-1], methods.index[-1])} {methods.iloc[-1]:.0%}")
    bound = means[[is_upper_bound(m) for m in means.index]]
    return text + (f"; {UPPER_BOUND_TEXT}: {bound.iloc[0]:.0%}" if len(bound) else "")


def threshold_figure(table: pd.DataFrame, title: str):
    """The smallest dimension keeping 99% / 95% of the native score, as two heatmaps (rows: model ·
    method label; the upper bound's rows last per model)."""
    import matplotlib.pyplot as plt

    levels = [f"{lv:.0%}" for lv in LEVELS]
    order = list(dict.fromkeys(table["model"] + " · " + table["method"].map(label)))
    mats = [threshold_matrix(table, lv).reindex(order) for lv in levels]
    cols = sorted(mats[0].columns, key=type_order)
    fig, axes = plt.subplots(1, 2, figsize=(4 + 1.3 * len(cols) * 2, 0.36 * len(mats[0]) + 2), sharey=True)
    for ax, mat, level in zip(axes, mats, levels):
        mat = mat[cols]
        data = np.log2(mat.to_numpy(dtype=float))
        ax.imshow(data, cmap="viridis_r", aspect="auto", vmin=4, vmax=9.6)
        ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(mat)), mat.index, fontsize=7.5)
        for i in range(mat.shape[0]):
            for j in range(mat.shape[1]):
                v = mat.iat[i, j]
                if pd.notna(v):
                    ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=7,
                            color="white" if np.log2(v) < 6.8 else "black")
        ax.set_title(f"keeps {level} of the native score", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def pareto_title(frame: pd.DataFrame) -> str:
    """How many (model, method, dim) points are on the front of the methods (upper bound left out), and
    the smallest of them."""
    methods = frame[~frame["upper_bound"]]
    front = pareto_front(methods, "bytes", "quality")
    first = front.iloc[0]
    return (f"{len(front)} of {len(methods)} (model, method, dim) points are on the Pareto front; the smallest is "
            f"{first['model']} {SHORT_LABELS.get(first['method'], first['method'])} at {int(first['dim'])} dims "
            "(upper bound: hollow, not on the front)")


def pareto_figure(frame: pd.DataFrame, title: str, ylabel: str = "mean main score (0–1)"):
    """Quality against bytes per vector; the front is over the methods only (the upper bound hollow)."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    models = list(dict.fromkeys(frame["model"]))
    markers = dict(zip(models, "os^Dv<>ph"))
    for (model, method), part in frame.groupby(["model", "method"]):
        color, _ = METHOD_STYLE.get(method, ("#333333", "."))
        bound = is_upper_bound(method)
        ax.scatter(part["bytes"], part["quality"], marker=markers[model], s=22, alpha=0.75,
                   facecolors="none" if bound else color, edgecolors=color)
    front = pareto_front(frame[~frame["upper_bound"]], "bytes", "quality")
    ax.plot(front["bytes"], front["quality"], color="black", lw=1.2, label="Pareto front (methods)")
    for _, row in front.iterrows():
        ax.annotate(f"{short_name(row['model'])} · {SHORT_LABELS.get(row['method'], row['method'])} · {int(row['dim'])}",
                    (row["bytes"], row["quality"]), fontsize=6.5, xytext=(3, -9), textcoords="offset points")
    for method, (color, _) in METHOD_STYLE.items():
        if method in set(frame["method"]):
            ax.scatter([], [], marker="s", label=label(method), edgecolors=color,
                       facecolors="none" if is_upper_bound(method) else color)
    for model, marker in markers.items():
        ax.scatter([], [], color="#666666", marker=marker, label=model)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("bytes per vector (float32)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def search_figure(costs: pd.DataFrame, title: str):
    """ms per query against dimension, one query at a time and batched (bars: range over repeats)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.9))
    threads = int(costs["threads"].iloc[0])
    for ax, (col, name) in zip(axes, [("single_ms_per_query", "one query at a time"),
                                      ("batch_ms_per_query", "batch of queries, per query")]):
        lo, hi = costs[col.replace("per_query", "min")], costs[col.replace("per_query", "max")]
        ax.errorbar(costs["dim"], costs[col], yerr=[costs[col] - lo, hi - costs[col]], marker="o", capsize=3)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("dimension")
        ax.set_ylabel("ms per query (median of interleaved rounds)")
        ax.set_title(f"{name} ({threads} faiss thread{'s' if threads > 1 else ''})", fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def variance_figure(curves: dict[str, np.ndarray], title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    for model, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=f"{model} ({len(curve)})", lw=1.3)
    ax.axvline(20, color="#555555", lw=0.8, ls="--")
    ax.axhline(0.85, color="#999999", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("principal components (log scale)")
    ax.set_ylabel("cumulative share of variance")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def threshold_title() -> str:
    return "Smallest scored dimension keeping 99% / 95% of the native score (native size: never reached)"


def pareto_ylabel(grid: list[str]) -> str:
    return f"mean main score over the {len(grid)} tasks scored at every dim"


def variance_title(util: pd.DataFrame) -> str:
    """How much variance the top 20 components hold across the models, and the least concentrated one."""
    best = util.sort_values("pca_variance_top20").iloc[0]
    return (f"Top 20 components hold {util['pca_variance_top20'].min():.0%}–{util['pca_variance_top20'].max():.0%} "
            f"of the variance; least concentrated: {best['model']}")
