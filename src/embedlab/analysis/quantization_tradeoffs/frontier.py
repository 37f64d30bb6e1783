"""Experiment 03, part C: reductions (truncation, inductive PCA) chained with a precision; Pareto fronts."""

from __future__ import annotations

import pandas as pd

from ...errors import EmbedlabError
from ...vectors.reduction import PCAReduction, nested_pca
from ...vectors.transforms import Chain
from ..results import pareto_front
from .plan import make_precision
from .vectors import fitted_calibration, score_variant, with_retention


def run_frontier(exp, p: dict, results: pd.DataFrame, progress=None, items: dict | None = None) -> pd.DataFrame:
    """Score every (model, method, dim, precision) chain on the frontier tasks: the reduction fitted on
    the calibration vectors (a PCA once per model, at its largest dim: see ``nested_pca``), the precision
    on the reduction's output. ``retention`` is against the float32 scores of part A (``results``).
    ``items``: a dict that receives each score's per-item data under ``(model, "<method>-<dim> <precision>",
    task)`` (e.g. part A's, so margins and intervals read one dict)."""
    from tqdm.std import tqdm

    f = p["frontier"]
    frames, items = [], ({} if items is None else items)
    steps = sum(len(f["methods"]) * len(f["dims"][m]) for m in p["models"])
    bar = tqdm(total=steps, desc="03 C: model × method × dim", disable=progress is False)
    for model in p["models"]:
        cal, source = fitted_calibration(exp, p, model)
        for method in f["methods"]:
            nested = None
            if method.build is PCAReduction and f["dims"][model]:
                nested = method.make(max(f["dims"][model]))
                nested.renormalize = False
                nested.fit(cal, source=source)
            for dim in f["dims"][model]:
                if nested is not None:
                    reduction = nested_pca(nested, dim)
                else:
                    reduction = method.make(dim)
                    if reduction.needs_fit:
                        reduction.fit(cal, source=source)
                reduced = reduction.apply(cal)
                for precision in f["precisions"]:
                    step = make_precision(precision)
                    if step.needs_fit:
                        step.fit(reduced, source=source)
                    parts = reduction.steps if isinstance(reduction, Chain) else (reduction,)
                    chain = Chain(*parts, step)  # all fitted: Chain.fit would refit the reduction per precision
                    frame = score_variant(exp, p, model, f["tasks"], chain, items, (model, f"{method.name}-{dim} {precision}"))
                    fitted = nested is not None or reduction.needs_fit or step.needs_fit
                    frames.append(frame.assign(variant=precision, precision=precision, method=method.name, dim=dim,
                                               native_dim=p["native"][model], calibration=source if fitted else None,
                                               bytes_per_vector=step.bytes_per_vector(dim)))
                bar.update(1)
    bar.close()
    return with_retention(pd.concat(frames, ignore_index=True), results) if frames else pd.DataFrame()


def fronts(frame: pd.DataFrame, y: str = "margin retention") -> pd.DataFrame:
    """The Pareto front (fewer bytes, higher ``y``) of each (task type, model)."""
    parts = [pareto_front(part.dropna(subset=[y]), "bytes", y) for _, part in frame.groupby(["task_type", "model"])]
    return pd.concat(parts, ignore_index=True)
