"""Experiment 02: every model at its native size (quality, throughput, size on disk) and how many dimensions it uses."""

from __future__ import annotations

import numpy as np
import pandas as pd

from pathlib import Path
from ...errors import EmbedlabError
from ...vectors.reduction import variance_profile
from ..calibration import task_vectors


def size_on_disk(path) -> int | None:
    """Bytes of a model's files (a folder: every file under it)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return None
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def native_zoo(exp, p: dict, results: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every zoo model at its native size on every task but clustering (mteb's k-means runs are the slow
    part): (records of the models ``results`` did not already score natively, one row per model with
    native dim, mean main score with its interval, measured throughput and size on disk)."""
    from ...encoders import model_location, models_from_params, runtime
    from ..results import english_mean_ci

    fast = [t for t in p["tasks"] if p["types"][t] != "clustering"]
    done = pd.DataFrame() if results is None else results[(results["method"] == "native") & results["task"].isin(fast)]
    todo = [m for m in p["zoo"] if done.empty or m not in set(done["model"])]
    records = exp.evaluate(todo, fast, intrinsic=False, progress=False, n_experiments=p["n_experiments"]) if todo else None
    quality = english_mean_ci(pd.concat([f for f in (done[done["model"].isin(p["zoo"])] if not done.empty else None, records)
                                         if f is not None], ignore_index=True))
    throughput = exp.throughput()["models"]
    specs = models_from_params(exp.params["models"])
    cache_dir, _ = runtime(exp.params["embed"])
    rows = []
    for model in p["zoo"]:
        try:
            location = model_location(specs[model], cache_dir)
        except EmbedlabError:
            location = None
        size = size_on_disk(location) if location is not None else None
        rows.append({"model": model, "family": exp.params["models"][model]["family"],
                     "native dim": int(exp.params["models"][model]["dim"]),
                     "mean main score": quality["mean"].get(model, np.nan),
                     "ci_low": quality["ci_low"].get(model, np.nan), "ci_high": quality["ci_high"].get(model, np.nan),
                     "texts/s": (throughput.get(model) or {}).get("texts_per_second", np.nan),
                     "MB on disk": size / 1e6 if size else np.nan})
    return (records if records is not None else pd.DataFrame(),
            pd.DataFrame(rows).sort_values("native dim").reset_index(drop=True))


def utilisation(exp, models: list[str], calibration: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per model, on the calibration task's texts (the same texts for every model): share of variance in
    the top 20 principal components, components for 85% / 95%, effective rank; and the cumulative
    explained-variance curve for the figure."""
    rows, curves = [], {}
    for model in models:
        _, x = task_vectors(exp, model, calibration)
        x = x.astype(np.float64)
        s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
        curves[model] = np.cumsum(s**2) / np.sum(s**2)
        rows.append({"model": model, "native dim": x.shape[1], "n texts": len(x), **variance_profile(x)})
    return pd.DataFrame(rows), curves


def utilisation_records(table: pd.DataFrame, calibration: str) -> list[dict]:
    """The utilisation table as flat result records (task = the calibration corpus, main = False)."""
    out = []
    for _, row in table.iterrows():
        for metric in ("pca_variance_top20", "components_85", "components_95", "effective_rank"):
            out.append({"model": row["model"], "task": calibration, "task_type": "intrinsic", "language": "en",
                        "metric": metric, "value": float(row[metric]), "main": False, "method": "native",
                        "dim": int(row["native dim"]), "native_dim": int(row["native dim"])})
    return out
