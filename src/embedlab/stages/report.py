"""Stage `report`: reports/SUMMARY.md (one section per experiment) and reports/CLAIMS.md, both written
from the metrics files of every experiment listed in params."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..analysis.results import english_mean, markdown_table, type_means, type_order
from ..claims import ledger, ledger_markdown
from ..errors import EmbedlabError
from ..params import experiments, load_params
from ..paths import metrics_path, relative_to_root, reports_dir
from ..provenance import atomic_write_bytes


def read_metrics(params: dict) -> dict[str, dict]:
    """``{experiment name: metrics payload}`` for every listed experiment (a missing file is an error)."""
    out = {}
    for name in experiments(params).values():
        path = metrics_path(name)
        if not path.exists():
            raise EmbedlabError(f"{relative_to_root(path)} not found", f"run `dvc repro` (experiment {name})")
        out[name] = json.loads(path.read_text(encoding="utf-8"))
    return out


def all_results(payloads: dict[str, dict]) -> pd.DataFrame:
    """Every experiment's result records in one frame, with an ``experiment`` column."""
    frames = [pd.DataFrame(p["results"]).assign(experiment=name) for name, p in payloads.items()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def experiment_section(name: str, payload: dict) -> str:
    """Mean main score by task type for every model of one experiment (its ``summary`` block: for an
    experiment that also scores transformed vectors, the unreduced ones), its headline findings when
    the notebook wrote them, and its provenance line."""
    results = pd.DataFrame(payload["results"])
    summary = payload.get("summary")
    if summary:
        table = pd.DataFrame.from_dict(summary, orient="index").rename(columns={"english_mean": "English mean"})
        table = table[sorted((c for c in table.columns if c != "English mean"), key=type_order) + ["English mean"]]
    else:
        models = list(dict.fromkeys(results["model"]))
        table = type_means(results, models)
        table["English mean"] = english_mean(results)
    table = table.sort_values("English mean", ascending=False)
    table.index.name = "model"
    prov = payload.get("provenance", {})
    headline = payload.get("headline")
    return "\n".join([
        f"## {name}", "",
        f"Executed notebook: [`reports/{name}.ipynb`]({name}.ipynb) · metrics: "
        f"[`reports/metrics/{name}.json`](metrics/{name}.json) · figures: `reports/figures/{name}/`", "",
        *([headline, ""] if headline else []),
        f"{results['model'].nunique()} models × {results['task'].nunique()} tasks; "
        f"notebook wall time {prov.get('wall_time_seconds', '?')} s. Mean main score (0–1) by task type"
        + (" (native vectors)" if "method" in results.columns else "") + ":", "",
        markdown_table(table), "",
    ])


def write_summary(payloads: dict[str, dict]) -> Path:
    parts = ["# embedlab results summary", "",
             "Written by `dvc repro` (stage `report`) from the metrics files; do not edit by hand.", ""]
    parts += [experiment_section(name, payload) for name, payload in payloads.items()]
    target = reports_dir() / "SUMMARY.md"
    atomic_write_bytes(target, "\n".join(parts).encode("utf-8"))
    return target


def write_claims(params: dict, payloads: dict[str, dict]) -> Path:
    """reports/CLAIMS.md: the article's claims with verdicts computed from every experiment's results."""
    results = all_results(payloads)
    families = {m: spec["family"] for m, spec in params["models"].items() if m in set(results.get("model", []))}
    datasets = {}
    for payload in payloads.values():
        datasets.update(payload.get("provenance", {}).get("datasets") or {})
    sources = ", ".join(f"`reports/metrics/{name}.json`" for name in payloads)
    text = ledger_markdown(ledger(results, families, datasets, payloads), sources)
    target = reports_dir() / "CLAIMS.md"
    atomic_write_bytes(target, text.encode("utf-8"))
    return target


def run(params_path: str | Path = "params.yaml") -> Path:
    params = load_params(params_path)
    payloads = read_metrics(params)
    write_claims(params, payloads)
    return write_summary(payloads)
