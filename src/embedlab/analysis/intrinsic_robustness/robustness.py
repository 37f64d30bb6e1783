"""Experiment 04, claim C09: how far noise moves a text's vector and a pair's similarity, and the main score on noisy texts."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...intrinsic import robustness
from ...tasks import NOISED_FIELDS
from .plan import C09_BOUND, C09_RATE, model_label, models_scored_on, wrap_title
from ...stats import separated


def run_robustness(exp, p: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """For each block: every model on the clean task and each noisy variant (main scores as records with
    ``noise`` / ``rate``), how far noise moves each text's vector (``intrinsic.robustness``: mean cos(original,
    noisy) and the change of pairwise similarities), and the per-item data for paired tests
    (``{(model, task): ItemScores}``)."""
    frames, rows, items = [], [], {}
    for block in p["robustness"].values():
        cleans = list(dict.fromkeys(c for c, _ in block["pairs"]))
        names = cleans + [n for _, n in block["pairs"]]
        frame = exp.evaluate(block["models"], names, intrinsic=False, progress=False, items=items,
                             n_experiments=p["n_experiments"])
        noise = {n: exp.task(n)["noise"] for n in names if n not in cleans}
        frame["noise"] = frame["task"].map(lambda t: noise[t]["kind"] if t in noise else "none")
        frame["rate"] = frame["task"].map(lambda t: noise[t]["rate"] if t in noise else 0.0)
        frame["clean_task"] = frame["task"].map(lambda t: noise[t]["of"] if t in noise else t)
        frames.append(frame)
        for clean, name in block["pairs"]:
            c, z = exp.task(clean), exp.task(name)
            fields = NOISED_FIELDS[c["type"]]
            orig = list(dict.fromkeys(t for f in fields for t in c["splits"]["test"][f]))
            mapping = {}
            for f in fields:
                mapping.update(zip(c["splits"]["test"][f], z["splits"]["test"][f]))
            noisy = [mapping[t] for t in orig]
            for model in models_scored_on(exp, block["models"], clean):
                a = np.asarray(exp.encoder(model, c).lookup(orig, "query"))
                b = np.asarray(exp.encoder(model, z).lookup(noisy, "query"))
                r = robustness(a, b)
                rows.append({"model": model, "task": name, "clean_task": clean, "noise": z["noise"]["kind"],
                             "rate": z["noise"]["rate"], "measured_rate": z["noise"]["measured_rate"],
                             "texts": len(orig), "unchanged texts": int(sum(x == y for x, y in zip(orig, noisy))), **r})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows), items


def score_drops(scores: pd.DataFrame, items: dict, settings: dict) -> pd.DataFrame:
    """Per (model, noisy task): main score noisy − clean on the same test items (paired bootstrap)."""
    from ...stats import paired_bootstrap

    main = scores[scores["main"].astype(bool) & (scores["noise"] != "none")]
    rows = []
    for _, r in main.iterrows():
        a, b = items.get((r["model"], r["task"])), items.get((r["model"], r["clean_task"]))
        if a is None or b is None:
            continue
        d = paired_bootstrap(a, b, n_resamples=settings["bootstrap_resamples"], seed=settings["bootstrap_seed"])
        clean = b.point()
        rows.append({"model": r["model"], "task": r["task"], "clean_task": r["clean_task"], "noise": r["noise"],
                     "rate": r["rate"], "clean": clean, "noisy": r["value"], "difference": d["difference"],
                     "relative": d["difference"] / clean if clean else np.nan, "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "separated": separated(d)})
    return pd.DataFrame(rows)


def robustness_figure(moves: pd.DataFrame, drops: pd.DataFrame, title: str):
    """Top: 1 − mean cos(original, noisy) by rate, one panel per noise kind, a line per model.
    Bottom: the main-score drop by rate for each clean task (mean over the English noise kinds)."""
    import matplotlib.pyplot as plt

    kinds = list(dict.fromkeys(moves["noise"]))
    cleans = list(dict.fromkeys(drops["clean_task"])) if not drops.empty else []
    ncol = max(len(kinds), len(cleans), 1)
    fig, axes = plt.subplots(2, ncol, figsize=(3.6 * ncol, 7.5), squeeze=False)
    models = list(dict.fromkeys(moves["model"]))
    colours = {m: plt.cm.tab20(i % 20) for i, m in enumerate(models)}
    for ax, kind in zip(axes[0], kinds):
        sub = moves[moves["noise"] == kind]
        for model, g in sub.groupby("model", sort=False):
            g = g.groupby("rate")["vector_move"].mean()
            ax.plot(g.index * 100, g.values * 100, marker="o", ms=3, color=colours[model], label=model)
        ax.axhline(C09_BOUND * 100, color="black", ls="--", lw=0.8)
        ax.set_title(f"{kind}", fontsize=9), ax.set_xlabel("noise rate (%)"), ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"vector move, 1 − mean cos(original, noisy) (%)\n(dashed: C09's {C09_BOUND:.0%})")
    for ax, clean in zip(axes[1], cleans):
        sub = drops[drops["clean_task"] == clean]
        for model, g in sub.groupby("model", sort=False):
            g = g.groupby("rate")["relative"].mean()
            ax.plot(g.index * 100, g.values * 100, marker="o", ms=3, color=colours.get(model, "grey"))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"{clean}: main score", fontsize=9), ax.set_xlabel("noise rate (%)"), ax.grid(alpha=0.3)
    if cleans:
        axes[1][0].set_ylabel("noisy − clean main score (% of clean;\nmean over noise kinds)")
    for r, used in enumerate((len(kinds), len(cleans))):
        for ax in axes[r][used:]:
            ax.axis("off")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colours[m], marker="o", ms=3) for m in models]
    fig.legend(handles, models, loc="lower center", ncol=min(5, len(models)), fontsize=7, bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(wrap_title(title), fontsize=10)
    fig.tight_layout()
    return fig


def moves_at_rate(moves: pd.DataFrame, rate: float = C09_RATE) -> pd.DataFrame:
    return moves[np.isclose(moves["rate"], rate)] if not moves.empty else moves


def robustness_title(moves: pd.DataFrame, drops: pd.DataFrame, names: dict | None = None) -> str:
    at = moves_at_rate(moves)
    parts = []
    if len(at):
        worst = at.loc[at["vector_move"].idxmax()]
        parts.append(f"at {C09_RATE:.0%} noise a text's vector moves {at['vector_move'].min():.1%}–{at['vector_move'].max():.1%} "
                     f"(1 − cos; largest {model_label(worst['model'], names)}, {worst['noise']}), "
                     f"{at['vector_move_relative'].min():.0%}–{at['vector_move_relative'].max():.0%} of the distance between "
                     f"random texts, and pair similarities change by {at['similarity_change'].min():.0%}–"
                     f"{at['similarity_change'].max():.0%}")
    sep = drops[drops["separated"] & (drops["difference"] < 0)] if not drops.empty else drops
    parts.append(f"{len(sep)} of {len(drops)} noisy test sets score measurably below their clean version")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


#: The robustness records' metrics: both readings of claim C09 (``vector_move``: 1 − cos(original, noisy);
#: ``similarity_change``: mean relative change of pair similarities) and their references.
ROBUSTNESS_METRICS = ["vector_move", "cosine_orig_noisy", "random_pair_cosine", "vector_move_relative",
                      "similarity_change", "similarity_abs_change"]


def robustness_records(moves: pd.DataFrame) -> pd.DataFrame:
    """Per (model, noisy task: clean task, noise kind, rate) every ``ROBUSTNESS_METRICS`` value as a record."""
    out = moves.melt(id_vars=["model", "task", "clean_task", "noise", "rate", "measured_rate"],
                     value_vars=ROBUSTNESS_METRICS, var_name="metric", value_name="value")
    return out.assign(task_type="robustness", language=out["task"].map(lambda t: "zh" if "-zh" in t else "en"),
                      main=out["metric"] == "similarity_change", section="robustness")


def robustness_table(moves: pd.DataFrame, rate: float = C09_RATE) -> pd.DataFrame:
    """At ``rate``: per (model, clean task, kind) both readings of C09 next to the reference distance."""
    cols = ["vector_move", "random_pair_cosine", "vector_move_relative", "similarity_change"]
    return moves_at_rate(moves, rate).set_index(["model", "clean_task", "noise"])[cols]
