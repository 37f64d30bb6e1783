"""Experiment 02's metrics file: every record it holds in one frame, and the models and tasks its
provenance lists."""

from __future__ import annotations

import pandas as pd

from .zoo import utilisation_records


def all_records(exp, p: dict, results, zoo_records, search_records, centred, util) -> pd.DataFrame:
    """The grid's records, the zoo's native rows (the grid's models have theirs already), the search
    costs, the upper bound's centring-alone rows and the dimension-use records."""
    others = (zoo_records.assign(method="native", dim=zoo_records["model"].map(lambda m: exp.params["models"][m]["dim"]))
              if len(zoo_records) else zoo_records)
    return pd.concat([results, others, search_records, centred, pd.DataFrame(utilisation_records(util, p["calibration"]))],
                     ignore_index=True)


def evaluated(p: dict) -> tuple[list[str], list[str]]:
    """``(models, tasks)`` for provenance: the grid's models; its tasks, the calibration task and the fit tasks."""
    return p["models"], p["tasks"] + [p["calibration"]] + [e["task"] for e in p["fits"].values()]
