"""The claims ledger: each numbered claim of the seed article (../shared/seed/CLAIMS.md) with the
verdict our runs support. A verdict is one of ``VERDICTS``: ``supported``, ``contradicted``, ``partly``
(direction right, size wrong, or only part of the claim tested), ``not reached by the tested models`` (a
"model X reaches score S" claim our models of that kind stay below, which does not rule out another
model) or ``not testable here``.

The rules live with the experiments that decide them: each experiment package may hold ``claims.py``
with ``CLAIMS`` (a list of ``Claim``); ``experiment_claims`` gathers them from the listed experiments and
names each claim's experiment from ``params.yaml`` (data, never a search of the evidence text). A rule
is ``assess(results, families, datasets, payload, experiment)``: that experiment's records, the model
families, the task provenance, its metrics file's payload (the tables written beside the records) and
its name. Claims no experiment here can decide are ``UNTESTABLE``, with the reason.

Task names: a standard task scored at full size keeps its MTEB name; a sample of it is named
``<name>-sample``. Rules that can use either prefer the full-size score of each model."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

import pandas as pd

from .analysis.results import display_names
from .contract import ANALYSIS, part

VERDICTS = ("supported", "contradicted", "partly", "not reached by the tested models", "not testable here")
SAMPLE_SUFFIX = "-sample"


@dataclass(frozen=True)
class Claim:
    """One claim of the seed article. ``experiments``: the experiment whose records (and metrics tables)
    its rule reads, set by ``experiment_claims`` from the package the claim lives in."""
    id: str
    text: str
    assess: Callable[..., tuple[str, str]] | None = None  # (results, families, datasets, payload, experiment)
    untestable: str = ""  # why not, and what would test it
    experiments: tuple[str, ...] = ()
    scope: str = ""  # what the verdict is about when the test is narrower than the claim


def coinciding(payload) -> dict[str, str]:
    """``{model: "a = b"}`` from an experiment's ``coinciding_models`` groups (models whose stored vectors
    agree within a tolerance on every task): such a group is one model, never two."""
    return display_names((payload or {}).get("coinciding_models") or [])


def named(model: str, groups: dict[str, str]) -> str:
    """```model``` or, when it coincides with others (``coinciding``), the group: ```a``` = ```b```."""
    return " = ".join(f"`{m}`" for m in groups[model].split(" = ")) if model in groups else f"`{model}`"


def task_values(results, task, metric):
    """``{model: value}`` of ``metric`` on ``task`` at full size, else on its sample
    (``<task>-sample``), with ``{model: task name used}``."""
    values, used = {}, {}
    for name in (task, task + SAMPLE_SUFFIX):
        rows = results[(results["task"] == name) & (results["metric"] == metric)]
        for model, value in rows.groupby("model")["value"].first().items():
            if model not in values:
                values[model], used[model] = float(value), name
    return values, used


def missing(what):
    return "not testable here", f"this run has no {what} (add it to params.yaml and rerun)"


def nan(x) -> bool:
    return x is None or x != x


UNTESTABLE = [
    Claim("C03", "BERT-type (MLM) models suit deep semantic tasks like text similarity, at a larger compute cost.",
          untestable="no raw MLM-only BERT checkpoint installs offline (the MiniLM weights are contrastively "
                     "fine-tuned); run `bert-base-uncased` through the registry's hub path online"),
    Claim("C04", "GPT-type (autoregressive) models lack bidirectional context for representations.",
          untestable="our decoder (Gemma-3-270m, no embedding training) does score far below the encoders "
                     "(see experiment 01), but that comparison cannot separate attention direction from training "
                     "objective and size"),
    Claim("C06", "A domain-pretrained model (FinBERT) beats general BERT by 18.3% F1 on in-domain matching.",
          untestable="no FinBERT or financial-contract data installs offline"),
    Claim("C10", "Text classification (AG News): accuracy / macro-F1 > 92%.",
          untestable="the claim is about a classifier trained on AG News (120k training texts), which the mirror "
                     "lacks; our NewsClassification is an 8-per-label probe carved from the AG News test split "
                     "(MTEB's protocol), which measures few-shot separability, not the claimed trained accuracy"),
    Claim("C11", "Retrieval (MS MARCO): MRR@10 / Recall@100 > 35%.",
          untestable="MS MARCO does not install offline; SciFact is the retrieval task here"),
    Claim("C13", "Text generation (CNN/DM): ROUGE-L / BLEU-4 > 28.",
          untestable="a generation metric, not an embedding task"),
    Claim("C14", "Back-translation augmentation improves domain adaptation by 12%.",
          untestable="needs fine-tuning with and without augmented data; no training experiment yet"),
    Claim("C15", "Hard negatives at similarity 0.4-0.6 beat random negatives by 8%.",
          untestable="needs a contrastive fine-tuning experiment; none yet"),
    Claim("C16", "Multimodal fusion (CLIP + text) improves fashion product matching by 17%.",
          untestable="no image model or fashion data offline"),
    Claim("C21", "Intent recognition with a domain model reaches 92% accuracy.",
          untestable="no domain (banking) model offline; Banking77 scores of general models are in experiment 01"),
    Claim("C22", "Cross-lingual retrieval (XLM-R + contrastive loss) reaches F1 89.7%, close to monolingual.",
          untestable="no XLM-R model offline; the nearest test here is zh-en bitext mining (HSKBitextMining)"),
    Claim("C24", "Sparse expert routing keeps quality at 30% less compute.",
          untestable="no mixture-of-experts embedding model offline"),
]


def package_claims(group: str) -> list[Claim]:
    """``CLAIMS`` of ``analysis/<group>/claims.py`` (read as a file of its own), or [] without one (or
    without a package: the report reads metrics files, whatever wrote them)."""
    if not (ANALYSIS / group / "__init__.py").exists():
        return []
    module = part(group, "claims")
    return [] if module is None else list(module.CLAIMS)


def experiment_claims(listed: dict[str, str]) -> list[Claim]:
    """Every claim, by id: those of each listed experiment (``{params group: experiment name}``, as
    ``params.experiments`` gives it), each naming that experiment, then ``UNTESTABLE``. A claim two
    experiments decide, or one both decided and untestable, is an error."""
    out: dict[str, Claim] = {}
    for group, name in listed.items():
        for claim in package_claims(group):
            if claim.id in out:
                raise ValueError(f"claim {claim.id} is decided by both {out[claim.id].experiments[0]} and {name}")
            out[claim.id] = replace(claim, experiments=(name,))
    for claim in UNTESTABLE:
        if claim.id in out:
            raise ValueError(f"claim {claim.id} is in UNTESTABLE and decided by {out[claim.id].experiments[0]}")
        out[claim.id] = claim
    return [out[k] for k in sorted(out, key=lambda c: int(c[1:]))]


def _scoped(results: pd.DataFrame, experiments: tuple[str, ...]) -> pd.DataFrame:
    """The records of ``experiments`` only (a frame without an ``experiment`` column is one experiment's)."""
    if "experiment" not in results.columns or not experiments:
        return results
    return results[results["experiment"].isin(experiments)]


def ledger(results: pd.DataFrame, families: dict[str, str], datasets: dict | None = None,
           extras: dict | None = None, claims: list[Claim] | None = None) -> list[dict]:
    """Every claim with its verdict, the evidence sentence and the experiment it was read from. Each rule
    sees only the records of its experiment (``results``: every experiment's records with an
    ``experiment`` column) and that experiment's payload (``extras``: ``{experiment name: metrics
    payload}``); ``datasets`` is the metrics files' provenance block of task records, for sample sizes.
    ``claims``: default, those of the experiments listed in the repository's params.yaml."""
    if claims is None:
        from .params import experiments, load_params

        claims = experiment_claims(experiments(load_params()))
    rows = []
    for claim in claims:
        if claim.assess is None:
            verdict, evidence = "not testable here", claim.untestable
        else:
            name = claim.experiments[0]
            verdict, evidence = claim.assess(_scoped(results, claim.experiments), families, datasets,
                                             (extras or {}).get(name), name)
        rows.append({"id": claim.id, "claim": claim.text, "verdict": verdict, "evidence": evidence,
                     "scope": claim.scope if verdict != "not testable here" else "",
                     "experiments": [] if verdict == "not testable here" else list(claim.experiments)})
    return rows


def ledger_markdown(rows: list[dict], source: str, experiments: list[str] | None = None) -> str:
    """reports/CLAIMS.md; each decided claim links the HTML page and the executed notebook of the
    experiments it was read from (those of ``experiments`` that ran)."""
    ran = set(experiments or [])
    lines = ["# Claims ledger", "",
             "Each checkable claim of the seed article (IDs from `../shared/seed/CLAIMS.md`) with what our runs "
             f"found. Written by `dvc repro` (stage `report`) from {source}; do not edit by hand.", "",
             "| id | claim | verdict | evidence | see |", "|---|---|---|---|---|"]
    for r in rows:
        see = " · ".join(f"[{e[:2]} (HTML)](html/{e}.html), [notebook]({e}.ipynb)"
                         for e in r.get("experiments", []) if e in ran)
        verdict = f"**{r['verdict']}**" + (f" ({r['scope']})" if r.get("scope") else "")
        lines.append(f"| {r['id']} | {r['claim']} | {verdict} | {r['evidence']} | {see} |")
    counts = pd.Series([r["verdict"] for r in rows]).value_counts()
    lines += ["", "Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + "."]
    return "\n".join(lines) + "\n"
