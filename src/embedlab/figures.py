"""Figures shared by the experiment notebooks. Each returns a matplotlib Figure; titles state findings."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

FAMILY_COLORS = {
    "contrastive": "#1f77b4", "bert": "#ff7f0e", "decoder": "#2ca02c", "static": "#7f7f7f",
    "multilingual": "#9467bd",
}


NA_COLOR = "#d9d9d9"


def score_heatmap(table: pd.DataFrame, title: str, value_label: str = "main score (0–1)",
                  labels: dict[str, str] | None = None):
    """Model × task heatmap of scores (rows: models, columns: tasks), annotated with values.

    NaN cells (no measurement, e.g. an English-only model on Chinese text) are grey "N/A".
    ``labels``: display name per task column (e.g. "STS12 (300 of 3,108 pairs)" for a sampled task).
    """
    n_rows, n_cols = table.shape
    fig, ax = plt.subplots(figsize=(max(8, 0.62 * n_cols + 3), max(4, 0.42 * n_rows + 2)))
    data = table.to_numpy(dtype=float)
    cmap = plt.get_cmap("viridis").with_extremes(bad=NA_COLOR)
    finite = data[np.isfinite(data)]
    lo, hi = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
    im = ax.imshow(np.ma.masked_invalid(data), cmap=cmap, vmin=lo, vmax=hi, aspect="auto")
    names = [(labels or {}).get(c, c) for c in table.columns]
    ax.set_xticks(range(n_cols), names, rotation=55, ha="right", fontsize=8)
    ax.set_yticks(range(n_rows), table.index, fontsize=9)
    mid = np.nanmean(data) if finite.size else 0.5
    for i in range(n_rows):
        for j in range(n_cols):
            if np.isnan(data[i, j]):
                ax.text(j, i, "N/A", ha="center", va="center", fontsize=6.5, color="#555555")
            else:
                ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if data[i, j] < mid else "black")
    fig.colorbar(im, ax=ax, label=value_label, shrink=0.8)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


def _error_bars(values: np.ndarray, low, high) -> np.ndarray | None:
    """matplotlib ``yerr`` (2 × n distances below / above) from interval bounds; None without bounds."""
    if low is None or high is None:
        return None
    low, high = np.asarray(low, float), np.asarray(high, float)
    return np.nan_to_num(np.vstack([values - low, high - values]).clip(min=0))


def grouped_bars(table: pd.DataFrame, title: str, ylabel: str, low: pd.DataFrame | None = None,
                 high: pd.DataFrame | None = None):
    """Bars grouped by row (e.g. task type), one bar per column (e.g. pooling variant).

    ``low`` / ``high``: tables shaped like ``table`` with each bar's 95% interval, drawn as error bars.
    """
    fig, ax = plt.subplots(figsize=(max(7, 1.4 * len(table) + 2), 4.5))
    width = 0.8 / max(1, table.shape[1])
    x = np.arange(len(table))
    for k, col in enumerate(table.columns):
        values = table[col].to_numpy(dtype=float)
        yerr = _error_bars(values, None if low is None else low[col], None if high is None else high[col])
        positions = x + k * width - 0.4 + width / 2
        bars = ax.bar(positions, values, width, label=col, yerr=yerr,
                      error_kw={"elinewidth": 0.8, "capsize": 2, "ecolor": "#333333"})
        if yerr is None:
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
        else:  # inside the bar, so the error bar above stays readable
            ax.bar_label(bars, fmt="%.2f", fontsize=7, label_type="center", color="white")
        for pos in positions[np.isnan(values)]:
            ax.text(pos, 0.01, "N/A", ha="center", va="bottom", fontsize=7, color="#555555", rotation=90)
    ax.set_xticks(x, table.index, rotation=15)
    ax.set_xlim(-0.5, len(table) - 0.5)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, ncols=min(4, table.shape[1]), loc="upper center", bbox_to_anchor=(0.5, -0.15))
    ax.grid(axis="y", alpha=0.3)
    if low is not None:
        ax.text(1, 1.01, "error bars: 95% bootstrap intervals", transform=ax.transAxes, ha="right", va="bottom",
                fontsize=7, color="#555555")
    fig.tight_layout()
    return fig


def quality_vs_speed(frame: pd.DataFrame, title: str, x: str = "texts_per_second", y: str = "quality",
                     label: str = "model", hue: str = "family", xlabel: str = "encode throughput (texts/s, log scale)",
                     ylabel: str = "mean main score (0–1)", low: str | None = "quality_low",
                     high: str | None = "quality_high"):
    """Scatter of quality against measured throughput, one labelled point per model.

    When ``frame`` has the ``low`` / ``high`` columns (e.g. from ``english_mean_ci``), each point
    gets a vertical 95% interval.
    """
    fig, ax = plt.subplots(figsize=(8, 5))
    has_ci = low in frame.columns and high in frame.columns
    for family, part in frame.groupby(hue):
        color = FAMILY_COLORS.get(family)
        if has_ci:
            values = part[y].to_numpy(dtype=float)
            ax.errorbar(part[x], values, yerr=_error_bars(values, part[low], part[high]), fmt="none",
                        ecolor=color, elinewidth=1, capsize=3, alpha=0.8)
        ax.scatter(part[x], part[y], s=60, label=family, color=color, zorder=3)
        for _, row in part.iterrows():
            ax.annotate(row[label], (row[x], row[y]), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel + (" ± 95% interval" if has_ci else ""))
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
