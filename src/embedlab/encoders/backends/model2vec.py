"""``model2vec``: a static model distilled from a sentence transformer (its source is the teacher)."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from ...errors import require_package
from ..packages import TRANSFORMER_PACKAGES
from ..registry import PREFIX_OPTIONS, SOURCE_KINDS, LoaderInfo, register_loader
from ..sources import build_once, location, weight_files
from ..spec import ModelSpec
from .base import VectorBackend

log = logging.getLogger(__name__)


@register_loader("model2vec", LoaderInfo(
    poolings=("mean",), sources=SOURCE_KINDS, packages=TRANSFORMER_PACKAGES, options=("pca_dims", *PREFIX_OPTIONS),
    library="model2vec", libraries=("transformers", "torch"),
    tokenizer="transformers", word_vectors="static", ships="static, distilled",
))
class Model2VecBackend(VectorBackend):
    """A static model distilled from a sentence transformer (model2vec), cached after the first run."""

    @classmethod
    def provenance(cls, spec, record):
        record["distill"] = {"teacher": record["source"], "pca_dims": spec.options.get("pca_dims", spec.dim)}

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        require_package("model2vec")
        from model2vec import StaticModel

        teacher = location(spec, cache_dir)
        pca = int(spec.options.get("pca_dims", spec.dim))
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", spec.source_value).strip("_")
        target = cache_dir / f"model2vec-{slug}-pca{pca}"
        if not (target / "model.safetensors").exists():
            require_package("skeletoken", "skeletoken==0.6.1")  # model2vec.distill's own requirement (model2vec[distill])
            from model2vec.distill import distill

            def build(tmp: Path) -> None:
                log.info("distilling %s into a %d-dim static model (once, ~20 s)", teacher, pca)
                distill(model_name=teacher, pca_dims=pca).save_pretrained(tmp)

            build_once(target, "model.safetensors", build)
        self.model = StaticModel.from_pretrained(str(target))
        self.path, self.max_len = target, spec.max_seq_length
        self.dim = int(self.model.dim)

    def run_files(self) -> dict:
        """The distilled student's files (its source names the teacher): what the footprint measures."""
        return weight_files(self.path)

    def embed(self, texts, role):
        return self.model.encode(
            texts, max_length=self.max_len, batch_size=max(len(texts), 1), use_multiprocessing=False, show_progress_bar=False
        )
