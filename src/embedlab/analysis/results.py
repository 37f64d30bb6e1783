"""Result tables every experiment, the report and the claims share.

A result frame has one row per record ``{model, task, task_type, language, metric, value, main, ...}``
(see docs/ARCHITECTURE.md); these helpers select main scores and average them the same way everywhere.
"""

from __future__ import annotations

import pandas as pd

from ..schema import TASK_TYPES

INTRINSIC_TYPES = ("robustness",)  # intrinsic (lower can be better): never averaged with main scores


def main_scores(results: pd.DataFrame) -> pd.DataFrame:
    """Rows with the task's main metric only (one value per model and task)."""
    return results[results["main"].astype(bool)].copy()


def is_cross_lingual(language: str) -> bool:
    """zh and zh-en tasks (everything not plain English) form the cross-lingual column group."""
    return language != "en"


def _scored(results: pd.DataFrame) -> pd.DataFrame:
    main = main_scores(results)
    return main[~main["task_type"].isin(INTRINSIC_TYPES)]


def type_order(task_type: str) -> int:
    return TASK_TYPES.index(task_type) if task_type in TASK_TYPES else len(TASK_TYPES)


def score_table(results: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Model × task table of main scores; tasks ordered by type, English before cross-lingual."""
    main = _scored(results)
    order = (main.drop_duplicates("task")
             .assign(_t=lambda d: d["task_type"].map(type_order), _x=lambda d: d["language"].map(is_cross_lingual))
             .sort_values(["_x", "_t", "task"])["task"].tolist())
    table = main.pivot_table(index="model", columns="task", values="value", aggfunc="first")
    return table.reindex(index=[m for m in models if m in table.index], columns=order)


def type_means(results: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Model × task-type mean of main scores; cross-lingual tasks get their own column."""
    main = _scored(results)
    group = main["task_type"].where(~main["language"].map(is_cross_lingual), "cross-lingual")
    table = main.assign(group=group).pivot_table(index="model", columns="group", values="value", aggfunc="mean")
    cols = sorted((c for c in table.columns if c != "cross-lingual"), key=type_order)
    cols += ["cross-lingual"] if "cross-lingual" in table.columns else []
    return table.reindex(index=[m for m in models if m in table.index], columns=cols)


def english_mean(results: pd.DataFrame) -> pd.Series:
    """Mean main score over English, non-intrinsic tasks, per model (the 'overall' ranking)."""
    main = _scored(results)
    main = main[main["language"] == "en"]
    return main.groupby("model")["value"].mean().sort_values(ascending=False)


def summary(results: pd.DataFrame, models: list[str]) -> dict:
    """Per model: mean main score by task type and over English tasks (the block `dvc metrics show` lists)."""
    table = type_means(results, models)
    table["english_mean"] = english_mean(results)
    return {m: {k: round(float(v), 4) for k, v in row.items() if pd.notna(v)} for m, row in table.iterrows()}


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured markdown table (index as the first column)."""
    header = [frame.index.name or ""] + [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in frame.iterrows():
        cells = ["" if pd.isna(v) else (f"{v:.{digits}f}" if isinstance(v, float) else str(v)) for v in row]
        rows.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(rows)
