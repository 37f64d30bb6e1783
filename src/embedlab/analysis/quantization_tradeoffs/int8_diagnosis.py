"""Experiment 03: where dynamic int8 distorts a model, one change at a time on its fp32 weights."""

from __future__ import annotations

import numpy as np
import pandas as pd



def run_int8_diagnosis(exp, p: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``int8_distortion`` on the model and sentences of ``int8_diagnosis``, on the folder its registry entry
    loads (its fp32 weights)."""
    from ...encoders import model_location, models_from_params
    from ...paths import from_root

    d = p["int8_diagnosis"]
    spec = models_from_params(exp.params["models"])[d["model"]]
    folder = model_location(spec, from_root(exp.params["embed"]["cache_dir"]))
    return int8_distortion(folder, d["sentences"])


def int8_diagnosis_text(model: str, variants: pd.DataFrame, layers: pd.DataFrame) -> str:
    """What the one-change-at-a-time runs locate, written from their numbers."""
    v = variants.set_index(["int8 weights in", "activations", "weight scale"])["cosine to fp32"]
    ffn = "FFN output (4d -> d)"
    worst = layers.loc[layers["weights rounding to 0"].idxmax()]
    return (f"**Where int8 distorts `{model}`** (mean cosine of mean-pooled vectors to fp32, {len(layers)} layers): "
            f"int8 on every Linear layer gives {v[('all Linear', 'int8, per batch', 'per tensor')]:.3f}; on the attention "
            f"layers alone {v[('attention (q, k, v, output)', 'int8, per batch', 'per tensor')]:.3f}, the FFN intermediate "
            f"alone {v[('FFN intermediate (d -> 4d)', 'int8, per batch', 'per tensor')]:.3f}, the FFN output alone "
            f"{v[(ffn, 'int8, per batch', 'per tensor')]:.3f}, and everything but the FFN output "
            f"{v[('all but FFN output', 'int8, per batch', 'per tensor')]:.3f}. In the FFN output, rounding only the "
            f"weights (activations fp32) gives {v[(ffn, 'fp32', 'per tensor')]:.3f} with one scale per tensor and "
            f"{v[(ffn, 'fp32', 'per channel')]:.4f} with one per output channel; per-channel weights with int8 "
            f"activations give {v[(ffn, 'int8, per batch', 'per channel')]:.3f}. Both inputs of that layer carry "
            f"outliers: its input activations reach |x| = {layers['input |max|'].max():.0f} while 99.9% stay below "
            f"{layers['input 99.9%'].max():.1f} (one 8-bit scale per batch spends its range on them), and its weights "
            f"reach |w| = {layers['weight |max|'].max():.1f} against a mean |w| of {layers['weight mean |w|'].mean():.3f}, "
            f"so with one scale per tensor {worst['weights rounding to 0']:.0%} of layer {int(worst['layer'])}'s weights "
            "round to 0. Measured on this model and these sentences only: per-channel weight scales remove the weight "
            "part; the activation part remains with PyTorch's dynamic int8")


#: Linear-layer groups of a BERT-type encoder, by module-name test (HF naming: ``encoder.layer.N.…``).
LINEAR_GROUPS = {
    "attention (q, k, v, output)": lambda name: ".attention." in name,
    "FFN intermediate (d -> 4d)": lambda name: name.endswith("intermediate.dense"),
    "FFN output (4d -> d)": lambda name: name.endswith("output.dense") and ".attention." not in name,
}


def int8_distortion(folder: str, texts: list[str], max_length: int = 128) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Locate what ``torch.ao.quantization.quantize_dynamic`` (int8 weights with one scale per tensor, int8
    activations with one scale per batch) does to a transformers encoder, one change at a time.

    Returns ``(variants, layers)``. ``variants``: mean cosine between the fp32 and the changed model's mean-
    pooled vectors of ``texts``, for int8 on all Linear layers, on each group of ``LINEAR_GROUPS`` alone, on
    all but the FFN output, and for the FFN output layers with per-channel weight scales, and with weights
    rounded to int8 (per tensor / per channel) while activations stay fp32. ``layers``: per layer, the FFN
    output's input activations (|max| and 99.9th percentile of |x|), its weights (|max|, mean |w|) and the
    share of its weights that round to 0 under one per-tensor scale.
    """
    import copy

    import torch
    from torch.ao.quantization import default_dynamic_qconfig, per_channel_dynamic_qconfig
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    base = AutoModel.from_pretrained(folder).eval()
    batch = tok(list(texts), padding=True, truncation=True, max_length=max_length, return_tensors="pt")
    mask = batch["attention_mask"].unsqueeze(-1).float()

    def pooled(model) -> np.ndarray:
        with torch.no_grad():
            states = model(**batch).last_hidden_state
        v = ((states * mask).sum(1) / mask.sum(1)).numpy()
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    ref = pooled(base)
    ffn_out = LINEAR_GROUPS["FFN output (4d -> d)"]

    def dynamic(test, qconfig=default_dynamic_qconfig):
        model = copy.deepcopy(base)
        spec = {n: qconfig for n, m in model.named_modules() if isinstance(m, torch.nn.Linear) and test(n)}
        return torch.ao.quantization.quantize_dynamic(model, spec, dtype=torch.qint8)

    def weights_only(per_channel: bool):
        model = copy.deepcopy(base)
        with torch.no_grad():
            for name, m in model.named_modules():
                if isinstance(m, torch.nn.Linear) and ffn_out(name):
                    w = m.weight
                    scale = (w.abs().amax(dim=1, keepdim=True) if per_channel else w.abs().max()) / 127
                    w.copy_(torch.round(w / scale).clamp(-127, 127) * scale)
        return model

    cases = [("all Linear", "int8, per batch", "per tensor", dynamic(lambda n: True))]
    cases += [(group, "int8, per batch", "per tensor", dynamic(test)) for group, test in LINEAR_GROUPS.items()]
    cases += [("all but FFN output", "int8, per batch", "per tensor", dynamic(lambda n: not ffn_out(n))),
              ("FFN output (4d -> d)", "int8, per batch", "per channel", dynamic(ffn_out, per_channel_dynamic_qconfig)),
              ("FFN output (4d -> d)", "fp32", "per tensor", weights_only(False)),
              ("FFN output (4d -> d)", "fp32", "per channel", weights_only(True))]
    variants = pd.DataFrame([{"int8 weights in": where, "activations": acts, "weight scale": scale,
                              "cosine to fp32": float(np.mean(np.sum(pooled(model) * ref, axis=1)))}
                             for where, acts, scale, model in cases])
    inputs = {}
    hooks = [layer.output.dense.register_forward_hook(
        lambda mod, args, out, i=i: inputs.__setitem__(i, args[0].detach()[batch["attention_mask"].bool()].abs()))
        for i, layer in enumerate(base.encoder.layer)]
    pooled(base)
    for h in hooks:
        h.remove()
    rows = []
    for i, layer in enumerate(base.encoder.layer):
        w = layer.output.dense.weight.detach().abs()
        x = inputs[i].flatten().numpy()
        rows.append({"layer": i, "input |max|": float(x.max()), "input 99.9%": float(np.percentile(x, 99.9)),
                     "weight |max|": float(w.max()), "weight mean |w|": float(w.mean()),
                     "weights rounding to 0": float((w < w.max() / 254).float().mean())})
    return variants, pd.DataFrame(rows)
