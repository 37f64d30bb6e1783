"""Experiment 01 (architecture comparison): its tables, figure titles and written interpretation.

The notebook `notebooks/01_architecture_comparison.ipynb` calls these; the general result helpers
(main scores, type means, English mean) live in ``analysis.results``.
"""

from __future__ import annotations

import pandas as pd

from .results import english_mean, main_scores, type_means


def interpretation(results: pd.DataFrame, families: dict[str, str], throughput: dict[str, float],
                   pooling_groups: dict[str, dict[str, str]], scaling: pd.DataFrame | None = None,
                   scaling_task: str | None = None) -> str:
    """A few sentences written from the numbers: who wins where, and by how much."""
    lines = []
    overall = english_mean(results)
    if overall.empty:
        return "No English task was scored."
    best = overall.index[0]
    main = main_scores(results)
    n_english = main[(main["language"] == "en") & (main["task_type"] != "robustness")]["task"].nunique()
    lines.append(f"- **Overall (mean main score over {n_english} English tasks):** `{best}` "
                 f"({families.get(best)}) leads with {overall.iloc[0]:.3f}.")
    by_family = {}
    for model, score in overall.items():
        by_family.setdefault(families.get(model, "?"), (model, score))
    others = [f"{fam} best `{m}` {s:.3f} ({s - overall.iloc[0]:+.3f})" for fam, (m, s) in by_family.items()
              if m != best]
    if others:
        lines.append("- Best of each other family: " + "; ".join(others) + ".")
    types = type_means(results, list(overall.index) + [m for m in families if m not in overall.index])
    for col in types.columns:
        ranked = types[col].dropna().sort_values(ascending=False)
        if len(ranked) >= 2:
            lines.append(f"- **{col}:** `{ranked.index[0]}` {ranked.iloc[0]:.3f}, then `{ranked.index[1]}` "
                         f"{ranked.iloc[1]:.3f}; last `{ranked.index[-1]}` {ranked.iloc[-1]:.3f}.")
    for label, variants in pooling_groups.items():
        scores = {name: overall.get(model) for name, model in variants.items() if model in overall.index}
        if len(scores) >= 2:
            ranked = sorted(scores.items(), key=lambda kv: -kv[1])
            text = ", ".join(f"{name} {score:.3f}" for name, score in ranked)
            lines.append(f"- **Pooling, {label}:** {text} (English mean).")
    fast = {m: throughput[m] for m in overall.index if m in throughput}
    if best in fast:
        quicker = [m for m in fast if fast[m] > 2 * fast[best]]  # timing noise is well under 2x
        if quicker:
            m = max(quicker, key=lambda k: overall[k])
            lines.append(f"- **Speed:** `{m}` encodes {fast[m] / fast[best]:.1f}× faster than `{best}` "
                         f"({fast[m]:.0f} vs {fast[best]:.0f} texts/s) at {overall[m] - overall[best]:+.3f} mean score.")
    if scaling is not None and not scaling.empty:
        top = scaling["gain_from_standardizing"].idxmax()
        lines.append(f"- **Classifier protocol:** on {scaling_task}, standardizing the vectors before the logistic "
                     f"regression moves `{top}` from {scaling.loc[top, 'accuracy_raw']:.3f} to "
                     f"{scaling.loc[top, 'accuracy_standardized']:.3f} accuracy (whole sampled train split); its mteb "
                     "score there reflects the classifier's regularization on a narrow cosine band as much as the embedding.")
    return "\n".join(lines)


def heatmap_title(table: pd.DataFrame) -> str:
    """States who tops the most task columns."""
    wins = table.dropna(axis=1, how="all").idxmax(axis=0).value_counts()  # all-N/A columns have no winner
    return f"{wins.index[0]} has the top score on {wins.iloc[0]} of {table.shape[1]} tasks"


def pooling_title(pooling: pd.DataFrame, group_label: str) -> str:
    """States which variant of one pooling group has the best mean over task types."""
    cols = [c for c in pooling.columns if c.startswith(f"{group_label}: ")]
    if not cols:
        return "Pooling variants by task type"
    means = pooling[cols].mean(axis=0).sort_values(ascending=False)
    best, worst = means.index[0].split(": ", 1)[1], means.index[-1].split(": ", 1)[1]
    return (f"{group_label}: {best} beats {worst} by {means.iloc[0] - means.iloc[-1]:.3f} "
            f"(mean over task types)")


def speed_title(frame: pd.DataFrame) -> str:
    """States the speed ratio and quality gap between the fastest and the best model."""
    best = frame.loc[frame["quality"].idxmax()]
    fastest = frame.loc[frame["texts_per_second"].idxmax()]
    if best["model"] == fastest["model"]:
        return f"{best['model']} is both the best and the fastest model"
    return (f"{fastest['model']} encodes {fastest['texts_per_second'] / best['texts_per_second']:.0f}× faster "
            f"than {best['model']} at {fastest['quality'] - best['quality']:+.3f} mean score")


INTRINSIC_METRICS = {
    "class_cosine_same": "same-class cosine",
    "class_cosine_different": "different-class cosine",
    "pca_variance_top20": "variance in top-20 PCs",
    "anisotropy": "mean random-pair cosine",
    "cosine_orig_noisy": "cosine(text, 10%-shuffled text)",
    "similarity_change": "relative similarity change under noise",
}


def intrinsic_table(results: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Model × intrinsic measure, each averaged over the English tasks that define it."""
    rows = results[results["metric"].isin(list(INTRINSIC_METRICS)) & (results["language"] == "en")]
    table = rows.pivot_table(index="model", columns="metric", values="value", aggfunc="mean")
    table = table.reindex(index=[m for m in models if m in table.index],
                          columns=[c for c in INTRINSIC_METRICS if c in table.columns])
    return table.rename(columns=INTRINSIC_METRICS)


def pooling_table(by_type: pd.DataFrame, pooling_groups: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Task type × pooling variant ("<group>: <variant>") of mean main scores, from ``type_means``."""
    variants = {f"{label}: {name}": model for label, group in pooling_groups.items()
                for name, model in group.items() if model in by_type.index}
    table = by_type.loc[list(variants.values())].T
    table.columns = list(variants)
    return table


def speed_frame(results: pd.DataFrame, throughput: dict, families: dict[str, str]) -> pd.DataFrame:
    """One row per model: English-mean quality, measured texts/second (median) and family."""
    speed = pd.Series({m: r["texts_per_second"] for m, r in throughput.get("models", {}).items()},
                      name="texts_per_second", dtype=float)
    frame = english_mean(results).rename("quality").to_frame().join(speed)
    frame["family"] = frame.index.map(families)
    return frame.rename_axis("model").reset_index().sort_values("quality", ascending=False)


def baseline_line(throughput: dict) -> str:
    """One sentence: plain SentenceTransformer.encode against embedlab's encoder of the same model."""
    base = throughput.get("baseline")
    if not base:
        return "No plain SentenceTransformer.encode reference was timed (params `throughput.baseline`)."
    ours = throughput["models"].get(base["model"], {}).get("texts_per_second", float("nan"))
    return (f"Reference, timed in the same run: plain `SentenceTransformer.encode({base['model']})` "
            f"{base['texts_per_second']:.0f} texts/s; embedlab's own {base['model']} encoder {ours:.0f} texts/s "
            f"(ratio {base.get('ratio_embedlab_to_plain', float('nan')):.2f}, medians of {base['repeats']} passes).")


def scaling_sensitivity(task: dict, encoders: dict, seed: int = 0) -> pd.DataFrame:
    """Logistic-regression accuracy on raw vs standardized embeddings (the whole train split).

    mteb's classifier sees raw vectors; models whose cosines are compressed into a narrow band
    (anisotropic spaces) can underfit there with the default regularization. ``encoders`` maps
    model id -> store.LookupEncoder for ``task``.
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    train, test = task["splits"]["train"], task["splits"]["test"]
    rows = []
    for model, encoder in encoders.items():
        x_train, x_test = encoder.lookup(train["text"], "query"), encoder.lookup(test["text"], "query")
        scaler = StandardScaler().fit(x_train)
        row = {"model": model}
        for name, (a, b) in {"raw": (x_train, x_test),
                             "standardized": (scaler.transform(x_train), scaler.transform(x_test))}.items():
            clf = LogisticRegression(max_iter=100, random_state=seed).fit(a, train["label"])
            row[f"accuracy_{name}"] = clf.score(b, test["label"])
        rows.append(row)
    frame = pd.DataFrame(rows).set_index("model")
    frame["gain_from_standardizing"] = frame["accuracy_standardized"] - frame["accuracy_raw"]
    return frame
