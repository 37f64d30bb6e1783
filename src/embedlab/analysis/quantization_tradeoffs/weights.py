"""Experiment 03, parts B + D: weight precision, pruning and distilled students scored beside the fp32 model
each was made from, with the throughput stage's speed, size and memory; the shipped ONNX graphs."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...errors import EmbedlabError
from ...throughput import format_ratio
from ...vectors.transforms import unit_rows
from .plan import weight_label
from .vectors import main_rows
from ...stats import separated


def run_weights(exp, p: dict, progress=None) -> tuple[pd.DataFrame, dict]:
    """Score every variant and reference of ``weights`` on its tasks; records get ``precision`` (how the
    weights run). Also returns ``{(model, task): ItemScores}`` for the paired comparisons."""
    w, registry = p["weights"], exp.params["models"]
    items = {}
    frame = exp.evaluate(w["models"], w["tasks"], intrinsic=False, progress=progress is not False, items=items,
                         n_experiments=p["n_experiments"])
    return frame.assign(precision=frame["model"].map(lambda m: weight_label(registry[m])), method="native"), items


def vector_agreement(exp, model: str, reference: str, tasks: list[str]) -> float:
    """Mean cosine between a variant's and its reference's stored vectors of the same texts (every role of
    ``tasks``); NaN where the dimensions differ."""
    from ...paths import embeddings_dir
    from ...store import load_embeddings

    cosines = []
    for task in tasks:
        checksum = exp.task(task)["checksum"]
        a, b = (load_embeddings(embeddings_dir(), m, task, checksum) for m in (model, reference))
        for role in sorted(set(a) & set(b)):
            (ta, xa), (tb, xb) = a[role], b[role]
            if ta != tb:
                raise EmbedlabError(f"{model} and {reference} hold different texts for {task} ({role})",
                                    "run `dvc repro embed`")
            if xa.shape[1] != xb.shape[1]:
                return float("nan")
            cosines.append(np.sum(unit_rows(xa, np.float32) * unit_rows(xb, np.float32), axis=1))
    return float(np.mean(np.concatenate(cosines))) if cosines else float("nan")


def weights_table(exp, p: dict, frame: pd.DataFrame, items: dict) -> pd.DataFrame:
    """One row per variant and reference: main score per task, mean retention against the reference with
    the paired bootstrap difference, mean cosine to the reference's vectors, and from the throughput stage
    texts/s, weight bytes and peak memory, each also as a ratio to the reference."""
    from ...stats import mean_difference

    w, registry = p["weights"], exp.params["models"]
    measured = exp.throughput()
    timed, footprint = measured["models"], measured.get("footprint") or {}
    speedups = {r["model"]: r for r in measured.get("records") or [] if r.get("metric") == "speedup_vs_fp32"}
    settings = exp.resampling
    main = main_rows(frame).set_index(["model", "task"])["value"]
    rows = []
    for model in w["models"]:
        reference = w["variants"].get(model)
        row = {"model": model, "precision": weight_label(registry[model]), "reference": reference or "",
               "dim": int(registry[model]["dim"])}
        for t in w["tasks"]:
            row[t] = main.get((model, t), np.nan)
        row["mean main score"] = float(np.nanmean([row[t] for t in w["tasks"]]))
        fp = dict(footprint.get(model) or {})
        row["texts/s"] = timed[model]["texts_per_second"]
        row["weights MB"] = (fp.get("weights") or {}).get("megabytes", np.nan)
        row["weights measured as"] = (fp.get("weights") or {}).get("measured_as", "")
        row["sparsity"] = (fp.get("weights") or {}).get("sparsity", np.nan)
        row["parameter sparsity"] = (fp.get("weights") or {}).get("parameter_sparsity", np.nan)
        row["peak RSS MB"] = (fp.get("peak_memory") or {}).get("rss_encode_mb", np.nan)
        if reference:
            tasks = [t for t in w["tasks"] if (model, t) in items and (reference, t) in items]
            row["retention"] = float(np.mean([row[t] / main[(reference, t)] for t in tasks]))
            cmp = mean_difference([(items[model, t], items[reference, t]) for t in tasks], **settings)
            row.update({"difference": cmp["difference"], "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                        "separated": separated(cmp)})
            row["cosine to reference"] = vector_agreement(exp, model, reference, tasks)
            speed = speedups.get(model)
            if speed:  # the median of per-round ratios over the throughput stage's interleaved rounds, and their range
                row.update({"speed-up": speed["value"], "speed-up min": speed["min"], "speed-up max": speed["max"]})
            else:
                row["speed-up"] = row["texts/s"] / timed[reference]["texts_per_second"]
            ref_fp = footprint.get(reference) or {}
            ref_bytes, row["size against"] = same_file_type(model, reference, fp, footprint, w["variants"], registry)
            own = (fp.get("weights") or {}).get("bytes")
            row["size ratio"] = ref_bytes / own if own and ref_bytes else np.nan
            ref_rss = (ref_fp.get("peak_memory") or {}).get("rss_encode_mb", np.nan)
            row["memory ratio"] = ref_rss / row["peak RSS MB"] if row["peak RSS MB"] else np.nan
        rows.append(row)
    return pd.DataFrame(rows)


def same_file_type(model: str, reference: str, fp: dict, footprint: dict, variants: dict, registry: dict):
    """(bytes of ``reference`` measured as ``model``'s weights are, what they are): a state dict saved by
    torch.save against the reference's state dict, an ONNX file against the ONNX fp32 export of the same
    reference where one is a variant, else the reference's weight files."""
    measured_as = (fp.get("weights") or {}).get("measured_as", "")
    ref = (footprint.get(reference) or {}).get("weights") or {}
    if measured_as.startswith("state dict") and ref.get("state_dict_bytes"):
        return ref["state_dict_bytes"], f"`{reference}`'s state dict"
    if measured_as == "onnx file":
        for other, base in variants.items():
            if base == reference and other != model and (registry[other].get("options") or {}).get("precision") == "onnx-fp32":
                onnx = (footprint.get(other) or {}).get("weights") or {}
                if onnx.get("bytes"):
                    return onnx["bytes"], f"its ONNX fp32 export (`{other}`)"
    return ref.get("bytes"), f"`{reference}`'s weight files ({ref.get('measured_as', '?')})"


def _speedup(row) -> str:
    """"2.1× (1.7–2.5)": the median ratio over interleaved rounds with their range, no more digits than the
    range supports; a single ratio where the range is not recorded."""
    from ...throughput import format_ratio

    return format_ratio(row["speed-up"], row.get("speed-up min"), row.get("speed-up max"))


def weight_records(frame: pd.DataFrame, table: pd.DataFrame) -> pd.DataFrame:
    """The cost and agreement measurements of ``weights_table`` as flat records (unit in the metric name)."""
    metrics = {"texts/s": "texts_per_second", "weights MB": "weights_megabytes", "peak RSS MB": "peak_rss_megabytes",
               "cosine to reference": "mean_cosine_to_reference", "speed-up": "speedup_vs_reference",
               "size ratio": "size_ratio_vs_reference", "sparsity": "weight_sparsity",
               "parameter sparsity": "parameter_sparsity"}
    rows = []
    for _, r in table.iterrows():
        for column, metric in metrics.items():
            if column in r and pd.notna(r[column]):
                extra = ({"min": r["speed-up min"], "max": r["speed-up max"]}
                         if column == "speed-up" and pd.notna(r.get("speed-up min", np.nan)) else {})
                if column == "size ratio":
                    extra = {"measured_against": r["size against"]}
                rows.append({"model": r["model"], "task": "weights", "metric": metric, "value": float(r[column]),
                             "main": False, "precision": r["precision"], "method": "native", "dim": r["dim"], **extra})
    return pd.concat([frame, pd.DataFrame(rows)], ignore_index=True)


def int8_weight_rows(table: pd.DataFrame) -> pd.DataFrame:
    has_ref = table["reference"].astype(bool)
    return table[has_ref & table["precision"].str.contains("int8") & ~table["precision"].str.contains("pruned")
                 | has_ref & table["model"].str.contains("int8")]


def weights_title(table: pd.DataFrame) -> str:
    q = int8_weight_rows(table)
    if q.empty:
        return "Weight variants: size, speed and quality"
    best = q.sort_values("speed-up").iloc[-1]
    pruned = table[table["precision"].str.contains("pruned")]
    cosine = best["cosine to reference"]
    text = (f"{best['model']} runs at {_speedup(best)} the texts/s of fp32 and is {best['size ratio']:.1f}× smaller "
            f"(against {best['size against']}) at {best['retention']:.1%} of fp32 quality; its vectors' mean cosine to "
            f"fp32's is {cosine:.2f}" + (" (not interchangeable: an index of fp32 vectors must be rebuilt)"
                                         if cosine < 0.95 else ""))
    if len(pruned):
        top = pruned.sort_values("sparsity").iloc[-1]
        text += (f"; one-shot pruning of {top['sparsity']:.0%} of the Linear weights ({top['parameter sparsity']:.0%} of "
                 f"all parameters) keeps {top['retention']:.1%} at the same size and speed")
    return text


def onnx_graph_table(exp) -> pd.DataFrame:
    """What each ONNX model's graph computes in (the throughput stage's ``encoders.onnx_graph.graph_summary``)."""
    graphs = exp.throughput().get("onnx_graphs") or {}
    cols = ["compute", "n_MatMul", "n_MatMulInteger", "n_DynamicQuantizeLinear", "n_Cast", "integer_weights",
            "integer_weights_dequantized", "weights_dequantized_to_float"]
    return pd.DataFrame([{"model": m, **{c: g.get(c) for c in cols}} for m, g in graphs.items()])


def onnx_graph_text(graphs: pd.DataFrame, table: pd.DataFrame) -> str:
    """Why an int8 ONNX file runs at fp32 speed, from its graph: weight-only int8 is dequantized at load."""
    if graphs.empty:
        return ""
    speed = table.set_index("model") if not table.empty else pd.DataFrame()
    parts = []
    for _, g in graphs.iterrows():
        timed = (f", {_speedup(speed.loc[g['model']])} the texts/s of fp32 torch" if g["model"] in speed.index
                 and pd.notna(speed.loc[g["model"]].get("speed-up", np.nan)) else "")
        parts.append(f"`{g['model']}`: {g['compute']} ({int(g['n_MatMul'])} MatMul, {int(g['n_MatMulInteger'])} "
                     f"MatMulInteger, {int(g['n_DynamicQuantizeLinear'])} DynamicQuantizeLinear){timed}")
    return ("**What the ONNX graphs compute in** (op types of each graph, all sessions with the same onnxruntime "
            "options, threads as torch): " + "; ".join(parts) + ". A file whose int8 weights reach the products only "
            "through Cast / DequantizeLinear is small on disk, but onnxruntime folds those weights back to fp32 "
            "when the session loads, so it runs at the fp32 graph's speed; only integer kernels (MatMulInteger after "
            "DynamicQuantizeLinear) compute in int8.")


def weights_interpretation(table: pd.DataFrame) -> str:
    """Findings of parts B and D (weights, pruning, students), from the table (the cache's are
    ``caching.cache_interpretation``'s)."""
    lines = []
    ref = table[table["reference"].astype(bool)]
    if len(ref):
        lines.append("**Weights** (against the fp32 model each was made from: texts/s from the throughput stage, the "
                     "median ratio over its interleaved rounds with the range of the rounds; size against the same file "
                     "type; retention = mean over the weight tasks of the main-score ratio, paired bootstrap difference "
                     "of the mean main score): " + "; ".join(
                         f"`{r['model']}` ({r['precision']}) "
                         + (f"{r['size ratio']:.1f}× smaller than {r['size against']}, " if pd.notna(r["size ratio"]) else "")
                         + f"{_speedup(r)} the texts/s, "
                         f"retention {r['retention']:.1%}, paired difference {r['difference']:+.3f} [{r['ci_low']:+.3f}, "
                         f"{r['ci_high']:+.3f}]" + (f", cosine to fp32 {r['cosine to reference']:.4f}"
                                                    if pd.notna(r["cosine to reference"]) else "")
                         for _, r in ref.iterrows()) + ".")
    pruned = table[table["precision"].str.contains("pruned")]
    if len(pruned):
        lines.append("**Pruning** zeroes weights but stores and multiplies them as dense matrices here (" + ", ".join(
            f"{r['sparsity']:.0%} of the Linear weights = {r['parameter sparsity']:.0%} of all parameters: "
            f"{r['weights MB']:.1f} MB, {_speedup(r)} the texts/s, peak memory "
            f"{r['peak RSS MB']:.0f} MB" for _, r in pruned.iterrows()) + "): the same bytes, and dense kernels do the same "
            "multiplications whatever the zeros, so the texts/s ratios are timing spread, not a speed-up; only a sparse "
            "format or sparse kernels would turn zeros into bytes or time. The higher "
            "peak memory is the pruning done at load time (masks and copies of the weights), not the pruned model.")
    return "\n\n".join(lines)
