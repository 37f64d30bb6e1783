"""Experiment 03's figures, drawn from the records."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from ..results import short_name, type_order
from .prose import INDEX_ALONE, rescoring_curves, smallest_recipe
from .frontier import fronts
from .margin import EVERY_MODEL
from .plan import SHORT_INDEX, VARIANT_ORDER
from .vectors import retention_by_type


PRECISION_STYLE = {"float32": ("#000000", "o"), "float16": ("#7f7f7f", "s"), "int8": ("#1f77b4", "^"),
                   "uint8": ("#17becf", "v"), "int8 codes": ("#9467bd", "<"), "uint8 codes": ("#e377c2", ">"),
                   "binary": ("#d62728", "D"), "binary centred": ("#ff7f0e", "P")}


MODEL_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2")


def retention_figure(results: pd.DataFrame, title: str):
    """Retention against float32 per precision, one panel per task type: each model a dot, the mean a bar."""
    import matplotlib.pyplot as plt

    by = retention_by_type(results[results["method"] == "native"])
    kinds = sorted(by["task_type"].unique(), key=type_order)
    models = list(dict.fromkeys(by["model"]))
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.3 * len(kinds), 4.2), sharey=True, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        part = by[by["task_type"] == kind]
        order = [v for v in VARIANT_ORDER if v in set(part["variant"])]
        means = part.groupby("variant")["retention"].mean()
        ax.bar(range(len(order)), [means[v] for v in order], color=[PRECISION_STYLE[v][0] for v in order], alpha=0.25)
        for i, model in enumerate(models):
            rows = part[part["model"] == model].set_index("variant")
            xs = [j + (i - (len(models) - 1) / 2) * 0.12 for j, v in enumerate(order) if v in rows.index]
            ax.scatter(xs, [rows.loc[v, "retention"] for v in order if v in rows.index], s=14,
                       color=MODEL_COLORS[i % len(MODEL_COLORS)], label=model, zorder=3)
        ax.axhline(1.0, color="#333333", lw=0.8)
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.set_xticks(range(len(order)), order, rotation=40, ha="right", fontsize=8)
        ax.set_title(kind, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].set_ylabel("retention (score / float32 score)")
    low = float(by["retention"].min())
    axes[0][0].set_ylim(max(0.0, low - 0.05), max(1.05, float(by["retention"].max()) + 0.02))
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle(title, fontsize=10.5)
    fig.supxlabel("candidates re-ranked = k × m", fontsize=9)
    fig.tight_layout()
    return fig


def rescoring_figure(frame: pd.DataFrame, title: str):
    """nDCG@10 retention against the rescoring multiplier, one panel per model, with its 95% interval over
    queries (shaded); dotted: the index's own top 10 without rescoring."""
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(frame["model"]))
    precisions = [q for q in dict.fromkeys(frame["precision"]) if q != "float32"]
    fig, axes = plt.subplots(1, len(models), figsize=(3.2 * len(models), 3.8), sharey=True, squeeze=False)
    for ax, model in zip(axes[0], models):
        for precision in precisions:
            curves, color = rescoring_curves(frame, precision)[model], PRECISION_STYLE[precision][0]
            for against, curve in curves.groupby(level=0):
                curve = curve.droplevel(0)
                if against == INDEX_ALONE:
                    ax.axhline(float(curve.iloc[0]), color=color, lw=1, ls=":", label=f"{precision}, no rescoring")
                else:
                    ax.plot(curve.index, curve.to_numpy(), marker="o", ms=4, color=color,
                            ls="-" if against == "quantized" else "--", label=f"{precision}, rescored against {against} rows")
                    band = frame[(frame["model"] == model) & (frame["precision"] == precision)
                                 & (frame["rescore_against"] == against)]
                    if "retention_ci_low" in band and band["task"].nunique() == 1:  # 95% interval over queries
                        band = band.sort_values("rescore_multiplier")
                        ax.fill_between(band["rescore_multiplier"], band["retention_ci_low"], band["retention_ci_high"],
                                        color=color, alpha=0.12, lw=0)
        ax.axhline(1.0, color="#333333", lw=0.8)
        ax.set_xscale("log", base=2)
        ax.set_xticks(sorted(frame["rescore_multiplier"].dropna().unique()))
        ax.get_xaxis().set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:g}"))
        ax.set_xlabel("m (log scale)")
        ax.set_title(model, fontsize=9)
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("nDCG@10 / exact float32 nDCG@10")
    axes[0][-1].legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def search_figure(costs: pd.DataFrame, title: str):
    """ms per query at each precision for both query patterns (bars: median over interleaved rounds,
    whiskers: range), the per-round speed-up against float32 (median) written on each bar."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    x = np.arange(len(costs))
    for ax, (pattern, label) in zip(axes, [("single", "one query at a time (serving)"),
                                           ("batch", f"batch of {int(costs['batch'].iloc[0]):,} queries (offline), per query")]):
        mid = costs[f"{pattern}_ms_per_query"].to_numpy()
        err = [mid - costs[f"{pattern}_ms_min"].to_numpy(), costs[f"{pattern}_ms_max"].to_numpy() - mid]
        ax.bar(x, mid, yerr=err, capsize=3, color=[PRECISION_STYLE[p][0] for p in costs["precision"]], alpha=0.75)
        top = costs[f"{pattern}_ms_max"].to_numpy()
        for i, (v, r) in enumerate(zip(top, costs[f"{pattern} speed-up"])):
            ax.annotate(f"{r:.2g}×", (i, v), xytext=(0, 3), textcoords="offset points", ha="center", fontsize=8.5)
        ax.set_xticks(x, [f"{p}\n{SHORT_INDEX[p]}" for p in costs["precision"]], fontsize=8)
        ax.set_ylim(0, top.max() * 1.12)
        ax.set_ylabel("ms per query (median of interleaved rounds)")
        ax.set_title(label, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def frontier_figure(frame: pd.DataFrame, table: pd.DataFrame, title: str, y: str = "margin retention",
                    decoders: tuple = ()):
    """Margin retention (``margin``) against bytes per vector (log scale), one panel per task
    type: every (model, recipe), the marker its precision, hollow where reduced; one Pareto front line per
    model; the panel title names the smallest recipe whose interval stays within 5% for every embedding
    model and the best embedding model's (``decoders`` are drawn, never named best)."""
    import matplotlib.pyplot as plt

    kinds = sorted(frame["task_type"].unique(), key=type_order)
    models = list(dict.fromkeys(frame["model"]))
    cols = 2 if len(kinds) == 4 else min(3, len(kinds))
    rows = -(-len(kinds) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.3 * rows), squeeze=False)
    front = fronts(frame, y)
    frame = frame.assign(retention=frame[y])
    front = front.assign(retention=front[y])
    for ax, kind in zip(axes.flat, kinds):
        part = frame[frame["task_type"] == kind]
        for i, model in enumerate(models):
            color = MODEL_COLORS[i % len(MODEL_COLORS)]
            pts = part[part["model"] == model]
            for precision, pp in pts.groupby("precision"):
                marker = PRECISION_STYLE[precision][1]
                native = pp["method"] == "native"
                ax.scatter(pp.loc[native, "bytes"], pp.loc[native, "retention"], color=color, marker=marker, s=22)
                ax.scatter(pp.loc[~native, "bytes"], pp.loc[~native, "retention"], facecolor="none", edgecolor=color,
                           marker=marker, s=22, lw=0.8)
            f = front[(front["task_type"] == kind) & (front["model"] == model)].sort_values("bytes")
            ax.step(f["bytes"], f["retention"], where="post", color=color, lw=1.1)
        rows_ = table[table["task type"] == kind]
        every = rows_[rows_["model"] == EVERY_MODEL].iloc[0]
        best = smallest_recipe(rows_[(rows_["model"] != EVERY_MODEL) & ~rows_["model"].isin(decoders)], "5%")
        ax.axhline(0.99, color="#555555", lw=0.8, ls="--")
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        ax.set_xlabel("bytes per vector (log scale)")
        ax.set_ylabel("margin kept: (score − chance) / (float32 − chance)", fontsize=8)
        floor = max(0.3, float(part["retention"].min()) - 0.03) if part["retention"].notna().any() else 0.3
        ax.set_ylim(floor, max(1.03, float(part["retention"].max()) + 0.02))
        hidden = int((part["retention"] < floor).sum())
        if hidden:
            ax.text(0.98, 0.02, f"{hidden} points below {floor:.2f} not shown", transform=ax.transAxes, ha="right",
                    fontsize=7, color="#555555")
        ax.set_title(f"{kind}\nevery embedding model within 5%: {int(every['within 5%: bytes'])} B "
                     f"({every['within 5%: recipe']})\n"
                     f"best embedding model: {short_name(best['model'])}, {int(best['within 5%: bytes'])} B "
                     f"({best['within 5%: recipe']})", fontsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(kinds):]:
        ax.axis("off")
    handles = [plt.Line2D([], [], color=MODEL_COLORS[i % len(MODEL_COLORS)], label=m) for i, m in enumerate(models)]
    handles += [plt.Line2D([], [], color="#444444", marker=PRECISION_STYLE[p][1], ls="", label=p)
                for p in VARIANT_ORDER if p in set(frame["precision"])]
    handles += [plt.Line2D([], [], color="#444444", marker="o", mfc="none", ls="", label="reduced (hollow)")]
    fig.legend(handles=handles, fontsize=7.5, loc="center left", bbox_to_anchor=(1.0, 0.5))
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def weights_figure(table: pd.DataFrame, title: str):
    """Per variant (rows): weight size, encode speed and quality, each against its reference."""
    import matplotlib.pyplot as plt

    t = table.iloc[::-1]
    references = set(table["reference"])
    labels = [f"{m} ({p})" if r else f"{m} ({p}, reference)" if m in references else f"{m} ({p}, no fp32 original offline)"
              for m, p, r in zip(t["model"], t["precision"], t["reference"])]
    fig, axes = plt.subplots(1, 3, figsize=(15, 0.42 * len(t) + 1.6), sharey=True)
    colour = ["#1f77b4" if r else "#7f7f7f" for r in t["reference"]]
    for ax, column, xlabel in zip(axes, ["weights MB", "texts/s", "mean main score"],
                                  ["weights run (MB)", "texts per second (throughput stage, log)",
                                   "mean main score over the weight tasks"]):
        ax.barh(range(len(t)), t[column].fillna(0), color=colour)
        ax.set_xlabel(xlabel)
        ax.grid(axis="x", alpha=0.3)
    axes[1].set_xscale("log")
    axes[0].set_yticks(range(len(t)), labels, fontsize=8)
    for i, (_, r) in enumerate(t.iterrows()):
        if r["reference"] and pd.notna(r.get("retention")):
            axes[2].text(r["mean main score"], i, f" {r['retention']:.1%}", va="center", fontsize=7)
    fig.suptitle(textwrap.fill(title, 150), fontsize=10)  # one long line would set the figure's width
    fig.tight_layout()
    return fig
