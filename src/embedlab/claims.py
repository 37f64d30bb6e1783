"""The claims ledger: each numbered claim of the seed article (../shared/seed/CLAIMS.md) with the
verdict our runs support, computed from the metrics files. A verdict is one of ``supported``,
``contradicted``, ``partly`` (direction right, size wrong) or ``not testable here``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pandas as pd

from .analysis.results import english_mean

CONTEXTUAL_FAMILIES = ("contrastive", "bert", "multilingual")


@dataclass(frozen=True)
class Claim:
    id: str
    text: str
    assess: Callable[..., tuple[str, str]] | None = None  # (results, families, datasets)
    untestable: str = ""  # why not, and what would test it


def _value(results, model, task, metric):
    row = results[(results["model"] == model) & (results["task"] == task) & (results["metric"] == metric)]
    return None if row.empty else float(row["value"].iloc[0])


def _by_family(results, families, fams, task, metric):
    """{model: value} for models of the given families that were scored on task/metric."""
    out = {}
    for model, fam in families.items():
        if fam in fams:
            value = _value(results, model, task, metric)
            if value is not None:
                out[model] = value
    return out


def _metric_mean(results, metric, language="en"):
    rows = results[(results["metric"] == metric) & (results["language"] == language)]
    return rows.groupby("model")["value"].mean()


def _missing(what):
    return "not testable here", f"this run has no {what} (add it to params.yaml and rerun)"


def assess_c02(results, families, datasets=None):
    overall = english_mean(results)
    cls, mean = overall.get("minilm-bert-cls"), overall.get("minilm-bert-mean")
    if cls is None or mean is None:
        return _missing("minilm-bert-cls / minilm-bert-mean pair")
    verdict = "partly" if cls < mean else "supported"
    return verdict, (f"[CLS] of the MiniLM weights carries sentence meaning (English mean main score {cls:.3f}), "
                     f"but mean pooling of the same token states scores {mean:.3f} ({mean - cls:+.3f}); "
                     "the claim's 768 dims are BERT-base's size, not a property of CLS")


def assess_c05(results, families, datasets=None):
    scores = _by_family(results, families, ("contrastive",), "STSBenchmark", "cosine_spearman")
    if not scores:
        return _missing("contrastive model scored on STSBenchmark")
    best = max(scores, key=scores.get)
    verdict = "supported" if scores[best] >= 0.915 else "contradicted"
    used = ((datasets or {}).get("STSBenchmark") or {}).get("n_used") or {}
    size = (f"the full STS-B test set ({used['test']} pairs)" if used.get("test") == 1379
            else f"a {used.get('test', '?')}-pair sample of the STS-B test set")
    return verdict, (f"best Sentence-BERT-style model on {size}: `{best}` Spearman {scores[best]:.3f}; "
                     f"0.92 is {'reached' if verdict == 'supported' else 'not reached'}")


def assess_c07(results, families, datasets=None):
    same, diff = _metric_mean(results, "class_cosine_same"), _metric_mean(results, "class_cosine_different")
    if same.empty:
        return _missing("classification or clustering task")
    meets = [m for m in same.index if same[m] > 0.8 and diff.get(m, 1.0) < 0.3]
    parts = ", ".join(f"`{m}` {same[m]:.2f}/{diff[m]:.2f}" for m in same.index)
    verdict = "supported" if meets else "contradicted"
    return verdict, (f"same-class / different-class mean cosine on the English classification and clustering "
                     f"test sets: {parts}. {len(meets)} of {len(same)} models meet both thresholds; the best "
                     "models separate classes by a gap at low absolute cosines, static vectors at high ones")


def assess_c08(results, families, datasets=None):
    pca = _metric_mean(results, "pca_variance_top20")
    overall = english_mean(results)
    quality = {m: overall[m] for m in pca.index if m in overall.index}
    if not quality:
        return _missing("English task")
    best = max(quality, key=quality.get)
    over = [m for m in pca.index if pca[m] > 0.85]
    verdict = "supported" if pca[best] > 0.85 else "contradicted"
    return verdict, (f"the best model `{best}` puts {pca[best]:.0%} of its variance in the top 20 principal "
                     f"components; models above 85%: {', '.join(f'`{m}` {pca[m]:.0%}' for m in over) or 'none'}. "
                     "Concentrated variance goes with worse scores here, not better")


def assess_c09(results, families, datasets=None):
    change = results[(results["task"] == "RobustnessWordOrder") & (results["metric"] == "similarity_change")]
    change = change.set_index("model")["value"]
    contextual = {m: change[m] for m in change.index if families.get(m) in CONTEXTUAL_FAMILIES}
    if not contextual:
        return _missing("RobustnessWordOrder task with a contextual model")
    worst = max(contextual, key=contextual.get)
    verdict = "supported" if contextual[worst] < 0.15 else "contradicted"
    return verdict, (f"word-order noise only (10% of words moved by adjacent swaps; synonym replacement not run): "
                     f"mean relative change of pairwise similarity is at most {contextual[worst]:.1%} "
                     f"(`{worst}`) across contextual models; static bag-of-words models are order-blind "
                     "(0% by construction)")


def assess_c10(results, families, datasets=None):
    acc = {m: _value(results, m, "NewsClassification", "accuracy") for m in families}
    f1 = {m: _value(results, m, "NewsClassification", "f1") for m in families}
    acc = {m: v for m, v in acc.items() if v is not None}
    if not acc:
        return _missing("NewsClassification (AG News) score")
    best = max(acc, key=acc.get)
    verdict = "supported" if acc[best] > 0.92 and (f1.get(best) or 0) > 0.92 else "contradicted"
    return verdict, (f"under MTEB's protocol (logistic regression on few examples per label, sampled AG News "
                     f"test split) the best model `{best}` reaches accuracy {acc[best]:.3f}, macro-F1 "
                     f"{f1[best]:.3f}; a classifier trained on AG News' 120k training texts (not in the mirror) "
                     "would score higher, so the threshold depends on the protocol, which the article omits")


def assess_c12(results, families, datasets=None):
    sil = results[(results["task"] == "TwentyNewsgroupsClustering") & (results["metric"] == "silhouette")]
    dbi = results[(results["task"] == "TwentyNewsgroupsClustering") & (results["metric"] == "davies_bouldin")]
    if sil.empty:
        return _missing("TwentyNewsgroupsClustering score")
    s, d = sil.set_index("model")["value"], dbi.set_index("model")["value"]
    verdict = "supported" if s.max() > 0.6 else "contradicted"
    return verdict, (f"silhouette of the gold newsgroup labels (cosine) is at most {s.max():.3f} "
                     f"(`{s.idxmax()}`) against the claimed 0.6; Davies-Bouldin is lower-is-better (here "
                     f"{d.min():.2f} to {d.max():.2f}), so a '> 0.6' threshold for it is ill-posed")


CLAIMS = [
    Claim("C01", "Static word vectors cannot separate senses of one word; contextual models can.",
          untestable="no word-in-context task in the suite yet (a WiC-style test would decide it)"),
    Claim("C02", "BERT's [CLS] vector aggregates global information into a 768-dim sentence vector.", assess_c02),
    Claim("C03", "BERT-type (MLM) models suit deep semantic tasks like text similarity, at a larger compute cost.",
          untestable="no raw MLM-only BERT checkpoint installs offline (the MiniLM weights are contrastively "
                     "fine-tuned); run `bert-base-uncased` through the registry's hub path online"),
    Claim("C04", "GPT-type (autoregressive) models lack bidirectional context for representations.",
          untestable="our decoder (Gemma-3-270m, no embedding training) does score far below the encoders "
                     "(see experiment 01), but that comparison cannot separate attention direction from training "
                     "objective and size"),
    Claim("C05", "Sentence-BERT (siamese, contrastive) reaches Spearman 0.92 on STS.", assess_c05),
    Claim("C06", "A domain-pretrained model (FinBERT) beats general BERT by 18.3% F1 on in-domain matching.",
          untestable="no FinBERT or financial-contract data installs offline"),
    Claim("C07", "Same-class pairs should have cosine > 0.8, different-class pairs < 0.3.", assess_c07),
    Claim("C08", "For a good embedding the top 20 principal components explain > 85% of variance.", assess_c08),
    Claim("C09", "With 10% noise (synonyms, word order) similarity should move < 15%.", assess_c09),
    Claim("C10", "Text classification (AG News): accuracy / macro-F1 > 92%.", assess_c10),
    Claim("C11", "Retrieval (MS MARCO): MRR@10 / Recall@100 > 35%.",
          untestable="MS MARCO does not install offline; SciFact (subsampled corpus) is the retrieval task here"),
    Claim("C12", "Clustering (20 Newsgroups): silhouette / Davies-Bouldin > 0.6.", assess_c12),
    Claim("C13", "Text generation (CNN/DM): ROUGE-L / BLEU-4 > 28.",
          untestable="a generation metric, not an embedding task"),
    Claim("C14", "Back-translation augmentation improves domain adaptation by 12%.",
          untestable="needs fine-tuning with and without augmented data; no training experiment yet"),
    Claim("C15", "Hard negatives at similarity 0.4-0.6 beat random negatives by 8%.",
          untestable="needs a contrastive fine-tuning experiment; none yet"),
    Claim("C16", "Multimodal fusion (CLIP + text) improves fashion product matching by 17%.",
          untestable="no image model or fashion data offline"),
    Claim("C17", "Widening hidden size 768 -> 1024 gives +5.2% accuracy and -18% inference speed.",
          untestable="no 1024-dim model installs offline; experiment 01 has one 384/768 pair of the same "
                     "training recipe (all-MiniLM-L6-v2 / all-mpnet-base-v2), which differs in depth too"),
    Claim("C18", "INT8 quantization: model 4x smaller, 3.2x faster, accuracy loss < 2%.",
          untestable="not run yet: the quantization experiment (int8 ONNX MiniLM is in the registry) will test it"),
    Claim("C19", "Distillation (TinyBERT student): 98% of the teacher's performance, latency -76%.",
          untestable="no TinyBERT pair offline; model2vec's static distillation of MiniLM is a different method"),
    Claim("C20", "Caching embeddings of frequent queries: QPS x5, CPU use -40%.",
          untestable="a serving-system claim that depends on the query distribution"),
    Claim("C21", "Intent recognition with a domain model reaches 92% accuracy.",
          untestable="no domain (banking) model offline; Banking77 scores of general models are in experiment 01"),
    Claim("C22", "Cross-lingual retrieval (XLM-R + contrastive loss) reaches F1 89.7%, close to monolingual.",
          untestable="no XLM-R model offline; the nearest test here is zh-en bitext mining (HSKBitextMining)"),
    Claim("C23", "Embedding pruning removes 65% of parameters with < 1% accuracy loss.",
          untestable="no pruning experiment yet"),
    Claim("C24", "Sparse expert routing keeps quality at 30% less compute.",
          untestable="no mixture-of-experts embedding model offline"),
]


def ledger(results: pd.DataFrame, families: dict[str, str], datasets: dict | None = None) -> list[dict]:
    """Every claim with its verdict and the evidence sentence (computed from ``results``; ``datasets``
    is the metrics file's provenance block of task records, for sample sizes)."""
    rows = []
    for claim in CLAIMS:
        if claim.assess is None:
            verdict, evidence = "not testable here", claim.untestable
        else:
            verdict, evidence = claim.assess(results, families, datasets)
        rows.append({"id": claim.id, "claim": claim.text, "verdict": verdict, "evidence": evidence})
    return rows


def ledger_markdown(rows: list[dict], source: str) -> str:
    """reports/CLAIMS.md."""
    lines = ["# Claims ledger", "",
             "Each checkable claim of the seed article (IDs from `../shared/seed/CLAIMS.md`) with what our runs "
             f"found. Written by `dvc repro` (stage `report`) from {source}; do not edit by hand.", "",
             "| id | claim | verdict | evidence |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['id']} | {r['claim']} | **{r['verdict']}** | {r['evidence']} |")
    counts = pd.Series([r["verdict"] for r in rows]).value_counts()
    lines += ["", "Verdicts: " + ", ".join(f"{n} {v}" for v, n in counts.items()) + "."]
    return "\n".join(lines) + "\n"
