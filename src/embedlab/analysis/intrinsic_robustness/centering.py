"""Experiment 04's anisotropy section: random-pair cosine of the STS tasks' texts, and what subtracting a
mean vector does to it and to the STS score, with the mean fitted two ways.

- **own** (the task's own distribution): 2-fold cross-fitting over the task's pairs
  (``intrinsic.crossfit_centering``): each fold's vectors minus the mean of the other fold's texts (no text
  averaged into the mean that centres it), every pair scored. No new encoding.
- **off-domain**: the mean of the calibration task's texts (``intrinsic_robustness.calibration``, evaluated
  texts removed), one mean for every task: what experiment 04 reported before the own-task row existed.

Per (model, STS task) the per-pair cosines give ``stats.ItemScores`` for each; the paired bootstrap of the mean
over the tasks (``stats.mean_difference``) says whether a centring changes STS measurably. ``intrinsic_robustness``
re-exports these for the notebook.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import textwrap

from ...errors import EmbedlabError
from ...intrinsic import anisotropy, crossfit_centering, row_cosines
from ...schema import main_metric
from ...vectors.transforms import Centering
from ..coincidence import once
from ...stats import separated


#: The centrings compared with the raw vectors, in the order tables and figures show them.
CENTERINGS = ("own", "off-domain")


def span(values) -> str:
    """``"min–max"`` to 2 decimals; ``"min to max"`` when a negative end would make the dash read as a minus."""
    lo, hi = float(np.min(values)), float(np.max(values))
    return f"{lo:.2f} to {hi:.2f}" if lo < 0 or hi < 0 else f"{lo:.2f}–{hi:.2f}"


def _side(exp, model: str, task: dict, field: str) -> np.ndarray:
    return np.asarray(exp.encoder(model, task).lookup(task["splits"]["test"][field], "query"))


def fitted_on(p: dict, centering: str) -> str:
    """Where a centring's mean comes from, in words (the records' ``calibration`` field)."""
    c = p["centering"]
    if centering == "own":
        return f"cross-fitted on the same task's held-out pairs ({c['folds']} folds, seed {c['seed']})"
    return f"off-domain: {p['calibration']} texts"


def run_centering(exp, p: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Per (model, STS task): the random-pair cosine of the task's texts raw / own-centred / off-domain-centred
    (``anisotropy`` frame, one column per centring), the STS main records of each (``centering`` = raw / own /
    off-domain; raw and off-domain scored by mteb, own from the cross-fitted pair cosines with a bootstrap
    interval) and the per-item data ``{(model, task, centering): ItemScores}`` for paired tests."""
    from ...stats import ItemScores, bootstrap
    from ..calibration import calibration_vectors, evaluated_texts

    c, settings = p["centering"], exp.bootstrap_settings
    tasks = c["tasks"]
    evaluated = evaluated_texts(exp, tasks)
    frames, aniso, items = [], [], {}
    for model in p["models"]:
        _, calib = calibration_vectors(exp, model, p["calibration"], evaluated)
        off = Centering().fit(calib, source=p["calibration"])
        for transform, label in ((None, "raw"), (off, "off-domain")):
            got = {}
            frame = exp.evaluate([model], tasks, transform=transform, intrinsic=False, progress=False, items=got)
            frames.append(frame.assign(centering=label))
            for t in tasks:
                items[model, t, label] = got[model, t]
        for name in tasks:
            task = exp.task(name)
            test = task["splits"]["test"]
            a, b = _side(exp, model, task, "sentence1"), _side(exp, model, task, "sentence2")
            raw = items[model, name, "raw"]
            if not np.allclose(raw.data["cosine"], row_cosines(a, b), atol=1e-4):
                raise EmbedlabError(f"the pair cosines of {model} on {name} do not match mteb's in test-split order",
                                    "check that mteb scores STS pairs in the prepared task's order")
            fit = crossfit_centering(a, b, test["sentence1"], test["sentence2"], int(c["folds"]), int(c["seed"]))
            own = ItemScores("sts", {"gold": raw.data["gold"], "cosine": row_cosines(fit["first"], fit["second"])})
            items[model, name, "own"] = own
            ci = bootstrap(own, n_resamples=settings["bootstrap_resamples"], seed=settings["bootstrap_seed"])
            frames.append(pd.DataFrame([{"model": model, "task": name, "task_type": task["type"],
                                         "language": task["language"], "metric": main_metric(task),
                                         "value": ci["value"], "main": True, "ci_low": ci["ci_low"],
                                         "ci_high": ci["ci_high"], "transform": "centering",
                                         "calibration": fitted_on(p, "own"), "centering": "own"}]))
            texts = np.asarray(exp.encoder(model, task).lookup(list(dict.fromkeys(test["sentence1"] + test["sentence2"])),
                                                               "query"))
            aniso.append({"model": model, "task": name, "raw": anisotropy(texts), "own": anisotropy(fit["distinct"]),
                          "off-domain": anisotropy(off.apply(texts)), "texts": len(texts),
                          "held-out texts per fold": float(np.mean([len(h) for h in fit["held_out"]]))})
    return pd.DataFrame(aniso), pd.concat(frames, ignore_index=True), items


def anisotropy_records(aniso: pd.DataFrame, p: dict) -> pd.DataFrame:
    """Per (model, STS task): ``anisotropy`` (raw) and ``anisotropy_centered`` with ``centering`` = own /
    off-domain and ``calibration`` (where the mean came from)."""
    raw = aniso.assign(metric="anisotropy", value=aniso["raw"], centering="raw", calibration=None)
    centred = [aniso.assign(metric="anisotropy_centered", value=aniso[k], centering=k, calibration=fitted_on(p, k))
               for k in CENTERINGS]
    out = pd.concat([raw, *centred], ignore_index=True)[["model", "task", "metric", "value", "centering", "calibration"]]
    return out.assign(task_type="intrinsic", language="en", main=False, section="anisotropy")


def centering_table(aniso: pd.DataFrame, items: dict, p: dict, settings: dict) -> pd.DataFrame:
    """One row per (model, centring): the means over the STS tasks of the random-pair cosine raw and centred
    and of the STS Spearman raw and centred, and the paired bootstrap of centred − raw (``separated``: the
    95% interval excludes 0). Models by raw anisotropy, highest first."""
    from ...stats import mean_difference

    tasks = p["centering"]["tasks"]
    mean = aniso.groupby("model", sort=False)[["raw", *CENTERINGS]].mean()
    rows = []
    for model in mean.sort_values("raw", ascending=False).index:
        sts_raw = float(np.mean([items[model, t, "raw"].point() for t in tasks]))
        for k in CENTERINGS:
            d = mean_difference([(items[model, t, k], items[model, t, "raw"]) for t in tasks],
                                n_resamples=settings["bootstrap_resamples"], seed=settings["bootstrap_seed"])
            rows.append({"model": model, "centering": k, "fitted on": fitted_on(p, k),
                         "anisotropy raw": mean.loc[model, "raw"], "anisotropy centered": mean.loc[model, k],
                         "STS raw": sts_raw, "STS centered": float(np.mean([items[model, t, k].point() for t in tasks])),
                         "difference": d["difference"], "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                         "separated": separated(d)})
    return pd.DataFrame(rows).set_index(["model", "centering"])


def centering_records(table: pd.DataFrame) -> pd.DataFrame:
    """The paired change of the mean STS Spearman, centred − raw, per (model, centring) as records
    (metric ``sts_centered_minus_raw``, ``ci_low`` / ``ci_high``, ``separated``, task ``STS tasks (mean)``)."""
    t = table.reset_index()
    return pd.DataFrame({"model": t["model"], "task": "STS tasks (mean)", "task_type": "sts", "language": "en",
                         "metric": "sts_centered_minus_raw", "value": t["difference"], "main": False,
                         "ci_low": t["ci_low"], "ci_high": t["ci_high"], "separated": t["separated"],
                         "centering": t["centering"], "calibration": t["fitted on"], "section": "centering"})


def _counts(part: pd.DataFrame) -> tuple[int, int]:
    up = int((part["separated"] & (part["difference"] > 0)).sum())
    down = int((part["separated"] & (part["difference"] < 0)).sum())
    return up, down


def anisotropy_title(table: pd.DataFrame, names: dict | None = None) -> str:
    names = names or {}
    raw = table.xs("own", level="centering")["anisotropy raw"]
    parts = []
    for k, words in (("own", "centring on the task's own held-out texts"), ("off-domain", "on off-domain texts")):
        part = table.xs(k, level="centering")
        up, down = _counts(part)
        parts.append(f"{words} {span(part['anisotropy centered'])}, "
                     f"STS measurably up for {up} and down for {down} of {len(part)} models")
    return (f"Random pairs of STS texts have mean cosine {raw.min():.2f}–{raw.max():.2f} (highest: "
            f"{names.get(raw.idxmax(), raw.idxmax())}); " + "; ".join(parts))


def anisotropy_figure(table: pd.DataFrame, title: str):
    """Left: random-pair cosine raw / own-centred / off-domain-centred per model. Right: the paired change
    of the mean STS Spearman, centred − raw, for each centring (95% interval; grey: inside the noise)."""
    import matplotlib.pyplot as plt

    models = list(dict.fromkeys(table.index.get_level_values("model")))
    own, off = table.xs("own", level="centering").loc[models], table.xs("off-domain", level="centering").loc[models]
    fig, (a, b) = plt.subplots(1, 2, figsize=(14, 0.5 * len(models) + 1.8), sharey=True)
    y = np.arange(len(models))
    a.barh(y - 0.27, own["anisotropy raw"], 0.27, label="raw", color="#7f7f7f")
    a.barh(y, own["anisotropy centered"], 0.27, label="centred on the task's own held-out texts", color="#1f77b4")
    a.barh(y + 0.27, off["anisotropy centered"], 0.27, label="centred on off-domain texts", color="#ff7f0e")
    a.axvline(0, color="black", lw=0.8)
    a.set_yticks(y, models, fontsize=8), a.invert_yaxis()
    a.set_xlabel("mean cosine of random pairs of a task's texts\n(mean over the STS tasks; 0: isotropic)")
    a.legend(fontsize=8, loc="lower right"), a.grid(axis="x", alpha=0.3)
    for offset, part, colour in ((-0.2, own, "#1f77b4"), (0.2, off, "#ff7f0e")):
        err = np.vstack([part["difference"] - part["ci_low"], part["ci_high"] - part["difference"]])
        b.barh(y + offset, part["difference"], 0.4, xerr=err,
               color=[colour if s else "#cccccc" for s in part["separated"]], edgecolor=colour)
    b.axvline(0, color="black", lw=0.8)
    b.set_xlabel("mean STS Spearman, centred − raw (95% paired bootstrap)\nblue edge: own texts, orange: off-domain; "
                 "grey fill: interval contains 0")
    b.grid(axis="x", alpha=0.3)
    fig.suptitle(textwrap.fill(title, 130), fontsize=10)
    fig.tight_layout()
    return fig


def _changes(part: pd.DataFrame, names: dict) -> str:
    return "; ".join(f"`{label}` {part.loc[m, 'difference']:+.3f} [{part.loc[m, 'ci_low']:+.3f}, "
                     f"{part.loc[m, 'ci_high']:+.3f}]" for m, label in once(part.index, names))


def centering_interpretation(table: pd.DataFrame, calibration: str, names: dict | None = None) -> str:
    """The anisotropy paragraph of the interpretation, every number from ``table``."""
    names = names or {}
    own, off = table.xs("own", level="centering"), table.xs("off-domain", level="centering")
    raw = own["anisotropy raw"]
    raised = [m for m in off.index if off.loc[m, "anisotropy centered"] > off.loc[m, "anisotropy raw"]]
    lines = [f"**Anisotropy and centring.** Mean cosine of random pairs of a task's texts (mean over the STS tasks; 0 "
             f"is isotropic): {raw.max():.2f} (`{names.get(raw.idxmax(), raw.idxmax())}`) down to {raw.min():.2f} "
             f"(`{names.get(raw.idxmin(), raw.idxmin())}`). Subtracting a mean fitted on held-out pairs of the same "
             f"task (cross-fitted: each fold centred with the other fold's texts) brings it to "
             f"{span(own['anisotropy centered'])}; the mean of {calibration} texts (off-domain) to "
             f"{span(off['anisotropy centered'])}"
             + (f", which raises it for {len(raised)} of {len(off)} models (" + ", ".join(
                 f"`{label}` {off.loc[m, 'anisotropy raw']:.3f} → {off.loc[m, 'anisotropy centered']:.3f}"
                 for m, label in once(raised, names))
                + "): a mean from other texts is not the centre of these." if raised else ".")]
    for part, words in ((own, "own-task centring"), (off, "off-domain centring")):
        up, down = _counts(part)
        lines.append(f"Mean STS Spearman, {words} − raw (95% paired bootstrap over the test pairs; an interval "
                     f"containing 0 is no measurable change): {_changes(part, names)}. Measurably up for {up}, down for "
                     f"{down}, unchanged for {len(part) - up - down} of {len(part)} models.")
    return " ".join(lines)
