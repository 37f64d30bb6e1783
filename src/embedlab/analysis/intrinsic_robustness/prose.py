"""Experiment 04's written findings: the interpretation and the headline, every number from the records."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...intrinsic import AUC_CHANCE
from ...schema import Findings
from ..coincidence import coincidence_sentence, display_names, once
from .centering import centering_interpretation, span
from .plan import C09_BOUND, C09_RATE, auc_meaning, model_label
from .robustness import moves_at_rate


def _robustness_lines(moves: pd.DataFrame, drops: pd.DataFrame, names: dict | None) -> list[str]:
    lines = []
    at = moves_at_rate(moves)
    if len(at):
        per_kind = []
        for kind, g in at.groupby("noise", sort=False):
            w, ws = g.loc[g["vector_move"].idxmax()], g.loc[g["similarity_change"].idxmax()]
            per_kind.append(f"{kind}: vector {g['vector_move'].mean():.1%} (largest {w['vector_move']:.1%}, "
                            f"`{model_label(w['model'], names)}`), {g['vector_move_relative'].mean():.0%} of the random-pair "
                            f"distance; similarity {g['similarity_change'].mean():.1%} (largest {ws['similarity_change']:.1%}, "
                            f"`{model_label(ws['model'], names)}`)")
        vec_ok, sim_ok = int((at["vector_move"] < C09_BOUND).sum()), int((at["similarity_change"] < C09_BOUND).sum())
        lines.append(f"**Robustness (C09: similarity moves < {C09_BOUND:.0%} under {C09_RATE:.0%} noise).** The claim has "
                     f"two readings, both measured at {C09_RATE:.0%} noise for every (model, task, noise kind): how far a "
                     f"text's vector moves, 1 − cos(original, noisy), {at['vector_move'].min():.1%}–"
                     f"{at['vector_move'].max():.1%} ({vec_ok} of {len(at)} cells under {C09_BOUND:.0%}); and how much the "
                     f"similarity between two texts changes (mean |s' − s| / |s| over pairs), "
                     f"{at['similarity_change'].min():.1%}–{at['similarity_change'].max():.1%} ({sim_ok} of {len(at)} under "
                     f"{C09_BOUND:.0%}). As a reference, the move is {at['vector_move_relative'].min():.0%}–"
                     f"{at['vector_move_relative'].max():.0%} of 1 − (mean random-pair cosine) of the same model on the "
                     "same task, how far apart unrelated texts lie. Per kind (mean over models): " + "; ".join(per_kind) + ".")
    if not drops.empty:
        d = drops[np.isclose(drops["rate"], C09_RATE)]
        if len(d):
            worst = d.loc[d["relative"].idxmin()]
            lines.append(f"Main score on noisy test texts at {C09_RATE:.0%}: {int((d['separated'] & (d['difference'] < 0)).sum())} "
                         f"of {len(d)} (model, task, kind) cells are measurably lower than clean; the largest drop is "
                         f"`{model_label(worst['model'], names)}` on {worst['clean_task']} with {worst['noise']}: "
                         f"{worst['difference']:+.3f} [{worst['ci_low']:+.3f}, {worst['ci_high']:+.3f}] ({worst['relative']:+.1%}).")
    return lines


def interpretation(fid: pd.DataFrame, thresholds: dict, centering: pd.DataFrame, calibration: str, poly: pd.DataFrame,
                   moves: pd.DataFrame, drops: pd.DataFrame, groups: list[dict] | None = None) -> str:
    """The written interpretation, every number from the tables; a coinciding group is named as one."""
    names = display_names(groups or [])
    lines = ([f"**Coinciding models.** {coincidence_sentence(groups)} Below, each such group is listed once and "
              "named by all its members."] if groups else [])
    meets = fid[(fid["same_above"] > 0.5) & (fid["different_below"] > 0.5)]
    above = int((fid["auc"] > AUC_CHANCE).sum())
    lines.append(f"**Fidelity (C07).** Mean over the labelled tasks: ROC AUC of cosine for same-class pairs ({auc_meaning()}) "
                 f"{fid['auc'].min():.2f}–{fid['auc'].max():.2f}, above chance for {above} of {len(fid)} models (best "
                 f"`{model_label(fid.index[0], names)}` {fid['auc'].iloc[0]:.2f}, last `{model_label(fid.index[-1], names)}` "
                 f"{fid['auc'].iloc[-1]:.2f}): even the best model puts a different-class pair above a same-class pair "
                 f"{1 - fid['auc'].iloc[0]:.0%} of the time. Median same-class cosine {fid['same_median'].min():.2f}–"
                 f"{fid['same_median'].max():.2f}, different-class {fid['different_median'].min():.2f}–"
                 f"{fid['different_median'].max():.2f}; the share of same-class pairs above {thresholds['same_above']:g} is "
                 f"{fid['same_above'].min():.0%}–{fid['same_above'].max():.0%} and of different-class pairs below "
                 f"{thresholds['different_below']:g} {fid['different_below'].min():.0%}–{fid['different_below'].max():.0%}. "
                 f"{len(meets)} of {len(fid)} models put the majority of both kinds on the claimed side. The thresholds "
                 "judge where a model's band of cosines lies, the AUC how well it orders pairs inside that band.")
    lines.append(centering_interpretation(centering, calibration, names))
    if not poly.empty:
        word = poly["word auc"].dropna() if "word auc" in poly else pd.Series(dtype=float)
        lines.append(f"**Polysemy (C01).** Same-sense vs different-sense cosine AUC of sentence vectors (chance "
                     f"{AUC_CHANCE:g}): " + ", ".join(f"`{label}` {poly.loc[m, 'sentence auc']:.2f}"
                                                     for m, label in once(poly.index, names))
                     + ". The word's own vector: " + (", ".join(
                         f"`{label}` {word[m]:.2f} (nearest-neighbour sense accuracy {poly.loc[m, 'word nn_accuracy']:.2f} "
                         f"vs chance {poly.loc[m, 'word nn_chance']:.2f})" for m, label in once(word.index, names))
                         if len(word) else "not read")
                     + f". A static model gives a word one vector, so its AUC is {AUC_CHANCE:g} by construction; its "
                     "sentence vectors still separate senses through the other words of the sentence.")
    lines += _robustness_lines(moves, drops, names)
    return "\n\n".join(lines)


def headline(fid: pd.DataFrame, thresholds: dict, centering: pd.DataFrame, moves: pd.DataFrame,
             groups: list[dict] | None = None) -> str:
    """One sentence for reports/README.md: fidelity AUC against chance, thresholds, anisotropy raw and
    own-task-centred, and both readings of C09 at its noise rate."""
    own = centering.xs("own", level="centering")
    passed = int(((fid["same_above"] > 0.5) & (fid["different_below"] > 0.5)).sum())
    at = moves_at_rate(moves)
    text = (f"A random same-class pair has a higher cosine than a random different-class pair with probability "
            f"{fid['auc'].min():.2f}–{fid['auc'].max():.2f} across the {len(fid)} models (ROC AUC; chance "
            f"{AUC_CHANCE:g}, perfect 1), while fixed {thresholds['same_above']:g} / {thresholds['different_below']:g} "
            f"thresholds pass {passed} of {len(fid)} models; random-pair cosine {own['anisotropy raw'].min():.2f}–"
            f"{own['anisotropy raw'].max():.2f}, {span(own['anisotropy centered'])} after centring on the task's own held-out "
            "texts")
    if len(at):
        text += (f"; {C09_RATE:.0%} noise moves a text's vector by {at['vector_move'].min():.1%}–{at['vector_move'].max():.1%} "
                 f"(1 − cos; {at['vector_move_relative'].min():.0%}–{at['vector_move_relative'].max():.0%} of the distance "
                 f"between random texts) and changes pair similarities by {at['similarity_change'].min():.1%}–"
                 f"{at['similarity_change'].max():.1%}")
    if groups:
        text += "; " + ", ".join(g["label"].replace(" = ", " and ") + " give identical vectors" for g in groups)
    return text + "."


KEY_FIGURE = "fidelity"


def findings(fid, thresholds, centering, calibration, poly, moves, drops, groups=None) -> Findings:
    """The headline, the key figure and the interpretation, every number from the tables."""
    return Findings(headline=headline(fid, thresholds, centering, moves, groups), key_figure=KEY_FIGURE,
                    interpretation=interpretation(fid, thresholds, centering, calibration, poly, moves, drops, groups))
