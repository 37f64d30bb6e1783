"""Stage `report`: reports/SUMMARY.md, one section per experiment, written from the metrics files."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .errors import EmbedlabError
from .params import experiment_groups, load_params
from .provenance import atomic_write_bytes

REPORTS = Path("reports")


def markdown_table(frame: pd.DataFrame, digits: int = 3) -> str:
    """A GitHub-flavoured markdown table (index as the first column)."""
    header = [frame.index.name or ""] + [str(c) for c in frame.columns]
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for idx, row in frame.iterrows():
        cells = ["" if pd.isna(v) else (f"{v:.{digits}f}" if isinstance(v, float) else str(v)) for v in row]
        rows.append("| " + " | ".join([str(idx), *cells]) + " |")
    return "\n".join(rows)


def experiment_section(name: str, payload: dict) -> str:
    """Mean main score by task type for every model of one experiment, with its provenance line."""
    results = pd.DataFrame(payload["results"])
    main = results[results["main"].astype(bool) & (results["task_type"] != "robustness")]
    group = main["task_type"].where(main["language"] == "en", "cross-lingual")
    table = main.assign(group=group).pivot_table(index="model", columns="group", values="value", aggfunc="mean")
    table["English mean"] = main[main["language"] == "en"].groupby("model")["value"].mean()
    table = table.sort_values("English mean", ascending=False)
    table.index.name = "model"
    prov = payload.get("provenance", {})
    return "\n".join([
        f"## {name}", "",
        f"Executed notebook: [`reports/{name}.ipynb`]({name}.ipynb) · metrics: "
        f"[`reports/metrics/{name}.json`](metrics/{name}.json) · figures: `reports/figures/{name}/`", "",
        f"{results['model'].nunique()} models × {results['task'].nunique()} tasks; "
        f"notebook wall time {prov.get('wall_time_seconds', '?')} s. Mean main score (0–1) by task type:", "",
        markdown_table(table), "",
    ])


def write_summary(params_path: str = "params.yaml") -> Path:
    """Write reports/SUMMARY.md from reports/metrics/<experiment>.json for every experiment group."""
    params = load_params(params_path)
    parts = ["# embedlab results summary", "",
             "Written by `dvc repro` (stage `report`) from the metrics files; do not edit by hand.", ""]
    for name in experiment_groups(params):
        path = REPORTS / "metrics" / f"{name}.json"
        if not path.exists():
            raise EmbedlabError(f"{path} not found", f"run `dvc repro {name}`")
        parts.append(experiment_section(name, json.loads(path.read_text(encoding="utf-8"))))
    target = REPORTS / "SUMMARY.md"
    atomic_write_bytes(target, "\n".join(parts).encode("utf-8"))
    write_claims(params)
    return target


def write_claims(params: dict, experiment: str = "01_architecture_comparison") -> Path:
    """reports/CLAIMS.md: the article's claims with verdicts computed from the experiment's results."""
    from .claims import ledger, ledger_markdown

    path = REPORTS / "metrics" / f"{experiment}.json"
    payload = json.loads(path.read_text(encoding="utf-8"))
    results = pd.DataFrame(payload["results"])
    families = {m: spec["family"] for m, spec in params["models"].items() if m in set(results["model"])}
    target = REPORTS / "CLAIMS.md"
    rows = ledger(results, families, payload.get("provenance", {}).get("datasets"))
    text = ledger_markdown(rows, f"`reports/metrics/{experiment}.json`")
    atomic_write_bytes(target, text.encode("utf-8"))
    return target
