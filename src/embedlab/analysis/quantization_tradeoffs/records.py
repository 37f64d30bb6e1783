"""Experiment 03's metrics file: every record it holds in one frame, and the models and tasks its
provenance lists."""

from __future__ import annotations

import pandas as pd

from .caching import cache_records
from .margin import margin_records
from .rescoring import rescoring_records
from .search_time import cost_records
from .weights import weight_records


def all_records(p: dict, results, frontier, rescored, costs, margin_frame, wframe, weights, cache, cache_needed) -> pd.DataFrame:
    """Part A's and C's records, rescoring, search costs, margin retention (``margin_frame``: native rows
    and the frontier's, with chance), the weight variants' and the cache's."""
    parts = [results, frontier, rescoring_records(rescored, p["rescoring"]["k"]), cost_records(results, frontier, costs),
             margin_records(margin_frame)]
    if p["weights"]:
        parts.append(weight_records(wframe, weights))
    if cache_needed:
        parts.append(cache_records(cache, cache_needed))
    return pd.concat(parts, ignore_index=True)


def evaluated(p: dict) -> tuple[list[str], list[str]]:
    """``(models, tasks)`` for provenance: the grid's models and the weight variants; the grid's tasks, the
    calibration task, the rescored and the weight tasks."""
    weights = p["weights"] or {}
    models = p["models"] + [m for m in weights.get("models", []) if m not in p["models"]]
    tasks = list(dict.fromkeys(p["tasks"] + [p["calibration"]] + p["rescoring"]["tasks"] + weights.get("tasks", [])))
    return models, tasks
