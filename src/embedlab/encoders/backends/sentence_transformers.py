"""``sentence_transformers``: a SentenceTransformer folder or hub id, pooled by its own modules."""

from __future__ import annotations

from pathlib import Path

from ...errors import require_package
from ..packages import TRANSFORMER_PACKAGES
from ..precision import EXAMPLE_TEXTS, Weights, add_provenance
from ..registry import PREFIX_OPTIONS, SOURCE_KINDS, LoaderInfo, register_loader
from ..sources import hub_error, location
from ..spec import ModelSpec, model_error
from .base import VectorBackend


@register_loader("sentence_transformers", LoaderInfo(
    poolings=("mean", "cls", "max", "last"), sources=SOURCE_KINDS, packages=TRANSFORMER_PACKAGES,
    options=("revision", "precision", "prune", *PREFIX_OPTIONS), library="sentence-transformers",
    tokenizer="transformers", word_vectors="contextual", torch_module=True,
))
class SentenceTransformersBackend(VectorBackend):
    """A SentenceTransformer folder: its own modules pool (and maybe normalize).

    ``precision`` / ``prune`` (``encoders/precision.py``) change its transformer module only; with an
    ONNX precision onnxruntime gives the token states and the folder's later modules pool them.
    """

    @classmethod
    def provenance(cls, spec, record):
        add_provenance(spec, record)

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        st = require_package("sentence_transformers", "sentence-transformers")
        name = location(spec, cache_dir)
        self.weights = Weights(spec, cache_dir)
        device = self.weights.device(device)
        try:
            self.model = st.SentenceTransformer(name, device=device, revision=spec.options.get("revision"))
        except OSError as exc:
            raise hub_error(spec, name, exc) from None
        self.model.max_seq_length = spec.max_seq_length
        self.dim = int(self.model.get_embedding_dimension())
        modes = [getattr(m, "pooling_mode", None) for m in self.model]
        mode = next((m for m in modes if m), None)
        self.pooling = {"lasttoken": "last"}.get(mode, mode)
        if self.pooling is not None and self.pooling != spec.pooling:
            raise model_error(
                spec.id, f"pooling is '{spec.pooling}' but the SentenceTransformer folder pools by '{self.pooling}'",
                f"set pooling: {self.pooling}, or use loader transformers for other poolings",
            )
        self.runner = None
        if self.weights.changed:
            transformer = self.model[0]
            if not hasattr(transformer, "auto_model") or getattr(transformer, "module_output_name", None) != "token_embeddings":
                raise model_error(spec.id, "precision and prune need a folder whose first module is a transformers model",
                                  "drop options.precision / options.prune for this model")
            if self.weights.onnx:
                self.runner = self.weights.onnx_states(transformer.auto_model, self.model.preprocess(EXAMPLE_TEXTS))
                transformer.auto_model.to("meta")  # onnxruntime runs the weights now: free the torch copy
            else:
                self.weights.apply(transformer.auto_model)

    def embed(self, texts, role):
        if self.runner is None:
            return self.model.encode(texts, batch_size=len(texts), convert_to_numpy=True, show_progress_bar=False)
        # What encode does with the transformer module replaced by onnxruntime.
        features = self.model.preprocess(texts)
        features["token_embeddings"] = self.runner(features)
        for module in list(self.model)[1:]:
            features = module(features)
        return features["sentence_embedding"].float().numpy()
