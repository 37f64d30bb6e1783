"""Experiment 02's written findings: the headline and the interpretation, every number from the
tables ``dimension_scaling`` computes (no number typed in). The upper bound (PCA fitted on the
evaluated texts) is always named apart from the methods, never ranked with them."""

from __future__ import annotations

import pandas as pd

from ...schema import Findings
from .methods import SHORT_LABELS, UPPER_BOUND_TEXT


#: The published claim the half-dimension check tests, and how its protocol differs from ours.
ZHANG_2024 = ("Zhang, Zhou & Bollegala (LREC-COLING 2024, arXiv:2403.14001): six encoders (all-mpnet-base-v2 "
              "the only one shared with us) on three evaluation tasks, each reduction fitted on the task's "
              "train split (inductive) or on its evaluated data (transductive); PCA halves the dimension for "
              "about 1% loss. Comparable here: in-domain PCA on the tasks that have training data. Not the "
              "same: our scores are mteb main scores (mostly on sampled test sets), our outputs are "
              "re-normalised, and the fits exclude every test text of every evaluated task")


def _scope(row) -> str:
    """`` (on its N tasks with training data)`` for the in-domain PCA row, which is judged on those only."""
    if row["method"] != "pca_in_domain":
        return ""
    n = int(row["tasks"])
    return f" (on the {n} task{'s' if n != 1 else ''} with training data: {row['judged on']})"


def _dims_text(rows: pd.DataFrame, level: str) -> str:
    """``method dim`` for each method row ("none below <native>" where the level is not reached)."""
    return ", ".join(f"{SHORT_LABELS.get(r['method'], r['method'])} "
                     + (f"{int(r[level])}" if r[f"{level} reached below native"] else f"none below {int(r['native dim'])}")
                     + _scope(r) for _, r in rows.iterrows())


def grid_size(per_model: pd.DataFrame) -> int:
    """How many tasks were scored at every dimension (the rows judged on every grid task)."""
    return int(per_model.loc[per_model["method"] != "pca_in_domain", "tasks"].max())


def smallest_dims_text(per_model: pd.DataFrame, level: str) -> str:
    """Per model: the methods' smallest scored dims at ``level``, then the upper bound's, separately."""
    parts = []
    for model, rows in per_model.groupby("model", sort=False):
        methods, bound = rows[rows["kind"] == "method"], rows[rows["kind"] == "upper bound"]
        text = f"`{model}` ({int(rows['native dim'].iloc[0])}): {_dims_text(methods, level)}"
        if not bound.empty:
            r = bound.iloc[0]
            text += (f"; {UPPER_BOUND_TEXT} " + (f"{int(r[level])}" if r[f"{level} reached below native"]
                                                  else f"none below {int(r['native dim'])}"))
        parts.append(text)
    return "; ".join(parts)


def half_dimension_text(half: pd.DataFrame) -> str:
    ok = half.dropna(subset=["mean retention"]) if not half.empty else half
    return "; ".join(f"`{r['model']}` {SHORT_LABELS.get(r['method'], r['method'])} {r['native']}→{r['half']}: loss "
                     f"{r['loss']:.1%} over {int(r['tasks'])} tasks ({'agrees' if r['agrees (loss ≤ 1.5%)'] else 'does not agree'})"
                     for _, r in ok.iterrows())


def interpretation(per_model, half, pair, costs_text, util, spread) -> str:
    """The written findings, computed from the tables (no number typed in). ``per_model``:
    ``smallest_dims_per_model``; ``costs_text``: ``costs.cost_sentence`` of the search records."""
    lines = []
    if not per_model.empty:
        for level in ("99%", "95%"):
            lines.append(f"**Smallest scored dimension keeping {level} of the native score** (mean retention over the "
                         f"{grid_size(per_model)} tasks scored at every dimension, per model; in-domain PCA on the tasks "
                         "that have training data): "
                         + smallest_dims_text(per_model, level) + ".")
    text = half_dimension_text(half)
    if text:
        lines.append(f"**PCA to half the dimension** ({ZHANG_2024}): {text}.")
    if not pair.empty:
        parts = []
        for _, r in pair.iterrows():
            verdict = ("better" if r["difference"] > 0 else "worse") if r["separated"] else "not separated"
            parts.append(f"{r['large model']} {r['difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] ({verdict})")
        lines.append("**A bigger model cut down, or a small one?** Paired difference of the mean main score over "
                     f"{len(str(pair['tasks'].iloc[0]).split(', '))} tasks ({pair['task types'].iloc[0]}) against "
                     f"`{pair['small'].iloc[0]}` at its native {int(pair['small dim'].iloc[0])}: " + "; ".join(parts) + ".")
    if costs_text:
        lines.append(costs_text)
    if not util.empty:
        top = util.sort_values("effective_rank", ascending=False).iloc[0]
        lines.append(f"**Dimension use**: the top 20 components hold {util['pca_variance_top20'].min():.0%}–"
                     f"{util['pca_variance_top20'].max():.0%} of the variance across models; the highest effective "
                     f"rank is `{top['model']}`'s {top['effective_rank']:.0f} of {int(top['native dim'])}.")
    if not spread.empty:
        lines.append(f"**Random projection seeds**: the main score varies by at most {spread['std'].max():.3f} "
                     f"(standard deviation over {int(spread['seeds'].max())} seeds) at {int(spread['dim'].iloc[0])} dims.")
    return "\n\n".join(lines)


def headline(per_model: pd.DataFrame, half: pd.DataFrame) -> str:
    """Two sentences for reports/SUMMARY.md: per model, the smallest scored dimension keeping 99% for
    each method and, apart, the upper bound; then in-domain PCA at half the native size."""
    text = ""
    if not per_model.empty:
        text = (f"Smallest scored dimension keeping 99% of the native score (mean over the {grid_size(per_model)} "
                "tasks scored at every dimension; in-domain PCA over those with training data), per model: " + smallest_dims_text(per_model, "99%") + ".")
    ok = half[half["method"] == "pca_in_domain"].dropna(subset=["mean retention"]) if not half.empty else half
    if not ok.empty:
        text += (" PCA fitted on each task's training data, at half the native size, loses "
                 + ", ".join(f"{r['loss']:.1%} ({r['model']})" for _, r in ok.iterrows())
                 + f" over the tasks that have training data (Zhang et al. 2024, same protocol on other tasks: about 1%).")
    return text.strip()


KEY_FIGURE = "retention_vs_dimension"


def findings(per_model, half, pair, search_records, util, spread, plateau) -> Findings:
    """The headline (smallest dimension per model, the half-dimension check), the key figure and the
    interpretation (with the search cost and the upper bound's plateau)."""
    from .bound import plateau_sentence
    from .costs import cost_sentence

    text = interpretation(per_model, half, pair, cost_sentence(search_records), util, spread)
    return Findings(headline=headline(per_model, half), key_figure=KEY_FIGURE,
                    interpretation=text + "\n\n" + plateau_sentence(plateau))
