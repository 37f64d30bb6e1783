"""Experiment 03: retention of the margin above chance, with its paired interval, per (model, recipe, task
type), and the smallest recipe whose whole interval stays within a level of float32.

A score near chance keeps little even at a high plain retention (MRPC's average precision has a chance
level of about 0.67, so 0.82 -> 0.80 is a 2% loss of the score but 13% of the margin). For a task type's
tasks, ``margin retention`` = (mean score - mean chance) / (mean float32 score - mean chance); its 95%
interval is ``1 + [low, high] / (mean float32 - mean chance)`` where [low, high] is the paired bootstrap
interval of the mean score difference against float32 over the same test items (``stats.mean_difference``).
A recipe is "within 5%" only when that interval's lower end is at least 0.95: the point alone does not
decide it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..results import RETENTION_LEVELS as LEVELS
from ..results import type_order
from ...chance import chance_level, margin_retention


EVERY_MODEL = "every model"


def with_chance(exp, records: pd.DataFrame, k: int = 10) -> pd.DataFrame:
    """``records`` with a ``chance`` column: the chance level of each main row's task (``chance.chance_level``;
    clustering reads its ``v_measure_chance`` records), NaN on other rows."""
    levels = {t: chance_level(exp.task(t), records, k) for t in records["task"].unique() if _prepared(exp, t)}
    main = records["main"].astype(bool)
    return records.assign(chance=np.where(main, records["task"].map(levels), np.nan))


def _prepared(exp, task: str) -> bool:
    try:
        exp.task(task)
    except Exception:  # noqa: BLE001 - cost rows ("storage", "search ...") name no prepared task
        return False
    return True


def recipe_key(row) -> str:
    """The name a recipe's per-item data is kept under: part A's variant, or ``<method>-<dim> <precision>``."""
    return row["variant"] if row["method"] == "native" else f"{row['method']}-{int(row['dim'])} {row['variant']}"


def recipe_name(row) -> str:
    return ("native " + row["variant"]) if row["method"] == "native" else recipe_key(row)


def margin_frame(records: pd.DataFrame, items: dict, settings: dict, tasks: set[str] | None = None) -> pd.DataFrame:
    """One row per (model, recipe, task type) over the type's tasks (``tasks``: only these): mean
    retention (ratio of mean scores), margin retention and its paired interval, bytes per vector.
    ``items``: ``{(model, recipe key, task): ItemScores}`` with the float32 ones under key ``float32``;
    ``settings``: the bootstrap's ``n_resamples`` and ``seed``."""
    from ...stats import mean_difference

    main = records[records["main"].astype(bool) & records["value"].notna()]
    if tasks is not None:
        main = main[main["task"].isin(tasks)]
    main = main.assign(recipe=main.apply(recipe_name, axis=1), key=main.apply(recipe_key, axis=1))
    ref = main[main["recipe"] == "native float32"].set_index(["model", "task"])["value"]
    rows = []
    for (model, recipe, kind), part in main.groupby(["model", "recipe", "task_type"]):
        reference = ref.reindex([(model, t) for t in part["task"]]).to_numpy()
        value, base, chance = part["value"].mean(), np.nanmean(reference), part["chance"].mean()
        margin = base - chance
        row = {"model": model, "recipe": recipe, "task_type": kind, "precision": part["variant"].iloc[0],
               "method": part["method"].iloc[0], "dim": part["dim"].iloc[0], "bytes": part["bytes_per_vector"].iloc[0],
               "tasks": part["task"].nunique(), "retention": value / base, "chance": chance,
               "margin retention": float(margin_retention(value, base, chance)),
               "ci_low": np.nan, "ci_high": np.nan}
        key = part["key"].iloc[0]
        pairs = [(items[(model, key, t)], items[(model, "float32", t)]) for t in part["task"]
                 if (model, key, t) in items and (model, "float32", t) in items]
        if recipe == "native float32":
            row.update(ci_low=1.0, ci_high=1.0)
        elif pairs and len(pairs) == part["task"].nunique() and margin > 0:
            cmp = mean_difference(pairs, **settings)
            row.update(ci_low=1 + cmp["ci_low"] / margin, ci_high=1 + cmp["ci_high"] / margin)
        rows.append(row)
    return pd.DataFrame(rows)


def smallest_recipes(frame: pd.DataFrame, levels=LEVELS, exclude_from_every: tuple[str, ...] = ()) -> pd.DataFrame:
    """Per task type and model: the fewest bytes per vector whose margin retention's interval lies at or
    above each level (lower end >= level; a recipe without an interval decides on its point), with the
    recipe (native float32 when nothing smaller does). The row ``every model`` holds the smallest recipe
    that does so for every model not in ``exclude_from_every`` (e.g. a decoder with no embedding training,
    whose weak float32 baseline makes reductions look free)."""
    frame = frame.assign(decide=frame["ci_low"].fillna(frame["margin retention"]))
    pool = frame[~frame["model"].isin(exclude_from_every)]
    n_models = pool["model"].nunique()
    worst = (pool.groupby(["task_type", "recipe"])
             .agg(decide=("decide", "min"), **{"margin retention": ("margin retention", "min")},
                  bytes=("bytes", "max"), models=("model", "nunique")).reset_index())
    worst = worst[worst["models"] == n_models].assign(model=EVERY_MODEL)
    rows = []
    for (kind, model), part in pd.concat([frame, worst], ignore_index=True).groupby(["task_type", "model"]):
        reference = part[part["recipe"] == "native float32"]["bytes"].iloc[0]
        row = {"task type": kind, "model": model, "float32 bytes": int(reference)}
        for level in levels:
            ok = part[part["decide"] >= level - 1e-12].sort_values(["bytes", "decide"], ascending=[True, False])
            best = ok.iloc[0]
            tag = f"{1 - level:.0%}"
            row.update({f"within {tag}: bytes": int(best["bytes"]), f"within {tag}: recipe": best["recipe"],
                        f"within {tag}: margin retention": float(best["margin retention"]),
                        f"within {tag}: interval low": float(best["decide"])})
        rows.append(row)
    out = pd.DataFrame(rows)
    order = out["task type"].map(type_order) * 2 + (out["model"] != EVERY_MODEL)
    return out.assign(_o=order).sort_values(["_o", "model"]).drop(columns="_o").reset_index(drop=True)


def margin_table(frame: pd.DataFrame, exclude: tuple[str, ...] = ()) -> pd.DataFrame:
    """Native precisions × task type: mean margin retention over the models not in ``exclude``, with the
    mean over types (what the headline quotes)."""
    native = frame[(frame["method"] == "native") & ~frame["model"].isin(exclude)]
    table = native.pivot_table(index="precision", columns="task_type", values="margin retention", aggfunc="mean")
    table = table[sorted(table.columns, key=type_order)]
    table["mean over types"] = table.mean(axis=1)
    return table


def margin_records(frame: pd.DataFrame) -> pd.DataFrame:
    """The margin table as flat records (metric ``margin_retention`` with its interval)."""
    return pd.DataFrame([{"model": r["model"], "task": f"{r['task_type']} tasks", "task_type": r["task_type"],
                          "metric": "margin_retention", "value": r["margin retention"], "ci_low": r["ci_low"],
                          "ci_high": r["ci_high"], "main": False, "recipe": r["recipe"], "precision": r["precision"],
                          "method": r["method"], "dim": r["dim"], "bytes_per_vector": r["bytes"], "chance": r["chance"],
                          "retention": r["retention"]} for _, r in frame.iterrows()])
