"""Experiment 04's metrics file: every record it holds in one frame, and the models and tasks its
provenance lists."""

from __future__ import annotations

import pandas as pd

from .centering import anisotropy_records, centering_records
from .fidelity import fidelity_records
from .polysemy import polysemy_records
from .robustness import robustness_records


def all_records(p: dict, fid_frame, thresholds, coincidence, centered_scores, centering, aniso, poly_sentence, poly_word,
                noisy_scores, moves) -> pd.DataFrame:
    """Fidelity, coinciding models, centring (scores, paired changes, anisotropy), polysemy and robustness
    (scores on noisy texts, how far vectors move), each record tagged with its study where it is a score."""
    return pd.concat([fidelity_records(fid_frame, thresholds), coincidence, centered_scores.assign(section="centering"),
                      centering_records(centering), anisotropy_records(aniso, p), polysemy_records(poly_sentence, poly_word),
                      noisy_scores.assign(section="robustness"), robustness_records(moves)], ignore_index=True)


def evaluated(p: dict) -> tuple[list[str], list[str]]:
    """``(models, tasks)`` for provenance: the models; the tasks and every clean / noisy task of the robustness blocks."""
    return p["models"], p["tasks"] + [t for b in p["robustness"].values() for pair in b["pairs"] for t in pair]
