"""Experiment 01's claims of the seed article: each rule reads this experiment's records (``results``) and
the tables its metrics file writes beside them (``payload``), and names the experiment by ``experiment``.
The ledger (``embedlab.claims``) gathers ``CLAIMS`` of every listed experiment.

Read as a file of its own by the `report` stage: absolute imports only (tests/test_layout.py)."""

from __future__ import annotations

from embedlab.analysis.results import english_mean, english_tasks
from embedlab.claims import Claim, SAMPLE_SUFFIX, coinciding, missing, task_values


def _sample_size(results, datasets, task):
    """'a 300-pair sample of the STS-B test set' from the records' n_used, else the provenance."""
    n = None
    if "n_used" in results.columns:
        rows = results[(results["task"] == task) & results["n_used"].notna()]
        n = None if rows.empty else rows["n_used"].iloc[0]
        n = n.get("test") if isinstance(n, dict) else n
    if n is None:
        n = (((datasets or {}).get(task) or {}).get("n_used") or {}).get("test")
    if isinstance(n, float) and n == n:
        n = int(n)  # a column with gaps holds floats
    return f"a {n if n is not None else '?'}-pair sample of the STS-B test set"


def assess_c02(results, families, datasets=None, payload=None, experiment="this experiment"):
    overall = english_mean(results)
    cls, mean = overall.get("minilm-bert-cls"), overall.get("minilm-bert-mean")
    if cls is None or mean is None:
        return missing(f"minilm-bert-cls / minilm-bert-mean pair in {experiment}")
    n = len(english_tasks(results[results["model"] == "minilm-bert-cls"]))
    paired = {r["variant"]: r for r in (payload or {}).get("pooling_differences") or []
              if r.get("group") == "MiniLM weights"}
    gap = paired.get("CLS")
    gap_text = (f"; paired against the sentence-transformers pooling of the same weights, [CLS] is "
                f"{-gap['difference']:+.3f} [{-gap['ci_high']:+.3f}, {-gap['ci_low']:+.3f}]" if gap else "")
    verdict = "partly" if cls < mean else "supported"
    same = [m for m in coinciding(payload).get("minilm-bert-mean", "").split(" = ")
            if m and m != "minilm-bert-mean"]
    same_text = f" (mean pooling gives the same vectors as {', '.join(f'`{m}`' for m in same)})" if same else ""
    return verdict, (f"{experiment}, mean main score over its {n} English tasks: the first-token ([CLS]) "
                     f"state of the MiniLM weights {cls:.3f}, mean pooling of the same token states {mean:.3f} "
                     f"({mean - cls:+.3f}){same_text}{gap_text}. These are all-MiniLM-L6-v2's weights, fine-tuned with mean "
                     "pooling: their [CLS] token was never trained as the sentence vector, unlike BERT's [CLS] "
                     "(pretrained on next-sentence prediction), so this tests a [CLS] token of a mean-pooled model, "
                     "not BERT's; it carries sentence meaning, less of it than the mean. The claim's 768 dims are "
                     "BERT-base's size (MiniLM: 384), not a property of [CLS]")


def assess_c05(results, families, datasets=None, payload=None, experiment="this experiment"):
    full, _ = task_values(results[results["task"] == "STSBenchmark"], "STSBenchmark", "cosine_spearman")
    sample, _ = task_values(results[results["task"] == "STSBenchmark" + SAMPLE_SUFFIX], "STSBenchmark",
                             "cosine_spearman")
    full = {m: v for m, v in full.items() if families.get(m) == "contrastive"}
    sample = {m: v for m, v in sample.items() if families.get(m) == "contrastive" and m not in full}
    if not full and not sample:
        return missing("contrastive model scored on STSBenchmark")

    def listing(scores):
        return ", ".join(f"`{m}` {v:.3f}" for m, v in sorted(scores.items(), key=lambda kv: -kv[1]))

    # The verdict reads full-size scores only, which compare with the claim; a model scored only on a
    # sample is listed apart (a 300-pair sample's 95% interval is about 0.1 wide). 0.915 rounds to 0.92.
    decisive = full or sample
    verdict = "supported" if max(decisive.values()) >= 0.915 else "not reached by the tested models"
    parts = []
    if full:
        parts.append(f"on the full STS-B test set: {listing(full)}")
    if sample:
        parts.append(f"on {_sample_size(results, datasets, 'STSBenchmark' + SAMPLE_SUFFIX)} only "
                     f"({'not the basis of the verdict' if full else 'no full-size score'}): {listing(sample)}")
    return verdict, ("Sentence-BERT-style models " + "; ".join(parts) + f". 0.92 is "
                     f"{'reached' if verdict == 'supported' else 'not reached by the tested (small) models'}, "
                     "which does not rule out larger Sentence-BERT models")


def assess_c12(results, families, datasets=None, payload=None, experiment="this experiment"):
    gold, used = task_values(results, "TwentyNewsgroupsClustering", "silhouette")
    kmeans, used_k = task_values(results, "TwentyNewsgroupsClustering", "kmeans_silhouette")
    names = sorted(set(used.values()) | set(used_k.values()))
    dbi, _ = task_values(results, "TwentyNewsgroupsClustering", "davies_bouldin")
    if not gold and not kmeans:
        return missing("TwentyNewsgroupsClustering score")
    best = max(max(gold.values(), default=-1.0), max(kmeans.values(), default=-1.0))
    verdict = "supported" if best > 0.6 else "contradicted"
    parts = []
    if kmeans:
        top = max(kmeans, key=kmeans.get)
        parts.append(f"silhouette of k-means clusters (k = 20, cosine) at most {kmeans[top]:.3f} (`{top}`)")
    if gold:
        top = max(gold, key=gold.get)
        parts.append(f"silhouette of the gold newsgroup labels at most {gold[top]:.3f} (`{top}`)")
    dbi_text = (f" (here {min(dbi.values()):.2f} to {max(dbi.values()):.2f})" if dbi else "")
    return verdict, (f"on the 20 Newsgroups test **subject lines** ({', '.join(f'`{n}`' for n in names)}; not full "
                     "posts, which the claim may mean): "
                     + "; ".join(parts) + " against the claimed 0.6. Davies-Bouldin is lower-is-better"
                     + dbi_text + ", so a '> 0.6' threshold for it is ill-posed")


CLAIMS = [
    Claim("C02", "BERT's [CLS] vector aggregates global information into a 768-dim sentence vector.", assess_c02),
    Claim("C05", "Sentence-BERT (siamese, contrastive) reaches Spearman 0.92 on STS.", assess_c05),
    Claim("C12", "Clustering (20 Newsgroups): silhouette / Davies-Bouldin > 0.6.", assess_c12),
]
