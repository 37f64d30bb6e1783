"""The transform protocol: fitted once on calibration vectors, then applied to every role.

Experiments 02 and 03 reduce and quantize stored embeddings (PCA, random projection, int8 ranges,
binarisation). Such a transform is fitted ONCE — never once per role, which would give queries and
documents different projections — and then applied to queries and documents alike::

    pca = SomeReduction(dim=128).fit(train_vectors, source="Banking77Classification train split")
    exp.evaluate(models, tasks, transform=pca)          # every role of every task goes through pca.apply

Calibration data is never the evaluated test split unless the experiment says so: pass
``transductive=True`` to ``fit`` and the records say ``calibration: transductive``.

A transform has a ``name`` and ``params`` (written into every result record via ``labels()``), and
may bring its own ``similarity`` (binary codes compare by Hamming distance; rescoring compares float
queries with quantized documents, which ``apply(vectors, role)`` makes possible).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import EmbedlabError
from ..schema import ROLES


class Transform:
    """Base class: override ``_fit`` (learn from calibration vectors) and ``_apply`` (map (n, d) -> (n, d'))."""

    name = "identity"
    needs_fit = True

    def __init__(self):
        self.calibration: dict | None = None

    @property
    def params(self) -> dict:
        """The settings that identify this transform in the records (e.g. ``{"dim": 128}``)."""
        return {}

    @property
    def fitted(self) -> bool:
        return self.calibration is not None or not self.needs_fit

    def fit(self, calibration, *, source: str, transductive: bool = False) -> "Transform":
        """Learn from ``calibration`` (n, d) vectors once; ``source`` says which texts they embed."""
        x = np.asarray(calibration, dtype=np.float32)
        if x.ndim != 2 or len(x) == 0:
            raise EmbedlabError(f"{self.name}: calibration vectors must be a non-empty (n, d) array, got {x.shape}",
                                "pass the stored vectors of the calibration texts")
        self._fit(x)
        self.calibration = {"source": source, "n": int(len(x)), "transductive": bool(transductive)}
        return self

    def apply(self, vectors, role: str = "query") -> np.ndarray:
        """The transformed vectors, one row per input row (the same fitted state for every role)."""
        if role not in ROLES:
            raise EmbedlabError(f"unknown role '{role}'", f"use one of: {', '.join(ROLES)}")
        if not self.fitted:
            raise EmbedlabError(f"transform {self.name} is not fitted",
                                "call .fit(calibration_vectors, source=...) once before evaluating")
        x = np.asarray(vectors, dtype=np.float32)
        out = np.asarray(self._apply(x, role))
        if out.ndim != 2 or out.shape[0] != x.shape[0]:
            raise EmbedlabError(f"transform {self.name} turned a {x.shape} array into {out.shape}",
                                "a transform must map (n, d) to (n, d') row by row")
        return out

    def labels(self) -> dict:
        """Fields added to every result record scored through this transform."""
        out = {"transform": self.name, **self.params}
        if self.calibration is not None:
            out["calibration"] = "transductive" if self.calibration["transductive"] else self.calibration["source"]
        return out

    similarity: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None

    def _fit(self, x: np.ndarray) -> None:
        pass

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        return x

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"{type(self).__name__}({args})"


class FunctionTransform(Transform):
    """A stateless row-wise function (nothing to fit), e.g. ``lambda x: x[:, :64]``."""

    needs_fit = False

    def __init__(self, fn: Callable[[np.ndarray], np.ndarray], name: str | None = None, **params):
        super().__init__()
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "function")
        self._params = params

    @property
    def params(self) -> dict:
        return dict(self._params)

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        return self.fn(x)


class Chain(Transform):
    """Transforms applied in order (e.g. a reduction, then a quantization); each is fitted on the
    previous one's output of the same calibration vectors."""

    def __init__(self, *steps: Transform):
        super().__init__()
        if not steps:
            raise EmbedlabError("Chain() needs at least one transform", "pass e.g. Chain(reduction, quantization)")
        self.steps = steps
        self.name = "+".join(s.name for s in steps)

    @property
    def params(self) -> dict:
        out = {}
        for step in self.steps:
            out.update({f"{step.name}.{k}": v for k, v in step.params.items()})
        return out

    @property
    def fitted(self) -> bool:
        return all(s.fitted for s in self.steps)

    def fit(self, calibration, *, source: str, transductive: bool = False) -> "Chain":
        x = np.asarray(calibration, dtype=np.float32)
        for step in self.steps:
            if step.needs_fit:
                step.fit(x, source=source, transductive=transductive)
            x = step.apply(x)
        self.calibration = {"source": source, "n": int(len(x)), "transductive": bool(transductive)}
        return self

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        for step in self.steps:
            x = step.apply(x, role)
        return x

    @property
    def similarity(self):
        return self.steps[-1].similarity


class Centering(Transform):
    """Subtract the mean of the calibration vectors (the common direction that makes every cosine high),
    then re-normalise each row to unit length."""

    name = "centering"

    def _fit(self, x: np.ndarray) -> None:
        self.mean = x.mean(axis=0)

    def _apply(self, x: np.ndarray, role: str) -> np.ndarray:
        y = x - self.mean[None, :]
        return unit_rows(y)


def unit_rows(x: np.ndarray, dtype=None) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero: the norm is floored at 1e-12); ``dtype``: cast."""
    out = x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return out if dtype is None else out.astype(dtype)
