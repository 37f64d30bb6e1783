"""The vocabulary every module shares: task types, embedding roles, model families, and each task
type's metrics with its main one. Defined here once; everything else imports it."""

from __future__ import annotations

from dataclasses import dataclass

#: Task types, in the order tables and figures show them.
TASK_TYPES = ("sts", "pair_classification", "classification", "clustering", "retrieval", "bitext_mining",
              "robustness", "polysemy")

#: Intrinsic task types (experiment 04): scored apart, never averaged with the main scores.
INTRINSIC_TYPES = ("robustness", "polysemy")

#: mteb's name of each type embedlab evaluates through mteb (robustness and polysemy are intrinsic, see intrinsic.py).
MTEB_TYPES = {
    "sts": "STS",
    "classification": "Classification",
    "clustering": "Clustering",
    "retrieval": "Retrieval",
    "pair_classification": "PairClassification",
    "bitext_mining": "BitextMining",
}

#: The metrics each task type reports (mteb's names); the first is the type's main score.
METRICS = {
    "sts": ["cosine_spearman", "cosine_pearson"],
    "classification": ["accuracy", "f1"],
    "clustering": ["v_measure", "silhouette", "kmeans_silhouette", "davies_bouldin"],
    "retrieval": ["ndcg_at_10", "mrr_at_10", "recall_at_100"],
    "pair_classification": ["max_ap", "cosine_ap", "cosine_accuracy", "cosine_f1"],
    "bitext_mining": ["f1", "accuracy"],
    "robustness": ["similarity_change", "cosine_orig_noisy", "similarity_abs_change"],
    # intrinsic: same-sense vs different-sense cosine of sentences using one word (see intrinsic.sense_separation)
    "polysemy": ["polysemy_auc", "polysemy_nn_accuracy", "polysemy_nn_chance"],
}

#: Main score per task type.
MAIN_METRICS = {kind: metrics[0] for kind, metrics in METRICS.items()}

#: Which texts an embedding serves: queries (also every text of a symmetric task) or documents.
ROLES = ("query", "document")

#: Model families (the registry's ``family`` field).
FAMILIES = ("contrastive", "bert", "decoder", "static", "multilingual")


def main_metric(task: dict) -> str:
    """A prepared task's main metric: its ``main_score`` field, else the type's main metric."""
    return task.get("main_score") or MAIN_METRICS[task["type"]]


def result_records(task: dict, model_id: str, values: dict[str, float], main: str, dim=None) -> list[dict]:
    """Flat result records, one per metric: ``{model, task, task_type, language, metric, value, main}``
    (plus ``dim`` when given). Every score of every experiment is one of these."""
    out = []
    for metric, value in values.items():
        rec = {"model": model_id, "task": task["name"], "task_type": task["type"],
               "language": task.get("language"), "metric": metric, "value": float(value),
               "main": metric == main}
        if dim is not None:
            rec["dim"] = float(dim)
        out.append(rec)
    return out


@dataclass(frozen=True)
class Findings:
    """What an experiment's package says of its records (its ``findings(...)``): the headline sentence
    the report quotes, the stem of its key figure under reports/figures/<experiment>/, and the written
    interpretation. ``Experiment.write_metrics(..., findings=...)`` puts all three in the metrics file."""

    headline: str
    key_figure: str
    interpretation: str = ""
