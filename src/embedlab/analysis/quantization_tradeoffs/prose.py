"""Experiment 03's written findings: figure titles, the interpretation and the headline, every number from
the records (no number typed in)."""

from __future__ import annotations

import pandas as pd

from ...schema import Findings
from ..results import short_name
from ...throughput import format_ratio
from .margin import EVERY_MODEL
from .vectors import retention_by_type
from .weights import int8_weight_rows, weights_title


def _mean_retention(table: pd.DataFrame, variant: str) -> float:
    return float(table.loc[variant, "mean over types"]) if variant in table.index else float("nan")


def retention_title(results: pd.DataFrame, table: pd.DataFrame) -> str:
    parts = [f"{v} {_mean_retention(table, v):.1%}" for v in ("float16", "int8", "binary") if v in table.index]
    by = retention_by_type(results[(results["method"] == "native") & (results["variant"] == "binary")])
    worst = by.loc[by["retention"].idxmin()] if len(by) else None
    return ("Share of the float32 score kept (mean over models and the task types scored): " + ", ".join(parts)
            + (f"\nbinary's worst: {worst['model']} on {worst['task_type']}, {worst['retention']:.0%}" if worst is not None else ""))


def rescoring_summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Mean retention over models and tasks per (precision, rescored against, multiplier); the index's own
    top k: rescored against ``index alone``, multiplier 0."""
    parts = [rescoring_curves(frame, q).groupby(level=[1, 2]).mean().rename("retention").reset_index().assign(precision=q)
             for q in dict.fromkeys(frame["precision"]) if q != "float32"]
    return pd.concat(parts, ignore_index=True)[["precision", "rescore_against", "rescore_multiplier", "retention"]]


INDEX_ALONE = "index alone"


def rescoring_curves(frame: pd.DataFrame, precision: str) -> pd.Series:
    """Mean retention over the rescored tasks per (model, rescored against, multiplier); the index's own top
    k is (model, ``INDEX_ALONE``, 0)."""
    part = frame[frame["precision"] == precision]
    part = part.assign(rescore_against=part["rescore_against"].fillna(INDEX_ALONE),
                       rescore_multiplier=part["rescore_multiplier"].fillna(0).astype(int))
    return part.groupby(["model", "rescore_against", "rescore_multiplier"])["retention"].mean()


def per_model_rescoring(frame: pd.DataFrame, precision: str = "binary", m: int = 4) -> str:
    """"model a% → b% → c%": the index alone, rescored against the quantized rows and against the float32
    rows at multiplier ``m`` (mean over the rescored tasks)."""
    mean = rescoring_curves(frame, precision)
    out = []
    for model in dict.fromkeys(frame["model"]):
        cells = [mean.get((model, a, mm)) for a, mm in ((INDEX_ALONE, 0), ("quantized", m), ("float32", m))]
        out.append(f"`{model}` " + " → ".join("–" if c is None or pd.isna(c) else f"{c:.1%}" for c in cells))
    return f"(index alone → rescored against quantized rows → against float32 rows, m = {m}): " + "; ".join(out)


#: the sentence-transformers / Hugging Face quantization study (huggingface.co/blog/embedding-quantization,
#: "Quantization Experiments"): 15 MTEB retrieval sets, top 100, binary rescored with multiplier 4 by the
#: float32 query against the binary rows, int8 without rescoring. Model to model: the same model where it
#: was measured, else the nearest one (named, not equated).
ANCHORS = (
    {"model": "all-MiniLM-L6-v2", "published model": "all-MiniLM-L6-v2", "binary rescored": 0.9379, "int8": 0.9079},
    {"model": "multilingual-e5-small-q4", "published model": "e5-base-v2 (nearest: an E5 model, not the same one)",
     "binary rescored": 0.7477, "int8": 0.9468},
)


def anchor_table(frame: pd.DataFrame, m: int = 4) -> pd.DataFrame:
    """Our retrieval retention beside the study's, model by model (``ANCHORS``): binary rescored against the
    binary rows at multiplier ``m`` and the int8 index alone, each with its 95% interval over queries."""
    rows = []
    for anchor in ANCHORS:
        part = frame[frame["model"] == anchor["model"]]
        if part.empty:
            continue
        binary = part[(part["precision"] == "binary") & (part["rescore_against"] == "quantized")
                      & (part["rescore_multiplier"] == m)]
        int8 = part[(part["precision"] == "int8") & part["rescore_multiplier"].isna()]
        row = {"model": anchor["model"], "published model": anchor["published model"],
               "task": ", ".join(dict.fromkeys(part["task"]))}
        for label, sel in (("binary rescored", binary), ("int8", int8)):
            if len(sel) == 1:
                r = sel.iloc[0]
                row.update({f"{label}: ours": r["retention"], f"{label}: ours low": r["retention_ci_low"],
                            f"{label}: ours high": r["retention_ci_high"], f"{label}: published": anchor[label]})
        rows.append(row)
    return pd.DataFrame(rows)


def anchor_text(anchors: pd.DataFrame, m: int = 4) -> str:
    """One sentence per anchored model: ours [interval] against the study's number."""
    if anchors.empty:
        return ""
    parts = []
    for _, r in anchors.iterrows():
        cells = []
        for label, what in (("binary rescored", f"binary rescored (m = {m})"), ("int8", "int8 index alone")):
            if f"{label}: ours" in r and pd.notna(r[f"{label}: ours"]):
                inside = r[f"{label}: ours low"] <= r[f"{label}: published"] <= r[f"{label}: ours high"]
                cells.append(f"{what} {r[f'{label}: ours']:.1%} [{r[f'{label}: ours low']:.1%}, "
                             f"{r[f'{label}: ours high']:.1%}] vs {r[f'{label}: published']:.2%} "
                             f"({'inside' if inside else 'outside'} our interval)")
        parts.append(f"`{r['model']}` on {r['task']} against the study's {r['published model']}: " + ", ".join(cells))
    return ("Model to model against the sentence-transformers quantization study (15 MTEB retrieval sets, top 100; "
            "its 92.5% / 96% are one model, mxbai-embed-large-v1, which does not install here): " + "; ".join(parts) + ".")


def rescoring_title(frame: pd.DataFrame, m: int = 4) -> str:
    s = rescoring_summary(frame)
    out = []
    for precision in ("binary", "binary centred", "int8"):
        alone = s[(s["precision"] == precision) & (s["rescore_against"] == INDEX_ALONE)]["retention"]
        best = s[(s["precision"] == precision) & (s["rescore_multiplier"] == m)].sort_values("retention")
        if len(alone) and len(best):
            out.append(f"{precision} {alone.iloc[0]:.1%} → {best['retention'].iloc[-1]:.1%}")
    corpus = ", ".join(f"{t} ({int(n):,} documents)" for t, n in frame.groupby("task")["n_corpus"].first().items())
    return (f"Rescoring {m}× the candidates with the float32 query lifts nDCG@10 retention (mean over models) on {corpus}:\n"
            + ", ".join(out))


def _speed(row: pd.Series, pattern: str) -> str:
    """"1.8× faster" / "4.3× slower" against float32: the median over interleaved rounds, with no more
    digits than the per-round range supports."""
    from ...throughput import ratio_decimals

    mid, low, high = (float(row[f"{pattern} speed-up{end}"]) for end in ("", " min", " max"))
    if mid < 1:
        mid, low, high = 1 / mid, 1 / high, 1 / low
    d = min(1, ratio_decimals(low, high))
    return f"{mid:.{d}f}× {'faster' if float(row[f'{pattern} speed-up']) >= 1 else 'slower'}"


def search_title(costs: pd.DataFrame) -> str:
    c = costs.set_index("precision")
    parts = [f"{p} {_speed(c.loc[p], 'single')} / {_speed(c.loc[p], 'batch')}" for p in c.index if p != "float32"]
    threads, rounds = int(c["threads"].iloc[0]), int(c["repeats"].iloc[0])
    return (f"Against float32 flat search ({int(c['n_corpus'].iloc[0]):,} vectors, {threads} faiss thread"
            f"{'s' if threads > 1 else ''}, median of {rounds} interleaved rounds), one query at a time / batched:\n"
            + "; ".join(parts))


def smallest_recipe(table: pd.DataFrame, tag: str) -> pd.Series:
    """The row of ``smallest_recipes`` with the fewest bytes within ``tag`` ("1%" / "5%"), the higher
    retention first among ties."""
    return table.sort_values([f"within {tag}: bytes", f"within {tag}: interval low"], ascending=[True, False]).iloc[0]


def frontier_title(table: pd.DataFrame) -> str:
    every = table[table["model"] == EVERY_MODEL]
    parts = [f"{r['task type']} {int(r['within 5%: bytes'])} B ({r['within 5%: bytes'] / r['float32 bytes']:.1%})"
             for _, r in every.iterrows()]
    return ("Smallest vector whose margin above chance stays within 5% of float32 (95% interval) for every embedding "
            "model\n(share of the largest float32 vector): " + ", ".join(parts))


def interpretation(table, margins, paired, bits, rescored, agreement, gaps, costs, recipes, p: dict) -> str:
    """The written findings, computed from the tables (no number typed in). ``table``: plain retention and
    ``margins``: margin retention, both over the embedding models (``p["decoders"]`` apart)."""
    m, decoders = p["rescoring"]["report_multiplier"], p["decoders"]
    lines = []
    line = ("**Precision** (mean over the embedding models and the task types each was scored on; plain retention, "
            "then retention of the margin above chance): " + ", ".join(
                f"{v} {table.loc[v, 'mean over types']:.1%} / {margins.loc[v, 'mean over types']:.1%}"
                for v in table.index if v in margins.index) + ".")
    if "pair_classification" in margins.columns and "binary" in margins.index:
        line += (f" On pair classification, whose average precision has a chance level of the positive share, binary "
                 f"keeps {table.loc['binary', 'pair_classification']:.1%} of the score but "
                 f"{margins.loc['binary', 'pair_classification']:.1%} of its margin.")
    if decoders:
        line += (f" The decoder ({', '.join(decoders)}, no embedding training) is left out of these means: its weak "
                 "float32 baseline lets a lossy precision score at or above it, which is no property of the precision.")
    if {"int8", "int8 codes"} <= set(table.index):
        line += (f" Cosine on the raw int8 codes ({table.loc['int8 codes', 'mean over types']:.1%}) is not a precision "
                 "effect: it centres each coordinate on its calibration mid-range and rescales it by its range.")
    lines.append(line)
    if not bits.empty:
        b = bits.sort_values("near-constant sign bits", ascending=False)
        lines.append("**Why raw binary fails where it does**: the share of sign bits that are the same for 95% of the "
                     "calibration texts is " + ", ".join(
                         f"{r['model']} {r['near-constant sign bits']:.0%} (after centring "
                         f"{r['near-constant sign bits, centred']:.0%}; mean cosine {r['mean cosine between texts']:.2f})"
                         for _, r in b.iterrows())
                     + "; a bit that barely varies carries almost nothing. Subtracting the calibration mean (`binary "
                       "centred`, same bytes) moves every coordinate's threshold to the middle of its distribution.")
    if not paired.empty:
        sep = paired[paired["separated"]]
        lines.append(f"**Which losses are real** (paired bootstrap over the same test items, mean over the non-clustering "
                     f"tasks): {len(sep)} of {len(paired)} (model, precision) differences from float32 exclude zero"
                     + (": " + "; ".join(f"`{r['model']}` {r['variant']} {r['difference']:+.3f}" for _, r in sep.iterrows())
                        if len(sep) else "") + ".")
    if not rescored.empty:
        s = rescoring_summary(rescored)
        parts = []
        for precision, part in s.groupby("precision"):
            alone = part[part["rescore_against"] == INDEX_ALONE]["retention"].iloc[0]
            curves = [f"rescored against {against} rows " + ", ".join(
                f"m={int(r['rescore_multiplier'])} {r['retention']:.1%}" for _, r in pa.iterrows())
                for against, pa in part[part["rescore_against"] != INDEX_ALONE].groupby("rescore_against")]
            parts.append(f"{precision}: index alone {alone:.1%}; " + "; ".join(curves))
        corpus = ", ".join(f"{t} ({int(c):,} documents, {int(q)} queries)" for t, (c, q) in
                           rescored.groupby("task")[["n_corpus", "n_queries"]].first().iterrows())
        lines.append(f"**Rescoring** on {corpus} (nDCG@10 retention, mean over models; {m}× candidates = "
                     f"{rescored['candidate_share'].dropna().loc[rescored['rescore_multiplier'] == m].max():.1%} of the "
                     "corpus): " + ". ".join(parts) + ". Per model, binary " + per_model_rescoring(rescored, m=m)
                     + ". Per model, binary index alone, raw → centred [95% interval over queries]: "
                     + binary_by_model(rescored) + ". " + anchor_text(anchor_table(rescored, m), m)
                     + f" Exact float32 search here reproduces mteb's nDCG@10 to within {agreement:.4f}.")
        far = gaps[(gaps["index retention"] - gaps["part A retention"]).abs() > 0.05]
        if len(far):
            lines.append("**Where the index loses more than mteb's score**: " + "; ".join(
                f"`{r['model']}` {r['precision']} on {r['task']}: index {r['index retention']:.1%} vs {r['part A retention']:.1%}"
                for _, r in far.iterrows()) + ". The indexes quantize unit-length rows (inner product = cosine); part A "
                "quantizes the stored rows, so the two differ only for a model whose vectors are not unit length.")
    if not costs.empty:
        c = costs.set_index("precision")
        lines.append(f"**Search time** ({int(c['n_corpus'].iloc[0]):,} stored vectors of `{c['model'].iloc[0]}`, "
                     f"faiss threads: {int(c['threads'].iloc[0])}, median of the per-round speed-ups over {int(c['repeats'].iloc[0])} "
                     "interleaved rounds, with their range): " + "; ".join(
                         f"{q} ({c.loc[q, 'index']}) {_ratio_range(costs, q, 'single')} one query at a time, "
                         f"{_ratio_range(costs, q, 'batch')} batched, {c.loc[q, 'memory ratio']:.1f}× less memory"
                         for q in c.index if q != "float32")
                     + " (a ratio below 1× is slower). Anchor: the sentence-transformers study reports binary search "
                       "about 25× faster (mean) at 32× less memory. The two query patterns tell different stories, so "
                       "neither number stands alone.")
    if not recipes.empty:
        parts = []
        for kind, part in recipes.groupby("task type", sort=False):
            every = part[part["model"] == EVERY_MODEL].iloc[0]
            best = smallest_recipe(part[part["model"] != EVERY_MODEL], "5%")
            parts.append(f"{kind}: within 1% {int(every['within 1%: bytes'])} B ({every['within 1%: recipe']}), within 5% "
                         f"{int(every['within 5%: bytes'])} B ({every['within 5%: recipe']}); best single model within 5%: "
                         f"`{best['model']}` at {int(best['within 5%: bytes'])} B ({best['within 5%: recipe']}, "
                         f"{best['within 5%: bytes'] / best['float32 bytes']:.2%} of its float32 size)")
        lines.append("**Smallest recipe per task type that holds for every embedding model**, decided on the lower end "
                     "of the 95% interval of the margin retention, not its point (Kisako, Tsukagoshi & Sasano 2026 "
                     "report about 0.1% of the original size with almost no loss in some settings, and a task-dependent "
                     "best recipe): " + "; ".join(parts) + "."
                     + (" A margin retention above 1 (the decoder after PCA) is the reduction fixing a weak float32 "
                        "baseline, not compression for free." if decoders else ""))
    return "\n\n".join(line for line in lines if line)


def binary_by_model(rescored: pd.DataFrame) -> str:
    """Per model, binary retrieval's index-alone retention of nDCG@10, raw and centred, with intervals."""
    alone = rescored[rescored["rescore_multiplier"].isna()]
    parts = []
    for model, part in alone.groupby("model", sort=False):
        cells = []
        for precision in ("binary", "binary centred"):
            row = part[part["precision"] == precision]
            if len(row):
                r = row.iloc[0]
                cells.append(f"{r['retention']:.0%} [{r['retention_ci_low']:.0%}, {r['retention_ci_high']:.0%}]")
        parts.append(f"{short_name(model)} " + " → ".join(cells))
    return "; ".join(parts)


def _ratio_range(costs: pd.DataFrame, precision: str, pattern: str) -> str:
    """Search speed-up against float32: the median over interleaved rounds with the per-round ratios'
    min and max, no more digits than that range supports."""
    from ...throughput import format_ratio

    own = costs.set_index("precision").loc[precision]
    return format_ratio(own[f"{pattern} speed-up"], own[f"{pattern} speed-up min"], own[f"{pattern} speed-up max"])


def headline(margins, rescored, costs, recipes, p: dict, weights: pd.DataFrame | None = None,
             cache_text: str = "") -> str:
    """One paragraph for the report: margin retention per precision over the embedding models (the decoder
    apart), binary retrieval per model raw and centred, rescoring at the reported multiplier, search speed,
    the smallest recipe within 5% by its interval, the fastest int8 weights, and the cache."""
    m, decoders = p["rescoring"]["report_multiplier"], p["decoders"]
    n = len([x for x in p["models"] if x not in decoders])
    shown = [v for v in ("float16", "int8", "binary", "binary centred") if v in margins.index]
    parts = ["Stored vectors keep " + ", ".join(f"{v} {margins.loc[v, 'mean over types']:.1%}" for v in shown)
             + f" of float32's margin above chance (mean over {n} embedding models and the task types"
             + (f"; the decoder {', '.join(decoders)} is reported on its own" if decoders else "") + ")"]
    if not rescored.empty:
        tasks = ", ".join(f"{t} ({int(c):,} documents)" for t, c in rescored.groupby("task")["n_corpus"].first().items())
        parts.append(f"binary retrieval on {tasks} keeps, per model, raw → centred sign bits: " + binary_by_model(rescored))
        top = rescored[(rescored["precision"] == "binary") & (rescored["rescore_against"] == "float32")
                       & (rescored["rescore_multiplier"] == m)]
        if len(top):
            parts.append(f"rescoring {m}× the candidates ({top['candidate_share'].max():.1%} of the corpus) with float32 "
                         f"vectors brings binary to {top['retention'].min():.0%}–{top['retention'].max():.0%}")
    if not costs.empty and "binary" in set(costs["precision"]):
        threads = int(costs["threads"].iloc[0])
        parts.append(f"binary search is {_ratio_range(costs, 'binary', 'single')} faster than float32 one query at a "
                     f"time and {_ratio_range(costs, 'binary', 'batch')} batched ({threads} faiss thread"
                     f"{'s' if threads > 1 else ''}, range of the per-round ratios over {int(costs['repeats'].iloc[0])} "
                     "interleaved rounds)")
    if not recipes.empty:
        every = recipes[recipes["model"] == EVERY_MODEL]
        parts.append("the smallest vector whose margin stays within 5% (95% interval) for every embedding model is "
                     + ", ".join(f"{int(r['within 5%: bytes'])} B for {r['task type']}" for _, r in every.iterrows()))
    if weights is not None and not weights.empty and not int8_weight_rows(weights).empty:
        parts.append("int8 weights: " + weights_title(weights))
    if cache_text:
        parts.append(cache_text[0].lower() + cache_text[1:])
    return "; ".join(parts) + "."


KEY_FIGURE = "compression_frontier"


def findings(table, margins, paired, bits, rescored, agreement, gaps, costs, recipes, p: dict,
             weights: pd.DataFrame, graphs: pd.DataFrame, cache: pd.DataFrame, cache_needed: dict | None) -> Findings:
    """The headline, the key figure and the interpretation: the vectors' findings, then the weights' (with
    the ONNX graphs), then the cache's."""
    from .caching import cache_interpretation, cache_title
    from .weights import onnx_graph_text, weights_interpretation

    cache_text = cache_title(cache, cache_needed) if cache_needed else ""
    parts = [interpretation(table, margins, paired, bits, rescored, agreement, gaps, costs, recipes, p),
             weights_interpretation(weights) + "\n\n" + onnx_graph_text(graphs, weights)]
    if cache_needed:
        parts.append(cache_interpretation(cache, cache_needed))
    return Findings(headline=headline(margins, rescored, costs, recipes, p, weights, cache_text), key_figure=KEY_FIGURE,
                    interpretation="\n\n".join(parts))
