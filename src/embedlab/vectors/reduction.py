"""Dimension reductions of stored vectors, as transforms (``transforms.Transform``): fitted once on
calibration vectors, then applied to every role of a task.

=======================  ==================================================================================
``Truncation(d)``        the first ``d`` coordinates (for a Matryoshka-trained model: its intended truncation)
``PCAReduction(d)``      scikit-learn's ``PCA`` fitted on the calibration vectors (centred projection on the
                         top ``d`` components; ``whiten=True`` rescales each to unit variance)
``RandomProjection(d)``  scikit-learn's ``GaussianRandomProjection`` (seeded; entries N(0, 1/d), so norms are
                         preserved in expectation)
=======================  ==================================================================================

Each re-normalises its output to unit length by default (``renormalize``): the tasks compare vectors by
cosine, and the classification / clustering rule L2-normalises anyway, so re-normalising makes the
reduced vectors behave like the full ones in every evaluator. ``METHODS`` maps a method name of the
params (``truncation``, ``pca_inductive``, ``pca_transductive``, ``pca_whiten``, ``random_projection``)
to its class and whether it is fitted on the evaluated texts (transductive).

``check_dims`` refuses a target dimension above a model's native size before anything is computed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import EmbedlabError
from .transforms import Chain, Transform, unit_rows


def _unit(x: np.ndarray) -> np.ndarray:
    return unit_rows(x)


class Reduction(Transform):
    """A map from (n, D) to (n, d) vectors; ``dim`` is the target d."""

    name = "reduction"

    def __init__(self, dim: int, renormalize: bool = True):
        super().__init__()
        if int(dim) < 1:
            raise EmbedlabError(f"{self.name}: target dimension must be a positive integer, got {dim}",
                                "use e.g. dims: [64, 128, 256]")
        self.dim = int(dim)
        self.renormalize = bool(renormalize)

    @property
    def params(self) -> dict:
        return {"dim": self.dim}

    def _check_input(self, x: np.ndarray) -> None:
        if x.shape[1] < self.dim:
            raise EmbedlabError(f"{self.name}: cannot reduce {x.shape[1]}-dim vectors to {self.dim} dimensions",
                                f"use a target dimension of at most {x.shape[1]}")

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        self._check_input(x)
        out = self._reduce(x).astype(np.float32)
        return _unit(out) if self.renormalize else out

    def _reduce(self, x: np.ndarray) -> np.ndarray:
        raise NotImplementedError


class Truncation(Reduction):
    """The first ``dim`` coordinates; nothing to fit."""

    name = "truncation"
    needs_fit = False

    def _reduce(self, x: np.ndarray) -> np.ndarray:
        return x[:, : self.dim]


class PCAReduction(Reduction):
    """scikit-learn ``PCA(n_components=dim, whiten=whiten)`` fitted on the calibration vectors."""

    name = "pca"

    def __init__(self, dim: int, whiten: bool = False, renormalize: bool = True):
        super().__init__(dim, renormalize)
        self.whiten = bool(whiten)
        self.model = None

    @property
    def params(self) -> dict:
        return {"dim": self.dim, "whiten": self.whiten}

    def _fit(self, x: np.ndarray) -> None:
        from sklearn.decomposition import PCA

        self._check_input(x)
        if len(x) < self.dim:
            raise EmbedlabError(f"pca: {len(x)} calibration vectors cannot fit {self.dim} components",
                                f"calibrate on at least {self.dim} texts, or lower the target dimension")
        self.model = PCA(n_components=self.dim, whiten=self.whiten, svd_solver="full").fit(x.astype(np.float64))

    def _reduce(self, x: np.ndarray) -> np.ndarray:
        return self.model.transform(x.astype(np.float64))


class RandomProjection(Reduction):
    """scikit-learn ``GaussianRandomProjection(n_components=dim, random_state=seed)``; the fit only reads
    the input dimension (the matrix does not depend on the data)."""

    name = "random_projection"

    def __init__(self, dim: int, seed: int = 0, renormalize: bool = True):
        super().__init__(dim, renormalize)
        self.seed = int(seed)
        self.model = None

    @property
    def params(self) -> dict:
        return {"dim": self.dim, "seed": self.seed}

    def _fit(self, x: np.ndarray) -> None:
        from sklearn.random_projection import GaussianRandomProjection

        self._check_input(x)
        self.model = GaussianRandomProjection(n_components=self.dim, random_state=self.seed).fit(x)

    def _reduce(self, x: np.ndarray) -> np.ndarray:
        return self.model.transform(x)


@dataclass(frozen=True)
class Method:
    """A reduction method as the params name it: how to build it and where it is fitted."""

    name: str
    build: type
    options: tuple = ()
    transductive: bool = False

    def make(self, dim: int, seed: int = 0) -> Reduction:
        kwargs = dict(self.options)
        if self.build is RandomProjection:
            kwargs["seed"] = seed
        return self.build(dim, **kwargs)


METHODS = {
    "truncation": Method("truncation", Truncation),
    "pca_inductive": Method("pca_inductive", PCAReduction),
    "pca_transductive": Method("pca_transductive", PCAReduction, transductive=True),
    "pca_whiten": Method("pca_whiten", PCAReduction, options=(("whiten", True),)),
    "random_projection": Method("random_projection", RandomProjection),
}


def check_methods(methods) -> list[Method]:
    """The ``Method`` of each name; an unknown name is a one-line error listing the known ones."""
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise EmbedlabError(f"unknown reduction method '{unknown[0]}'", f"use some of: {', '.join(METHODS)}")
    return [METHODS[m] for m in methods]


def check_dims(grid, native: dict[str, int], per_model: dict[str, list[int]] | None = None) -> dict[str, list[int]]:
    """``{model: [target dims]}``, sorted, each below the model's native size (the native size itself is
    the unreduced score). ``grid`` applies to every model up to its native size; ``per_model`` lists a
    model's dims explicitly, and a dim there above the model's native size is an error naming the model,
    its size and the dimension, raised before any work."""
    per_model = per_model or {}
    unknown = [m for m in per_model if m not in native]
    if unknown:
        raise EmbedlabError(f"dims_per_model names '{unknown[0]}', which is not one of this experiment's models",
                            f"use one of: {', '.join(native)}")
    out = {}
    for model, size in native.items():
        dims = sorted({int(d) for d in per_model.get(model, grid)})
        if not dims or dims[0] < 1:
            raise EmbedlabError(f"target dimensions must be positive integers, got {dims}", "use e.g. [64, 128, 256]")
        if model in per_model and dims[-1] > size:
            raise EmbedlabError(f"target dimension {dims[-1]} is above {model}'s native size {size}",
                                f"list dims of at most {size} for {model}")
        out[model] = [d for d in dims if d < size]
    return out


def check_dim(model: str, dim: int, size: int, what: str) -> int:
    """One target dimension (``what`` names the param) against a model's native size."""
    if int(dim) > size:
        raise EmbedlabError(f"{what}: target dimension {dim} is above {model}'s native size {size}",
                            f"use a dimension of at most {size}")
    return int(dim)


def effective_rank(vectors) -> float:
    """exp of the entropy of the normalised singular values of the centred matrix (Roy & Vetterli, 2007):
    between 1 (one direction) and the dimension (all directions equally used)."""
    x = np.asarray(vectors, dtype=np.float64)
    s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    p = s[s > 0] / s[s > 0].sum()
    return float(np.exp(-(p * np.log(p)).sum()))


def variance_profile(vectors, top: int = 20) -> dict[str, float]:
    """Dimension utilisation of a set of vectors (centred): the share of variance in the ``top``
    principal components, the components needed for 85% and 95% of it, and the effective rank."""
    x = np.asarray(vectors, dtype=np.float64)
    s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
    share = np.cumsum(s**2) / np.sum(s**2)
    return {f"pca_variance_top{top}": float(share[min(top, len(share)) - 1]),
            "components_85": int(np.searchsorted(share, 0.85 - 1e-12) + 1),
            "components_95": int(np.searchsorted(share, 0.95 - 1e-12) + 1),
            "effective_rank": effective_rank(x)}


def nested_pca(pca: PCAReduction, dim: int) -> Chain:
    """PCA to ``dim`` from a fitted, un-normalised PCA to more dimensions: its leading ``dim`` coordinates,
    re-normalised. PCA's components come in order of variance (signs fixed per component), so this is
    the projection a PCA fitted at ``dim`` gives, for one fit per model instead of one per dimension."""
    if pca.renormalize or pca.dim < dim:
        raise EmbedlabError(f"nested_pca needs an un-normalised PCA to at least {dim} dims, got {pca!r}",
                            "fit PCAReduction(largest dim) with renormalize = False")
    return Chain(pca, Truncation(dim))
