"""Experiment 03, part A: every (model, precision, task) scored from the store through a fitted precision
transform; retention against float32; how many sign bits are near-constant; paired tests against float32."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..calibration import calibration_vectors, evaluated_texts
from ..results import main_rows, mean_retention, type_order
from ..results import with_retention as retention_against
from .plan import VARIANT_ORDER, bytes_per_vector, make_precision, tasks_for, variant_name, variants
from ...stats import separated
from ...vectors.transforms import unit_rows


def fitted_calibration(exp, p: dict, model: str) -> tuple[np.ndarray, str]:
    """The calibration vectors of ``model`` (no text of any evaluated or rescored task) and their label."""
    exclude = evaluated_texts(exp, p["tasks"] + p["rescoring"]["tasks"])
    texts, vectors = calibration_vectors(exp, model, p["calibration"], exclude)
    return vectors, f"{p['calibration']} ({len(texts)} texts, none in the evaluated tasks)"


def run_precisions(exp, p: dict, progress=None) -> tuple[pd.DataFrame, dict]:
    """Score every (model, precision variant, task); records get ``precision``, ``variant``, ``method``
    (``native``), ``dim``, ``native_dim``, ``bytes_per_vector`` and ``retention`` (against float32).
    Also returns the per-item data of each main score, ``{(model, variant, task): ItemScores}``."""
    from tqdm.std import tqdm

    frames, items = [], {}
    bar = tqdm(total=len(p["models"]) * len(variants(p)), desc="03 A: model × precision", disable=progress is False)
    for model in p["models"]:
        cal, source = fitted_calibration(exp, p, model)
        dim = p["native"][model]
        for precision, values in variants(p):
            transform = make_precision(precision, values)
            if transform.needs_fit:
                transform.fit(cal, source=source)
            name = variant_name(precision, values)
            frame = score_variant(exp, p, model, tasks_for(p, precision), transform, items, (model, name))
            frames.append(frame.assign(variant=name, method="native", dim=dim, native_dim=dim,
                                       bytes_per_vector=bytes_per_vector(transform, dim)))
            bar.update(1)
    bar.close()
    return with_retention(pd.concat(frames, ignore_index=True)), items


def score_variant(exp, p, model, tasks, transform, items, key) -> pd.DataFrame:
    got = {}
    frame = exp.evaluate([model], tasks, transform=transform, intrinsic=False, progress=False, items=got,
                         n_experiments=p["n_experiments"])
    for t in tasks:
        if (model, t) in got:
            items[(*key, t)] = got[model, t]
    return frame


def with_retention(results: pd.DataFrame, reference: pd.DataFrame | None = None) -> pd.DataFrame:
    """Add ``retention`` = value / the same model's native float32 value on the same task and metric
    (read from ``reference`` when given, e.g. part A's records for part C's)."""
    ref = results if reference is None else reference
    return retention_against(results, ref[(ref["variant"] == "float32") & (ref["method"] == "native")])


def retention_by_type(results: pd.DataFrame) -> pd.DataFrame:
    """Mean retention per (model, variant, method, dim, task type) over the type's scored tasks, with
    bytes per vector."""
    return mean_retention(main_rows(results), ["model", "variant", "method", "dim", "task_type"], dropna=False,
                          bytes=("bytes_per_vector", "first"), tasks=("task", "nunique"))


def retention_table(results: pd.DataFrame, exclude: tuple[str, ...] | list[str] = ()) -> pd.DataFrame:
    """Variant × task type: mean retention over the models not in ``exclude`` (part A, native dimension)."""
    by = retention_by_type(results[(results["method"] == "native") & ~results["model"].isin(list(exclude))])
    table = by.pivot_table(index="variant", columns="task_type", values="retention", aggfunc="mean")
    table = table[sorted(table.columns, key=type_order)]
    table["mean over types"] = table.mean(axis=1)
    return table.reindex([v for v in VARIANT_ORDER if v in table.index])


def near_constant_bits(x: np.ndarray, share: float = 0.95) -> float:
    """Share of coordinates whose sign is the same for at least ``share`` of the rows of ``x``."""
    positive = (np.asarray(x) > 0).mean(axis=0)
    return float(np.mean((positive >= share) | (positive <= 1 - share)))


def sign_bit_use(exp, p: dict) -> pd.DataFrame:
    """Per model, on its calibration vectors: the share of coordinates whose sign is the same for at least
    95% of the texts (a sign bit that barely varies carries almost nothing), raw and after subtracting
    their mean (what ``binary centred`` stores), and the mean cosine between texts (how far the vectors
    sit from the origin's directions)."""
    rows = []
    for model in p["models"]:
        x = fitted_calibration(exp, p, model)[0]
        u = unit_rows(x[:: max(1, len(x) // 1000)], np.float32)
        rows.append({"model": model, "near-constant sign bits": near_constant_bits(x),
                     "near-constant sign bits, centred": near_constant_bits(x - x.mean(axis=0)),
                     "mean cosine between texts": float((u @ u.T).mean())})
    return pd.DataFrame(rows)


def paired_against_float32(exp, items: dict, p: dict) -> pd.DataFrame:
    """Per model and variant: the paired bootstrap difference of the mean main score against float32 over
    the tasks both were scored on with per-item data (clustering's k-means runs are not paired items, so
    it is left out); ``separated`` where the 95% interval excludes zero."""
    from ...stats import mean_difference

    settings = exp.resampling
    rows = []
    keys = sorted({(m, v) for m, v, _ in items if v != "float32"}, key=lambda k: (k[0], VARIANT_ORDER.index(k[1])))
    for model, name in keys:
        tasks = [t for (m, v, t) in items if m == model and v == name and p["types"][t] != "clustering"
                 and (model, "float32", t) in items]
        if not tasks:
            continue
        pairs = [(items[model, name, t], items[model, "float32", t]) for t in tasks]
        cmp = mean_difference(pairs, **settings)
        rows.append({"model": model, "variant": name, "difference": cmp["difference"], "ci_low": cmp["ci_low"],
                     "ci_high": cmp["ci_high"], "separated": separated(cmp),
                     "tasks": len(tasks)})
    return pd.DataFrame(rows)

