"""Experiment 02's methods: what each reduces with, where it is fitted, which is an upper bound, their labels."""

from __future__ import annotations

import dataclasses

from ...errors import EmbedlabError
from ...vectors.reduction import METHODS
from ..results import RETENTION_LEVELS as LEVELS  # noqa: F401 (one set of levels for 02 and 03)


#: 02's reduction methods: the library's reductions under names that say where each is fitted.
DS_METHODS = {"truncation": METHODS["truncation"],
              "pca_in_domain": dataclasses.replace(METHODS["pca_inductive"], name="pca_in_domain"),
              "pca_off_domain": dataclasses.replace(METHODS["pca_inductive"], name="pca_off_domain"),
              "pca_whiten": METHODS["pca_whiten"],
              "random_projection": METHODS["random_projection"],
              "pca_transductive": METHODS["pca_transductive"]}


FITS = {"truncation": "none", "random_projection": "random (data-independent)", "pca_in_domain": "in-domain",
        "pca_off_domain": "off-domain", "pca_whiten": "off-domain", "pca_transductive": "evaluated texts (upper bound)"}


FALLBACK = "off-domain (task has no training data)"


UPPER_BOUNDS = ("pca_transductive",)


#: How tables, legends and the written text name each method.
METHOD_LABELS = {"truncation": "truncation", "pca_in_domain": "PCA fitted on the task's training data",
                 "pca_off_domain": "PCA fitted off-domain (calibration task)",
                 "pca_whiten": "whitened PCA fitted off-domain", "random_projection": "random projection",
                 "pca_transductive": "PCA fitted on evaluated texts (upper bound)", "native": "native"}


SHORT_LABELS = {"truncation": "truncation", "pca_in_domain": "in-domain PCA", "pca_off_domain": "off-domain PCA",
                "pca_whiten": "off-domain whitened PCA", "random_projection": "random projection"}


UPPER_BOUND_TEXT = "upper bound (PCA fitted on the evaluated texts)"


def check_methods(names) -> list:
    """The method of each name (``DS_METHODS``); an unknown name is a one-line error."""
    if "pca_inductive" in names:
        raise EmbedlabError("dimension_scaling.methods lists 'pca_inductive', which 02 splits by where it is fitted",
                            "use pca_in_domain (the task's training data) and/or pca_off_domain (the calibration task)")
    unknown = [m for m in names if m not in DS_METHODS]
    if unknown:
        raise EmbedlabError(f"unknown reduction method '{unknown[0]}'", f"use some of: {', '.join(DS_METHODS)}")
    return [DS_METHODS[m] for m in names]


def is_upper_bound(method: str) -> bool:
    return method in UPPER_BOUNDS
