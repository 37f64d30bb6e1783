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


def vector_agreement(exp, model: str, reference: str, tasks: list[str]) -> dict:
    """How close a variant's stored vectors are to its reference's on the same texts (every role of ``tasks``):
    ``mean`` and ``min`` cosine, and ``max_abs`` (max |difference| of the stored vectors); NaN where the
    dimensions differ."""
    from ...paths import embeddings_dir
    from ...store import load_embeddings

    cosines, largest = [], 0.0
    for task in tasks:
        checksum = exp.task(task)["checksum"]
        a, b = (load_embeddings(embeddings_dir(), m, task, checksum) for m in (model, reference))
        for role in sorted(set(a) & set(b)):
            (ta, xa), (tb, xb) = a[role], b[role]
            if ta != tb:
                raise EmbedlabError(f"{model} and {reference} hold different texts for {task} ({role})",
                                    "run `dvc repro embed`")
            if xa.shape[1] != xb.shape[1]:
                return {"mean": float("nan"), "min": float("nan"), "max_abs": float("nan")}
            cosines.append(np.sum(unit_rows(xa, np.float32) * unit_rows(xb, np.float32), axis=1))
            largest = max(largest, float(np.abs(xa.astype(np.float64) - xb.astype(np.float64)).max()))
    if not cosines:
        return {"mean": float("nan"), "min": float("nan"), "max_abs": float("nan")}
    every = np.concatenate(cosines)
    return {"mean": float(np.mean(every)), "min": float(np.min(every)), "max_abs": largest}


def encode_minutes(model: str, prepared: dict[str, dict]) -> dict[str, float]:
    """``{"short": minutes, "long": minutes}``: the encode seconds the store's meta files record for ``model``
    over the tasks of ``prepared`` (``{name: prepared task}``) whose checksum they hold, by the task's kind of
    text (what the embed stage spent on this model in the run that filled the store)."""
    import json

    from ...paths import embeddings_dir

    out = {"short": 0.0, "long": 0.0}
    for name, task in prepared.items():
        path = embeddings_dir() / model / f"{name}.meta.json"
        if not path.exists():
            continue
        meta = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("task_checksum") == task.get("checksum"):
            out[task.get("text_length", "short")] += float(meta.get("seconds") or 0.0) / 60
    return out


def backend_saving(minutes: dict[str, float], short: dict, long: dict | None) -> dict:
    """Minutes ``embed.backend: onnx`` would save on ``minutes`` (``encode_minutes``) at the per-round
    speed-ups ``short`` / ``long`` (``{"value", "min", "max"}``; ``long`` None: the short one for both):
    ``minutes * (1 - 1/speed-up)`` per kind of text, at the median, the slowest and the fastest round."""
    long = long or short

    def saved(key: str) -> float:
        return sum(minutes[kind] * (1 - 1 / ratio[key]) for kind, ratio in (("short", short), ("long", long)))

    return {"value": saved("value"), "min": saved("min"), "max": saved("max"), "of": sum(minutes.values())}


def weights_table(exp, p: dict, frame: pd.DataFrame, items: dict) -> pd.DataFrame:
    """One row per variant and reference: main score per task, mean retention against the reference with
    the paired bootstrap difference, mean cosine to the reference's vectors, and from the throughput stage
    texts/s, weight bytes and peak memory, each also as a ratio to the reference."""
    from ...stats import mean_difference

    w, registry = p["weights"], exp.params["models"]
    measured = exp.throughput()
    timed, footprint = measured["models"], measured.get("footprint") or {}
    speedups = {r["model"]: r for r in measured.get("records") or [] if r.get("metric") == "speedup_vs_fp32"}
    long_speedups = {r["model"]: r for r in measured.get("records") or []
                     if r.get("metric") == "speedup_vs_fp32_long_texts"}
    prepared = {}
    if long_speedups:
        from ...paths import tasks_dir
        from ...tasks import available_tasks

        prepared = {name: exp.task(name) for name in available_tasks(tasks_dir())}
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
            agreement = vector_agreement(exp, model, reference, tasks)
            row.update({"cosine to reference": agreement["mean"], "min cosine to reference": agreement["min"],
                        "max |difference| to reference": agreement["max_abs"]})
            speed = speedups.get(model)
            if speed:  # the median of per-round ratios over the throughput stage's interleaved rounds, and their range
                row.update({"speed-up": speed["value"], "speed-up min": speed["min"], "speed-up max": speed["max"]})
            if speed and model in long_speedups:  # an ONNX fp32 export: what embed.backend: onnx saves on this store
                slow = long_speedups[model]
                saving = backend_saving(encode_minutes(reference, prepared), speed, slow)
                row.update({"long-text speed-up": slow["value"], "long-text speed-up min": slow["min"],
                            "long-text speed-up max": slow["max"], "reference encode minutes": saving["of"],
                            "backend saving minutes": saving["value"], "backend saving min": saving["min"],
                            "backend saving max": saving["max"]})
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
               "cosine to reference": "mean_cosine_to_reference", "min cosine to reference": "min_cosine_to_reference",
               "max |difference| to reference": "max_abs_difference_to_reference", "speed-up": "speedup_vs_reference",
               "long-text speed-up": "long_text_speedup_vs_reference",
               "backend saving minutes": "onnx_backend_saving_minutes",
               "size ratio": "size_ratio_vs_reference", "sparsity": "weight_sparsity",
               "parameter sparsity": "parameter_sparsity"}
    rows = []
    for _, r in table.iterrows():
        for column, metric in metrics.items():
            if column in r and pd.notna(r[column]):
                ranged = {"speed-up": "speed-up", "long-text speed-up": "long-text speed-up",
                          "backend saving minutes": "backend saving"}.get(column)
                extra = ({"min": r[f"{ranged} min"], "max": r[f"{ranged} max"]}
                         if ranged and pd.notna(r.get(f"{ranged} min", np.nan)) else {})
                if column == "backend saving minutes":
                    extra["of_minutes"] = float(r["reference encode minutes"])
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
    if "backend saving minutes" in table:
        exact = table[table["backend saving minutes"].notna()]
        if len(exact):
            lines.append("**An exact back end** (`embed.backend: onnx` runs every fp32 transformer model through its ONNX "
                         "fp32 export): " + "; ".join(
                             f"`{r['model']}`'s vectors differ from `{r['reference']}`'s by at most "
                             f"{r['max |difference| to reference']:.1e} (min cosine {r['min cosine to reference']:.6f}) on "
                             f"the weight tasks' texts, at {_speedup(r)} the texts/s on short texts and "
                             + format_ratio(r["long-text speed-up"], r["long-text speed-up min"], r["long-text speed-up max"])
                             + f" on long ones; over the {r['reference encode minutes']:.0f} min this store records for "
                             f"encoding `{r['reference']}` that saves {r['backend saving minutes']:.0f} min "
                             f"({r['backend saving min']:.0f}–{r['backend saving max']:.0f} at the slowest and fastest "
                             "round's ratio; an estimate from the measured ratios, not a second cold run)"
                             for _, r in exact.iterrows()) + ".")
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
