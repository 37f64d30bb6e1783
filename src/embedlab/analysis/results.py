"""Result tables every experiment, the report and the claims share.

A result frame has one row per record ``{model, task, task_type, language, metric, value, main, ...}``
(see docs/ARCHITECTURE.md); these helpers select main scores and average them the same way everywhere.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..schema import INTRINSIC_TYPES, TASK_TYPES



def english_scored_tasks(exp, tasks: list[str] | None, where: str) -> dict[str, dict]:
    """``{task: prepared task}`` of ``tasks`` (via ``exp.tasks``), refusing any that is not an English task
    with a main score (before any work) with a one-line error naming the param ``where``."""
    from ..errors import EmbedlabError

    prepared = {t: exp.task(t) for t in exp.tasks(tasks)}
    bad = [t for t, p in prepared.items() if p.get("language", "en") != "en" or p["type"] in INTRINSIC_TYPES]
    if bad:
        raise EmbedlabError(f"{where} lists {bad[0]}, which is not an English task with a main score",
                            "list English STS, classification, clustering, retrieval or pair tasks")
    return prepared


def display_names(groups: list[dict]) -> dict[str, str]:
    """Each member of a coinciding group (``coinciding_models``: models whose stored vectors agree, see
    ``analysis.coincidence``) -> the group's label (``"a = b"``)."""
    return {m: g["label"] for g in groups for m in g["models"]}


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


def english_tasks(results: pd.DataFrame) -> list[str]:
    """The English, non-intrinsic tasks with a main score (those ``english_mean`` averages)."""
    main = _scored(results)
    return sorted(main.loc[main["language"] == "en", "task"].unique())


def _with_intervals(main: pd.DataFrame) -> pd.DataFrame:
    """Main rows with ``ci_low`` / ``ci_high`` columns (NaN where a record has none)."""
    return main.assign(**{c: main[c] if c in main.columns else float("nan") for c in ("ci_low", "ci_high")})


def interval_tables(results: pd.DataFrame, models: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(low, high)``: model × task tables of the main scores' 95% interval, shaped like ``score_table``."""
    main = _with_intervals(_scored(results))
    order = list(score_table(results, models).columns)
    tables = [main.pivot_table(index="model", columns="task", values=c, aggfunc="first", dropna=False)
              .reindex(index=[m for m in models if m in set(main["model"])], columns=order) for c in ("ci_low", "ci_high")]
    return tables[0], tables[1]


def _mean_interval(group: pd.DataFrame) -> pd.Series:
    from ..stats import combined_mean_interval

    mean, low, high = combined_mean_interval(group["value"], group["ci_low"], group["ci_high"])
    return pd.Series({"mean": mean, "ci_low": low, "ci_high": high, "n_tasks": int(group["value"].notna().sum())})


def english_mean_ci(results: pd.DataFrame) -> pd.DataFrame:
    """Per model: English mean (as ``english_mean``) with a 95% interval combined from the per-task
    intervals (``stats.combined_mean_interval``: test-item noise; the set of tasks is fixed)."""
    main = _with_intervals(_scored(results))
    main = main[main["language"] == "en"]
    out = main.groupby("model")[["value", "ci_low", "ci_high"]].apply(_mean_interval)
    return out.sort_values("mean", ascending=False)


def type_mean_intervals(results: pd.DataFrame, models: list[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(low, high)`` tables shaped like ``type_means``: the interval of each type mean, combined
    from its tasks' intervals as in ``english_mean_ci``."""
    main = _with_intervals(_scored(results))
    main = main.assign(group=main["task_type"].where(~main["language"].map(is_cross_lingual), "cross-lingual"))
    stats = main.groupby(["model", "group"])[["value", "ci_low", "ci_high"]].apply(_mean_interval)
    shape = type_means(results, models)
    return tuple(stats[c].unstack("group").reindex(index=shape.index, columns=shape.columns) for c in ("ci_low", "ci_high"))


def short_name(model: str) -> str:
    """A short label for crowded figures: ``all-mpnet-base-v2`` -> ``mpnet``."""
    for key in ("mpnet", "MiniLM", "e5", "gemma", "wordllama", "glove", "spacy", "model2vec"):
        if key.lower() in model.lower():
            return key
    return model[:12]


def pareto_front(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Points no other point beats on both fewer ``x`` and higher ``y``."""
    front, best = [], -np.inf
    for _, row in frame.sort_values([x, y], ascending=[True, False]).iterrows():
        if row[y] > best:
            front.append(row)
            best = row[y]
    return pd.DataFrame(front)


#: Retention levels a reduced or quantized recipe is judged at (02, 03): 99% and 95% of the reference.
RETENTION_LEVELS = (0.99, 0.95)


def main_rows(results: pd.DataFrame) -> pd.DataFrame:
    """The main-score records that hold a value."""
    return results[results["main"].astype(bool) & results["value"].notna()]


def with_retention(results: pd.DataFrame, reference: pd.DataFrame) -> pd.DataFrame:
    """Add ``retention`` = value / the ``reference`` record's value of the same model, task and metric
    (e.g. the native dimension in 02, native float32 in 03); NaN where there is none."""
    base = reference.set_index(["model", "task", "metric"])["value"]
    key = pd.MultiIndex.from_frame(results[["model", "task", "metric"]])
    out = results.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["retention"] = out["value"].to_numpy() / base.reindex(key).to_numpy()
    return out


def mean_retention(main: pd.DataFrame, keys: list[str], dropna: bool = True, **more) -> pd.DataFrame:
    """Mean ``retention`` of the main rows per ``keys`` (02: model, method, dim, task type; 03 adds the
    variant), with ``more`` named aggregations (e.g. ``bytes=("bytes_per_vector", "first")``)."""
    return main.groupby(keys, dropna=dropna).agg(retention=("retention", "mean"), **more).reset_index()
