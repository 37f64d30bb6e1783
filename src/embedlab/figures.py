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


def score_heatmap(table: pd.DataFrame, title: str, value_label: str = "main score (0–1)"):
    """Model × task heatmap of scores (rows: models, columns: tasks), annotated with values."""
    n_rows, n_cols = table.shape
    fig, ax = plt.subplots(figsize=(max(8, 0.62 * n_cols + 3), max(4, 0.42 * n_rows + 2)))
    data = table.to_numpy(dtype=float)
    im = ax.imshow(data, cmap="viridis", vmin=np.nanmin(data), vmax=np.nanmax(data), aspect="auto")
    ax.set_xticks(range(n_cols), table.columns, rotation=55, ha="right", fontsize=8)
    ax.set_yticks(range(n_rows), table.index, fontsize=9)
    mid = np.nanmean(data)
    for i in range(n_rows):
        for j in range(n_cols):
            if not np.isnan(data[i, j]):
                ax.text(j, i, f"{data[i, j]:.2f}", ha="center", va="center", fontsize=7,
                        color="white" if data[i, j] < mid else "black")
    fig.colorbar(im, ax=ax, label=value_label, shrink=0.8)
    ax.set_title(title, fontsize=11)
    fig.tight_layout()
    return fig


def grouped_bars(table: pd.DataFrame, title: str, ylabel: str):
    """Bars grouped by row (e.g. task type), one bar per column (e.g. pooling variant)."""
    fig, ax = plt.subplots(figsize=(max(7, 1.4 * len(table) + 2), 4.5))
    width = 0.8 / max(1, table.shape[1])
    x = np.arange(len(table))
    for k, col in enumerate(table.columns):
        bars = ax.bar(x + k * width - 0.4 + width / 2, table[col].to_numpy(dtype=float), width, label=col)
        ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1)
    ax.set_xticks(x, table.index, rotation=15)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.legend(fontsize=8, ncols=min(4, table.shape[1]), loc="upper center", bbox_to_anchor=(0.5, -0.15))
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def quality_vs_speed(frame: pd.DataFrame, title: str, x: str = "texts_per_second", y: str = "quality",
                     label: str = "model", hue: str = "family", xlabel: str = "encode throughput (texts/s, log scale)",
                     ylabel: str = "mean main score (0–1)"):
    """Scatter of quality against measured throughput, one labelled point per model."""
    fig, ax = plt.subplots(figsize=(8, 5))
    for family, part in frame.groupby(hue):
        ax.scatter(part[x], part[y], s=60, label=family, color=FAMILY_COLORS.get(family))
        for _, row in part.iterrows():
            ax.annotate(row[label], (row[x], row[y]), fontsize=7, xytext=(4, 3), textcoords="offset points")
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=11)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig
