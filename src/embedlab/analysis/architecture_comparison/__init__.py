"""Experiment 01 (architecture comparison): its tables, figure titles and written interpretation.

The notebook `notebooks/01_architecture_comparison.ipynb` calls these; the general result helpers
(main scores, type means, English mean) live in ``analysis.results``.
"""

from __future__ import annotations

import pandas as pd

from ..coincidence import DEFAULT_TOLERANCE, coincidence_sentence, display_names, once
from ...schema import INTRINSIC_TYPES, Findings
from ..results import english_mean, english_mean_ci, english_tasks, main_scores, type_order
from ...stats import separated


def _ci(value: float, low: float, high: float) -> str:
    return f"{value:.3f} [{low:.3f}, {high:.3f}]"


def _difference(row) -> str:
    return f"{row['difference']:+.3f} [{row['ci_low']:+.3f}, {row['ci_high']:+.3f}]"


def _coincide(a, b, names: dict[str, str]) -> bool:
    return a is not None and a != b and a in names and names.get(a) == names.get(b)


def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised (one line) before any work:
    ``models`` (each in the registry), ``tasks`` (``scored_tasks``), their ``families``, ``n_experiments``,
    the tolerance below which two models' vectors coincide and the pooling groups compared."""
    cfg = exp.group
    models = exp.check_models(cfg.get("models"), f"{exp.group_name}.models")
    return {"models": models, "tasks": scored_tasks(exp, cfg.get("tasks"), cfg.get("full_size")),
            "families": exp.families(models), "n_experiments": cfg["n_experiments"],
            "coincide_below": float(cfg.get("coincide_below", DEFAULT_TOLERANCE)),
            "pooling_groups": cfg.get("pooling_groups") or {}}


def scored_tasks(exp, tasks: list[str] | None, full_size: list[str] | None = None) -> list[str]:
    """The tasks of ``tasks`` (via ``exp.tasks``; None: every default-size task) that have a main score to
    compare architectures on, each of ``full_size`` at full size instead of its ``-sample``. Intrinsic tasks
    (robustness, polysemy) are experiment 04's study and are left out."""
    from ...paths import tasks_dir
    from ...tasks import available_tasks

    prepared = set(available_tasks(tasks_dir())) if full_size else set()
    swap = {f"{t}-sample": t for t in full_size or [] if t in prepared}  # else the sample stays
    names = [swap.get(t, t) for t in exp.tasks(tasks)]
    return [t for t in exp.tasks(names) if exp.task(t)["type"] not in INTRINSIC_TYPES]


def merged_ranking(ranking: list[str], groups: list[dict] | None) -> tuple[list[str], dict[str, str]]:
    """``ranking`` with each coinciding group (models giving the same vectors) kept once, at its best-ranked
    member, and ``{member: "a = b"}`` for naming it."""
    names = display_names(groups or [])
    return [m for m, _ in once(ranking, names)], names


def named(separated: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """The ``better`` / ``worse`` columns of a separation table with coinciding models named by their group."""
    return separated.assign(**{c: separated[c].map(lambda m: names.get(m, m)) for c in ("better", "worse")
                               if c in separated.columns})


def ranking_sentences(separated: pd.DataFrame, top: int = 5) -> list[str]:
    """"A beats B" only where the paired interval of the difference excludes zero; otherwise "not separated"."""
    out = []
    for _, row in separated.head(top).iterrows():
        verb = "beats" if row["separated"] else "is not separated from"
        out.append(f"`{row['better']}` {verb} `{row['worse']}` ({_difference(row)})")
    return out


def type_leaders(exp, results: pd.DataFrame, models: list[str], groups: list[dict] | None = None) -> pd.DataFrame:
    """Per task-type column: the leader, the runner-up and their paired difference over that column's tasks;
    a coinciding group counts once (its best member, named ``a = b``)."""
    main = main_scores(results)
    main = main[~main["task_type"].isin(INTRINSIC_TYPES) & main["value"].notna()]
    group = main["task_type"].where(main["language"] == "en", "cross-lingual")
    rows = []
    for col, part in main.assign(group=group).groupby("group", sort=False):
        means = part.groupby("model")["value"].mean().sort_values(ascending=False)
        means = means[[m for m in means.index if m in models]]
        kept, names = merged_ranking(list(means.index), groups)
        means = means[kept]
        if len(means) < 2:
            continue
        tasks = sorted(part["task"].unique())
        cmp = exp.compare(means.index[0], means.index[1], tasks)
        rows.append({"task type": col, "leader": names.get(means.index[0], means.index[0]), "leader mean": means.iloc[0],
                     "runner-up": names.get(means.index[1], means.index[1]), "runner-up mean": means.iloc[1],
                     "difference": cmp["difference"],
                     "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                     "separated": separated(cmp)})
    frame = pd.DataFrame(rows)
    if not frame.empty:
        frame = frame.assign(_o=frame["task type"].map(type_order)).sort_values("_o").drop(columns="_o")
    return frame.reset_index(drop=True)


def pooling_differences(exp, results: pd.DataFrame, pooling_groups: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Each pooling variant against the best variant of its group, paired over the English tasks."""
    overall = english_mean(results)
    tasks = english_tasks(results)
    rows = []
    for label, variants in pooling_groups.items():
        present = {name: m for name, m in variants.items() if m in overall.index}
        if len(present) < 2:
            continue
        best_name = max(present, key=lambda n: overall[present[n]])
        for name, model in present.items():
            if name == best_name:
                continue
            cmp = exp.compare(present[best_name], model, tasks)
            rows.append({"group": label, "best": best_name, "variant": name, "best model": present[best_name],
                         "variant model": model, "difference": cmp["difference"],
                         "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                         "separated": separated(cmp)})
    return pd.DataFrame(rows)


def chance_table(results: pd.DataFrame, models: list[str]) -> pd.DataFrame:
    """Clustering: each model's V-measure next to the task's chance level (random partitions, same sizes)."""
    rows = results[results["task_type"] == "clustering"]
    v = rows[rows["main"].astype(bool)].pivot_table(index="model", columns="task", values="value")
    chance = rows[rows["metric"] == "v_measure_chance"].groupby("task")["value"].mean()
    if v.empty:
        return v
    v = v.reindex(index=[m for m in models if m in v.index])
    v.loc["(chance level)"] = chance.reindex(v.columns)
    return v


def na_cells(results: pd.DataFrame) -> pd.DataFrame:
    """The (model, task) cells that are not measurements, with the measured reason."""
    if "na_reason" not in results.columns:
        return pd.DataFrame(columns=["model", "task", "na_reason"])
    main = main_scores(results)
    return main.loc[main["na_reason"].notna(), ["model", "task", "na_reason"]].reset_index(drop=True)


def interpretation(results: pd.DataFrame, families: dict[str, str], throughput: dict[str, float],
                   separated: pd.DataFrame, leaders: pd.DataFrame, pooling: pd.DataFrame,
                   chance: pd.DataFrame | None = None, groups: list[dict] | None = None) -> str:
    """Sentences written from the numbers. A difference is called a win only where the paired bootstrap
    interval of the difference (same test items for both models) excludes zero. Models that give the same
    vectors (``groups``) are one entry of the ranking, named together (``a = b``)."""
    overall = english_mean_ci(results)
    if overall.empty:
        return "No English task was scored."
    names = display_names(groups or [])
    best = overall.index[0]
    n_english = len(english_tasks(results))
    lines = [f"- **Overall (mean main score over {n_english} English tasks, 95% interval):** `{names.get(best, best)}` "
             f"({families.get(best)}) {_ci(*overall.loc[best, ['mean', 'ci_low', 'ci_high']])}."]
    if groups:
        lines.append(f"- **Models that coincide:** {coincidence_sentence(groups)} The ranking counts each such group "
                     "once, as one entry.")
    if not separated.empty:
        n_sep = int(separated["separated"].sum())
        lines.append("- **Ranking, paired bootstrap over the same English test items:** "
                     + "; ".join(ranking_sentences(separated)) + f". {n_sep} of {len(separated)} adjacent pairs "
                     "of the full ranking are separated; the others are inside the noise.")
    by_family = {}
    for model in overall.index:
        by_family.setdefault(families.get(model, "?"), model)
    others = [f"{fam}: `{names.get(m, m)}` {_ci(*overall.loc[m, ['mean', 'ci_low', 'ci_high']])}"
              for fam, m in by_family.items() if m != best]
    if others:
        lines.append("- **Best of each other family:** " + "; ".join(others) + ".")
    for _, row in leaders.iterrows():
        verb = "leads" if row["separated"] else "is first but not separated from"
        lines.append(f"- **{row['task type']}:** `{row['leader']}` ({row['leader mean']:.3f}) {verb} "
                     f"`{row['runner-up']}` ({row['runner-up mean']:.3f}; difference {_difference(row)}).")
    for label, part in (pooling.groupby("group", sort=False) if not pooling.empty else []):
        text = "; ".join(f"{r['best']} − {r['variant']} {_difference(r)}{'' if r['separated'] else ' (not separated)'}"
                         + (" (the same vectors)" if _coincide(r.get("best model"), r.get("variant model"), names) else "")
                         for _, r in part.iterrows())
        lines.append(f"- **Pooling, {label}** (English tasks, vectors L2-normalised for classification and "
                     f"clustering, so norms cannot pose as pooling): {text}.")
    fast = {m: throughput[m] for m in overall.index if m in throughput}
    if best in fast:
        quicker = [m for m in fast if fast[m] > 2 * fast[best]]  # timing noise is well under 2x
        if quicker:
            m = max(quicker, key=lambda k: overall.loc[k, "mean"])
            lines.append(f"- **Speed:** `{names.get(m, m)}` encodes {fast[m] / fast[best]:.1f}× faster than `{names.get(best, best)}` "
                         f"({fast[m]:.0f} vs {fast[best]:.0f} texts/s) at "
                         f"{overall.loc[m, 'mean'] - overall.loc[best, 'mean']:+.3f} mean score.")
    if chance is not None and not chance.empty and "(chance level)" in chance.index:
        floor = chance.loc["(chance level)"]
        below = [(m, t) for t in chance.columns for m in chance.index[:-1]
                 if pd.notna(chance.loc[m, t]) and chance.loc[m, t] <= floor[t] + 0.02]
        text = ", ".join(f"{t} {floor[t]:.3f}" for t in chance.columns)
        lines.append(f"- **Clustering chance level** (V-measure of random partitions with the gold cluster sizes): "
                     f"{text}; {len(below)} model × task values are within 0.02 of it"
                     + (": " + ", ".join(f"`{m}` on {t}" for m, t in below) if below else "") + ".")
    na = na_cells(results)
    if not na.empty:
        lines.append(f"- **Not measurements:** {len(na)} cells are N/A (English-only models on Chinese text), "
                     f"e.g. `{na.iloc[0]['model']}` on {na.iloc[0]['task']}: {na.iloc[0]['na_reason']}.")
    return "\n".join(lines)


def heatmap_title(table: pd.DataFrame) -> str:
    """States who tops the most task columns."""
    wins = table.dropna(axis=1, how="all").idxmax(axis=0).value_counts()  # all-N/A columns have no winner
    return f"{wins.index[0]} has the highest point estimate on {wins.iloc[0]} of {table.shape[1]} tasks (intervals in the table below)"


def pooling_title(pooling: pd.DataFrame, group_label: str) -> str:
    """States which variant of one pooling group has the highest and the lowest mean over task types
    (a description; whether the gap is real is the paired test in the interpretation)."""
    cols = [c for c in pooling.columns if c.startswith(f"{group_label}: ")]
    if not cols:
        return "Pooling variants by task type"
    means = pooling[cols].mean(axis=0).sort_values(ascending=False)
    best, worst = means.index[0].split(": ", 1)[1], means.index[-1].split(": ", 1)[1]
    return (f"{group_label}: {best} highest, {worst} lowest, {means.iloc[0] - means.iloc[-1]:.3f} apart "
            f"(mean over task types)")


def speed_title(frame: pd.DataFrame) -> str:
    """States the speed ratio and quality gap between the fastest and the best model."""
    best = frame.loc[frame["quality"].idxmax()]
    fastest = frame.loc[frame["texts_per_second"].idxmax()]
    if best["model"] == fastest["model"]:
        return f"{best['model']} is both the best and the fastest model"
    return (f"{fastest['model']} encodes {fastest['texts_per_second'] / best['texts_per_second']:.0f}× faster "
            f"than {best['model']} at {fastest['quality'] - best['quality']:+.3f} mean score")


def pooling_table(by_type: pd.DataFrame, pooling_groups: dict[str, dict[str, str]]) -> pd.DataFrame:
    """Task type × pooling variant ("<group>: <variant>") of mean main scores, from ``type_means``."""
    variants = {f"{label}: {name}": model for label, group in pooling_groups.items()
                for name, model in group.items() if model in by_type.index}
    table = by_type.loc[list(variants.values())].T
    table.columns = list(variants)
    return table


def speed_frame(results: pd.DataFrame, throughput: dict, families: dict[str, str]) -> pd.DataFrame:
    """One row per model: English-mean quality with its interval, measured texts/second (median) and family."""
    speed = pd.Series({m: r["texts_per_second"] for m, r in throughput.get("models", {}).items()},
                      name="texts_per_second", dtype=float)
    quality = english_mean_ci(results).rename(columns={"mean": "quality", "ci_low": "quality_low",
                                                       "ci_high": "quality_high"})
    frame = quality[["quality", "quality_low", "quality_high"]].join(speed)
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


def interval_text_table(table: pd.DataFrame, low: pd.DataFrame, high: pd.DataFrame,
                        labels: dict[str, str] | None = None) -> pd.DataFrame:
    """Task × model table of "score [low, high]" strings ("N/A" where there is no score), tasks labelled."""
    def cell(v, lo, hi):
        if pd.isna(v):
            return "N/A"
        return f"{v:.3f}" if pd.isna(lo) else f"{v:.3f} [{lo:.3f}, {hi:.3f}]"

    out = pd.DataFrame({m: [cell(table.loc[m, t], low.loc[m, t], high.loc[m, t]) for t in table.columns]
                        for m in table.index}, index=table.columns)
    return out.rename(index=labels or {})


def headline(results: pd.DataFrame, separated: pd.DataFrame, groups: list[dict] | None = None) -> str:
    """The overall ranking in one sentence: the top three by English mean with intervals (a coinciding group
    is one entry, ``a = b``), and how many adjacent pairs of the full ranking a paired bootstrap separates."""
    overall = english_mean_ci(results).sort_values("mean", ascending=False)
    ranking, names = merged_ranking(list(overall.index), groups)
    top = "; ".join(f"{names.get(m, m)} {_ci(*overall.loc[m, ['mean', 'ci_low', 'ci_high']])}" for m in ranking[:3])
    n_sep = int(separated["separated"].sum()) if not separated.empty else 0
    same = (f" ({', '.join(g['label'] for g in groups)}: identical vectors, one entry)" if groups else "")
    return (f"Mean main score over {len(english_tasks(results))} English tasks (95% interval), top three: {top}; "
            f"{n_sep} of {len(separated)} adjacent pairs of the full ranking{same} are separated by a paired bootstrap.")


KEY_FIGURE = "heatmap_main_scores"


def findings(results, families, speed, separated, leaders, pooling, chance, groups=None) -> Findings:
    """The headline (ranking with intervals, separated pairs), the key figure and the interpretation."""
    return Findings(headline=headline(results, separated, groups), key_figure=KEY_FIGURE,
                    interpretation=interpretation(results, families, speed, separated, leaders, pooling, chance, groups))
