"""Experiment 02 (dimension scaling): how much quality each dimension buys, and what it costs.

The notebook `notebooks/02_dimension_scaling.ipynb` calls these. Nothing is encoded: every score comes
from the embedding store through a reduction (``embedlab.reduction``) fitted once per (model, method,
dimension) and applied to every role of a task.

Calibration: an *inductive* fit (``pca_inductive``, ``pca_whiten``) uses the stored vectors of the
params' ``calibration.task`` (every role), with every text that also occurs in an evaluated task
removed, so it never sees a test row; a *transductive* fit (``pca_transductive``) uses every text the
evaluated task embeds (its train split too, for classification). Truncation needs no fit; the random
projection's fit only reads the input dimension.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import EmbedlabError
from ..reduction import PCAReduction, Truncation, check_dim, check_dims, check_methods, variance_profile
from .results import english_scored_tasks, type_order

LEVELS = (0.99, 0.95)


# -- the plan, checked before any work -------------------------------------------------------------------

def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised before anything is computed."""
    cfg = exp.group
    registry = exp.params["models"]
    models = list(cfg.get("models") or [])
    for m in models + list(cfg.get("zoo") or []):
        if m not in registry:
            raise EmbedlabError(f"dimension_scaling names model '{m}', which is not in the registry (params.yaml: models)",
                                f"use one of: {', '.join(registry)}")
    native = {m: int(registry[m]["dim"]) for m in models}
    dims = check_dims(cfg["dims"], native, cfg.get("dims_per_model"))
    methods = check_methods(cfg["methods"])
    prepared = english_scored_tasks(exp, cfg.get("tasks"), "dimension_scaling.tasks")
    tasks = list(prepared)
    dims_by_type = {k: [int(d) for d in v] for k, v in (cfg.get("dims_by_type") or {}).items()}
    from ..schema import TASK_TYPES

    bad = [k for k in dims_by_type if k not in TASK_TYPES]
    if bad:
        raise EmbedlabError(f"dimension_scaling.dims_by_type names '{bad[0]}', which is not a task type",
                            f"use some of: {', '.join(TASK_TYPES)}")
    calibration = cfg["calibration"]
    if calibration in tasks:
        raise EmbedlabError(f"the calibration task {calibration} is also evaluated: an inductive fit would see its test rows",
                            "calibrate on a task that is not in dimension_scaling.tasks")
    exp.task(calibration)  # prepared?
    spread = cfg.get("random_projection_spread") or {}
    for m in models:
        if spread:
            check_dim(m, spread["dim"], native[m], "dimension_scaling.random_projection_spread.dim")
    pair = cfg.get("same_recipe") or {}
    if pair:
        for key in ("small", "large"):
            if pair[key] not in models:
                raise EmbedlabError(f"dimension_scaling.same_recipe.{key} '{pair[key]}' is not one of its models",
                                    "add it to dimension_scaling.models")
        check_dim(pair["large"], native[pair["small"]], native[pair["large"]], "dimension_scaling.same_recipe")
        if native[pair["small"]] < native[pair["large"]]:  # the large model is always cut to the small one's size
            dims[pair["large"]] = sorted(set(dims[pair["large"]]) | {native[pair["small"]]})
    # loaded once here (run_grid fits on them): every calibration text outside the evaluated tasks
    exclude = evaluated_texts(exp, tasks)
    calibration_sets = {m: calibration_vectors(exp, m, calibration, exclude) for m in models}
    inductive = [m for m in methods if m.build is PCAReduction and not m.transductive]
    if inductive:  # PCA has at most as many components as calibration texts
        for m in models:
            n = len(calibration_sets[m][0])
            top = max(dims[m], default=0)
            if top > n:
                raise EmbedlabError(f"{inductive[0].name} of {m} to {top} dims needs {top} calibration texts; "
                                    f"{calibration} has {n} outside the evaluated tasks",
                                    "calibrate on a larger task, or lower the target dimensions")
    search = cfg["search"]
    if search["model"] not in models:
        raise EmbedlabError(f"dimension_scaling.search.model '{search['model']}' is not one of its models",
                            "add it to dimension_scaling.models")
    return {"models": models, "native": native, "dims": dims, "methods": methods, "tasks": tasks,
            "types": {t: p["type"] for t, p in prepared.items()}, "calibration": calibration,
            "calibration_sets": calibration_sets,
            "dims_by_type": dims_by_type, "spread": spread,
            "pair": pair, "search": search, "zoo": list(cfg.get("zoo") or []),
            "n_experiments": int(cfg.get("n_experiments", 10))}


def tasks_at(p: dict, dim: int) -> list[str]:
    """The tasks scored at a reduced dimension: every task whose type is not in ``dims_by_type``, and
    those whose type lists this dimension."""
    return [t for t in p["tasks"] if p["types"][t] not in p["dims_by_type"] or dim in p["dims_by_type"][p["types"][t]]]


def grid_tasks(p: dict) -> list[str]:
    """The tasks scored at every dimension (their types are not in ``dims_by_type``): the ones whose
    mean compares across dimensions."""
    return [t for t in p["tasks"] if p["types"][t] not in p["dims_by_type"]]


# -- vectors for fitting ---------------------------------------------------------------------------------

def task_vectors(exp, model: str, task: str) -> tuple[list[str], np.ndarray]:
    """Every text a task embeds (all roles) and its stored vector."""
    from ..paths import embeddings_dir
    from ..store import load_embeddings

    stored = load_embeddings(embeddings_dir(), model, task, exp.task(task)["checksum"])
    texts, rows = [], []
    for role in sorted(stored):
        role_texts, array = stored[role]
        texts += role_texts
        rows.append(array)
    return texts, np.concatenate(rows).astype(np.float32)


def evaluated_texts(exp, tasks: list[str]) -> set[str]:
    """Every text of the evaluated tasks, every split."""
    from ..tasks import texts_to_embed

    out = set()
    for t in tasks:
        for texts in texts_to_embed(exp.task(t)).values():
            out.update(texts)
    return out


def calibration_vectors(exp, model: str, calibration: str, exclude: set[str]) -> tuple[list[str], np.ndarray]:
    """The calibration task's texts and vectors with every text in ``exclude`` removed (the evaluated
    tasks' texts): an inductive fit never sees a test row."""
    texts, vectors = task_vectors(exp, model, calibration)
    keep = [i for i, t in enumerate(texts) if t not in exclude]
    return [texts[i] for i in keep], vectors[keep]


# -- the grid --------------------------------------------------------------------------------------------

def run_grid(exp, p: dict, progress=None) -> tuple[pd.DataFrame, dict, pd.DataFrame]:
    """Score every (model, method, dim, task) and every model's native vectors.

    Returns the records (``method``, ``dim``, ``native_dim``, ``retention`` added), the per-item data of
    each main score, ``{(model, method, dim, task): ItemScores}``, for paired comparisons, and the
    cells not scored (a transductive PCA with more components than the task has texts) with why.
    """
    from tqdm.std import tqdm

    options = {"n_experiments": p["n_experiments"]}
    frames, items, skipped = [], {}, []

    def score(model, tasks, transform, method, dim, **labels):
        if not tasks:
            return
        frame = exp.evaluate([model], tasks, transform=transform, intrinsic=False, progress=False, **options)
        frames.append(frame.assign(method=method, dim=dim, native_dim=p["native"][model], **labels))
        for t in tasks:
            if (model, t) in exp.items:
                items[model, method, dim, t] = exp.items.pop((model, t))

    steps = sum(1 + len(p["methods"]) for _ in p["models"])
    bar = tqdm(total=steps, desc="02_dimension_scaling: model × method", disable=progress is False)
    for model in p["models"]:
        native = p["native"][model]
        score(model, p["tasks"], None, "native", native)
        bar.update(1)
        cal_texts, cal = p["calibration_sets"][model]
        source = f"{p['calibration']} ({len(cal_texts)} texts, none in the evaluated tasks)"
        for method in p["methods"]:
            for dim in p["dims"][model]:
                tasks = tasks_at(p, dim)
                if method.transductive:
                    for t in tasks:
                        vectors = task_vectors(exp, model, t)[1]
                        if len(vectors) < dim:  # PCA has at most as many components as texts
                            skipped.append({"model": model, "method": method.name, "dim": dim, "task": t,
                                            "why": f"{len(vectors)} texts cannot fit {dim} components"})
                            continue
                        fitted = method.make(dim).fit(vectors, source=t, transductive=True)
                        score(model, [t], fitted, method.name, dim)
                else:
                    transform = method.make(dim)
                    if transform.needs_fit:
                        transform.fit(cal, source=source)
                    score(model, tasks, transform, method.name, dim)
            bar.update(1)
        spread = p["spread"]
        if spread and "random_projection" in [m.name for m in p["methods"]] and spread["dim"] < native:
            rp = next(m for m in p["methods"] if m.name == "random_projection")
            for seed in spread["seeds"]:
                if seed == 0:
                    continue  # the grid's own run
                transform = rp.make(spread["dim"], seed=seed).fit(cal, source=source)
                score(model, grid_tasks(p), transform, "random_projection", spread["dim"], seed_run=True)
    bar.close()
    results = pd.concat(frames, ignore_index=True)
    if "seed" in results.columns:
        results["seed"] = results["seed"].where(results["method"] == "random_projection")
    results["seed_run"] = results.get("seed_run", pd.Series(False, index=results.index)).fillna(False).astype(bool)
    return with_retention(results), items, pd.DataFrame(skipped)


def with_retention(results: pd.DataFrame) -> pd.DataFrame:
    """Add ``retention`` = score / the same model's native score on the same task and metric."""
    native = results[results["method"] == "native"].set_index(["model", "task", "metric"])["value"]
    key = pd.MultiIndex.from_frame(results[["model", "task", "metric"]])
    base = native.reindex(key).to_numpy()
    out = results.copy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["retention"] = out["value"].to_numpy() / base
    return out


def main_rows(results: pd.DataFrame, seed_runs: bool = False) -> pd.DataFrame:
    rows = results[results["main"] & results["value"].notna()]
    return rows if seed_runs else rows[~rows["seed_run"]]


# -- tables ---------------------------------------------------------------------------------------------

def retention_by_type(results: pd.DataFrame) -> pd.DataFrame:
    """Mean retention per (model, method, dim, task type) over the type's tasks scored at that dim."""
    main = main_rows(results)
    return (main.groupby(["model", "method", "dim", "task_type"])["retention"].mean()
            .rename("retention").reset_index())


def smallest_dims(results: pd.DataFrame, levels=LEVELS) -> pd.DataFrame:
    """Per model × method × task type: the smallest scored dimension whose mean retention is at least
    each level (the native size when no reduced dimension reaches it). A task type scored at fewer
    dims (clustering) is judged on those."""
    by = retention_by_type(results)
    natives = results.groupby("model")["native_dim"].first()
    rows = []
    for (model, method, kind), part in by[by["method"] != "native"].groupby(["model", "method", "task_type"]):
        part = part.sort_values("dim")
        row = {"model": model, "method": method, "task type": kind}
        for level in levels:
            ok = part[part["retention"] >= level]
            row[f"{level:.0%}"] = int(ok["dim"].iloc[0]) if len(ok) else int(natives[model])
            row[f"{level:.0%} reached below native"] = bool(len(ok))
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.assign(_o=out["task type"].map(type_order)).sort_values(["model", "method", "_o"]).drop(columns="_o")


def threshold_matrix(table: pd.DataFrame, level: str) -> pd.DataFrame:
    """``smallest_dims`` as a (model · method) × task type matrix for one level ("99%")."""
    frame = table.assign(row=table["model"] + " · " + table["method"])
    return frame.pivot(index="row", columns="task type", values=level)


def half_dimension_check(results: pd.DataFrame, method: str = "pca_inductive") -> pd.DataFrame:
    """Zhang, Zhou & Bollegala (LREC-COLING 2024): PCA halves the dimension for about 1% loss. Per model:
    the mean retention over the tasks scored at half the native size (where that dimension was scored;
    clustering excluded: its k-means runs vary more than 1%)."""
    main = main_rows(results)
    rows = []
    for model, part in main.groupby("model"):
        half = int(part["native_dim"].iloc[0]) // 2
        at = part[(part["method"] == method) & (part["dim"] == half) & (part["task_type"] != "clustering")]
        types = ", ".join(sorted(at["task_type"].unique(), key=type_order))
        if at.empty:
            rows.append({"model": model, "native": half * 2, "half": half, "mean retention": np.nan,
                         "loss": np.nan, "agrees (loss ≤ 1.5%)": None})
            continue
        mean = float(at["retention"].mean())
        rows.append({"model": model, "native": half * 2, "half": half, "task types": types,
                     "mean retention": mean, "loss": 1 - mean,
                     "worst task": at.loc[at["retention"].idxmin(), "task"], "worst retention": float(at["retention"].min()),
                     "agrees (loss ≤ 1.5%)": bool(1 - mean <= 0.015)})
    return pd.DataFrame(rows)


def seed_spread(results: pd.DataFrame) -> pd.DataFrame:
    """Random projection at the spread dimension: mean and spread of the main score over seeds, per task."""
    main = main_rows(results, seed_runs=True)
    rp = main[main["method"] == "random_projection"]
    if rp.empty:
        return pd.DataFrame()
    dims = rp[rp["seed_run"]]["dim"].unique()
    rp = rp[rp["dim"].isin(dims) & (rp["task_type"] != "clustering")]
    return (rp.groupby(["model", "dim", "task"])["value"].agg(["mean", "std", "min", "max", "count"])
            .rename(columns={"count": "seeds"}).reset_index())


def same_recipe(exp, results: pd.DataFrame, items: dict, p: dict) -> pd.DataFrame:
    """The small model at its native size against the large one reduced to that size by each method (and
    at its own size): mean main score over the tasks every variant was scored on, and the paired
    bootstrap difference."""
    from ..stats import mean_difference

    pair = p["pair"]
    small, large = pair["small"], pair["large"]
    dim = p["native"][small]
    # tasks both models were scored on natively; a variant missing on one of them (a transductive PCA
    # with more components than a task has texts) is left out rather than compared on fewer tasks
    fast = [t for t in p["tasks"] if (small, "native", dim, t) in items and (large, "native", p["native"][large], t) in items]
    variants = [(m, d) for m, d in [("native", p["native"][large])] + [(m.name, dim) for m in p["methods"]]
                if fast and all((large, m, d, t) in items for t in fast)]
    base = [items[small, "native", dim, t] for t in fast]
    settings = {"n_resamples": exp.bootstrap_settings["bootstrap_resamples"], "seed": exp.bootstrap_settings["bootstrap_seed"]}
    rows = []
    for method, d in variants:
        keys = [(large, method, d, t) for t in fast]
        cmp = mean_difference(list(zip([items[k] for k in keys], base)), **settings)
        rows.append({"large model": f"{large} · {method} · {d}", "large": large, "method": method, "dim": d,
                     "small": small, "small dim": dim, "mean (large)": np.mean([items[k].point() for k in keys]),
                     "mean (small)": np.mean([b.point() for b in base]),
                     "difference": cmp["difference"], "ci_low": cmp["ci_low"], "ci_high": cmp["ci_high"],
                     "separated": bool(cmp["ci_low"] > 0 or cmp["ci_high"] < 0), "tasks": ", ".join(fast)})
    return pd.DataFrame(rows)


# -- the zoo at native size -------------------------------------------------------------------------------

def size_on_disk(path) -> int | None:
    """Bytes of a model's files (a folder: every file under it)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        return None
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def native_zoo(exp, p: dict, results: pd.DataFrame | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Every zoo model at its native size on every task but clustering (mteb's k-means runs are the slow
    part): (records of the models ``results`` did not already score natively, one row per model with
    native dim, mean main score with its interval, measured throughput and size on disk)."""
    from ..encoders import model_location, models_from_params, runtime
    from .results import english_mean_ci

    fast = [t for t in p["tasks"] if p["types"][t] != "clustering"]
    done = pd.DataFrame() if results is None else results[(results["method"] == "native") & results["task"].isin(fast)]
    todo = [m for m in p["zoo"] if done.empty or m not in set(done["model"])]
    records = exp.evaluate(todo, fast, intrinsic=False, progress=False, n_experiments=p["n_experiments"]) if todo else None
    quality = english_mean_ci(pd.concat([f for f in (done[done["model"].isin(p["zoo"])] if not done.empty else None, records)
                                         if f is not None], ignore_index=True))
    throughput = exp.throughput()["models"]
    specs = models_from_params(exp.params["models"])
    cache_dir, _ = runtime(exp.params["embed"])
    rows = []
    for model in p["zoo"]:
        try:
            location = model_location(specs[model], cache_dir)
        except EmbedlabError:
            location = None
        size = size_on_disk(location) if location is not None else None
        rows.append({"model": model, "family": exp.params["models"][model]["family"],
                     "native dim": int(exp.params["models"][model]["dim"]),
                     "mean main score": quality["mean"].get(model, np.nan),
                     "ci_low": quality["ci_low"].get(model, np.nan), "ci_high": quality["ci_high"].get(model, np.nan),
                     "texts/s": (throughput.get(model) or {}).get("texts_per_second", np.nan),
                     "MB on disk": size / 1e6 if size else np.nan})
    return (records if records is not None else pd.DataFrame(),
            pd.DataFrame(rows).sort_values("native dim").reset_index(drop=True))


# -- cost: bytes and search time -------------------------------------------------------------------------

def search_costs(exp, p: dict) -> pd.DataFrame:
    """Brute-force top-k search time per query against dimension on every distinct text the store holds
    for ``search.model`` (truncated to each dimension, unit-normalised; search time depends on the
    dimension only, not on how the vectors were reduced): ``IndexFlatIP``, one query at a time and a
    batch, ratios to the native dimension, all in one run."""
    from ..paths import embeddings_dir
    from ..search import flat_ip_index, time_search
    from ..store import stored_corpus

    s = p["search"]
    model = s["model"]
    texts, vectors = stored_corpus(embeddings_dir(), model)
    n_queries = int(s.get("batch", 1000))
    if len(texts) < n_queries + int(s.get("min_corpus", 20000)):
        raise EmbedlabError(f"the store holds {len(texts)} texts for {model}; search timing needs "
                            f"{n_queries + int(s.get('min_corpus', 20000))}", "pick a model with more stored texts")
    order = np.random.default_rng(int(s.get("seed", 0))).permutation(len(texts))
    queries, corpus = vectors[order[:n_queries]], vectors[order[n_queries:]]
    rows = []
    for dim in sorted(p["dims"][model] + [p["native"][model]]):
        cut = Truncation(dim)
        index = flat_ip_index(cut.apply(corpus, "document"))
        timing = time_search(index, cut.apply(queries, "query"), k=int(s.get("k", 10)),
                             n_single=int(s.get("single_queries", 200)), batch=n_queries,
                             repeats=int(s.get("repeats", 5)))
        rows.append({"dim": dim, "bytes per vector": 4 * dim, "index MB": 4 * dim * len(corpus) / 1e6, **timing})
    frame = pd.DataFrame(rows)
    full = frame[frame["dim"] == p["native"][model]].iloc[0]
    frame["single ratio to native"] = frame["single_ms_per_query"] / full["single_ms_per_query"]
    frame["batch ratio to native"] = frame["batch_ms_per_query"] / full["batch_ms_per_query"]
    return frame.assign(model=model)


# -- dimension utilisation (C08) -------------------------------------------------------------------------

def utilisation(exp, models: list[str], calibration: str) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    """Per model, on the calibration task's texts (the same texts for every model): share of variance in
    the top 20 principal components, components for 85% / 95%, effective rank; and the cumulative
    explained-variance curve for the figure."""
    rows, curves = [], {}
    for model in models:
        _, x = task_vectors(exp, model, calibration)
        x = x.astype(np.float64)
        s = np.linalg.svd(x - x.mean(axis=0), compute_uv=False)
        curves[model] = np.cumsum(s**2) / np.sum(s**2)
        rows.append({"model": model, "native dim": x.shape[1], "n texts": len(x), **variance_profile(x)})
    return pd.DataFrame(rows), curves


def utilisation_records(table: pd.DataFrame, calibration: str) -> list[dict]:
    """The utilisation table as flat result records (task = the calibration corpus, main = False)."""
    out = []
    for _, row in table.iterrows():
        for metric in ("pca_variance_top20", "components_85", "components_95", "effective_rank"):
            out.append({"model": row["model"], "task": calibration, "task_type": "intrinsic", "language": "en",
                        "metric": metric, "value": float(row[metric]), "main": False, "method": "native",
                        "dim": int(row["native dim"]), "native_dim": int(row["native dim"])})
    return out


# -- figures --------------------------------------------------------------------------------------------

METHOD_STYLE = {"truncation": ("#1f77b4", "o"), "pca_inductive": ("#d62728", "s"), "pca_transductive": ("#ff7f0e", "^"),
                "pca_whiten": ("#8c564b", "v"), "random_projection": ("#2ca02c", "D"), "native": ("#000000", "*")}


def retention_figure(results: pd.DataFrame):
    """Retention against dimension, one line per method (mean over models, band: min–max over models),
    one panel per task type, log-2 x axis."""
    import matplotlib.pyplot as plt

    by = retention_by_type(results)
    by = by[by["method"] != "native"]
    kinds = sorted(by["task_type"].unique(), key=type_order)
    fig, axes = plt.subplots(1, len(kinds), figsize=(3.6 * len(kinds), 3.8), sharey=True, squeeze=False)
    for ax, kind in zip(axes[0], kinds):
        part = by[by["task_type"] == kind]
        for method, m in part.groupby("method"):
            stats = m.groupby("dim")["retention"].agg(["mean", "min", "max"])
            color, marker = METHOD_STYLE.get(method, ("#333333", "."))
            ax.plot(stats.index, stats["mean"], marker=marker, color=color, label=method, ms=4)
            ax.fill_between(stats.index, stats["min"], stats["max"], color=color, alpha=0.12)
        ax.axhline(0.99, color="#555555", lw=0.8, ls="--")
        ax.axhline(0.95, color="#999999", lw=0.8, ls=":")
        ax.set_xscale("log", base=2)
        ax.set_title(kind, fontsize=10)
        ax.set_xlabel("target dimension")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("retention (reduced / native score)")
    axes[0][0].set_ylim(max(0.3, float(by["retention"].min()) - 0.05), 1.05)
    axes[0][-1].legend(fontsize=8, loc="lower right")
    return fig, axes


def threshold_figure(table: pd.DataFrame, title: str):
    """The smallest dimension keeping 99% / 95% of the native score, as two heatmaps."""
    import matplotlib.pyplot as plt

    levels = [f"{lv:.0%}" for lv in LEVELS]
    mats = [threshold_matrix(table, lv) for lv in levels]
    cols = sorted(mats[0].columns, key=type_order)
    fig, axes = plt.subplots(1, 2, figsize=(4 + 1.3 * len(cols) * 2, 0.36 * len(mats[0]) + 2), sharey=True)
    for ax, mat, level in zip(axes, mats, levels):
        mat = mat[cols]
        data = np.log2(mat.to_numpy(dtype=float))
        ax.imshow(data, cmap="viridis_r", aspect="auto", vmin=4, vmax=9.6)
        ax.set_xticks(range(len(cols)), cols, rotation=30, ha="right", fontsize=8)
        ax.set_yticks(range(len(mat)), mat.index, fontsize=7.5)
        for i in range(mat.shape[0]):
            for j in range(mat.shape[1]):
                v = mat.iat[i, j]
                if pd.notna(v):
                    ax.text(j, i, f"{int(v)}", ha="center", va="center", fontsize=7,
                            color="white" if np.log2(v) < 6.8 else "black")
        ax.set_title(f"keeps {level} of the native score", fontsize=10)
    fig.suptitle(title, fontsize=11)
    fig.tight_layout()
    return fig


def short_name(model: str) -> str:
    """A short label for crowded figures: ``all-mpnet-base-v2`` -> ``mpnet``."""
    for key in ("mpnet", "MiniLM", "e5", "gemma", "wordllama", "glove", "spacy", "model2vec"):
        if key.lower() in model.lower():
            return key
    return model[:12]


def pareto_front(frame: pd.DataFrame, x: str, y: str) -> pd.DataFrame:
    """Points no other point beats on both fewer ``x`` and higher ``y``."""
    front, best = [], -np.inf
    for _, row in frame.sort_values([x, y], ascending=[True, False]).iterrows():
        if row[y] > best:
            front.append(row)
            best = row[y]
    return pd.DataFrame(front)


def quality_bytes_frame(results: pd.DataFrame, tasks: list[str]) -> pd.DataFrame:
    """Mean main score over ``tasks`` (those scored at every dimension, ``grid_tasks``) against bytes per
    float32 vector, per (model, method, dim)."""
    main = main_rows(results)
    main = main[main["task"].isin(tasks)]
    frame = main.groupby(["model", "method", "dim"])["value"].mean().rename("quality").reset_index()
    return frame.assign(bytes=4 * frame["dim"])


def pareto_figure(frame: pd.DataFrame, title: str, ylabel: str = "mean main score (0–1)"):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 5.2))
    models = list(dict.fromkeys(frame["model"]))
    markers = dict(zip(models, "os^Dv<>ph"))
    for (model, method), part in frame.groupby(["model", "method"]):
        color, _ = METHOD_STYLE.get(method, ("#333333", "."))
        ax.scatter(part["bytes"], part["quality"], color=color, marker=markers[model], s=22, alpha=0.75)
    front = pareto_front(frame, "bytes", "quality")
    ax.plot(front["bytes"], front["quality"], color="black", lw=1.2, label="Pareto front")
    for _, row in front.iterrows():
        ax.annotate(f"{short_name(row['model'])} · {row['method']} · {int(row['dim'])}", (row["bytes"], row["quality"]),
                    fontsize=6.5, xytext=(3, -9), textcoords="offset points")
    for method, (color, _) in METHOD_STYLE.items():
        if method in set(frame["method"]):
            ax.scatter([], [], color=color, marker="s", label=method)
    for model, marker in markers.items():
        ax.scatter([], [], color="#666666", marker=marker, label=model)
    ax.set_xscale("log", base=2)
    ax.set_xlabel("bytes per vector (float32)")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def search_figure(costs: pd.DataFrame, title: str):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10, 3.9))
    for ax, (col, label) in zip(axes, [("single_ms_per_query", "one query at a time"),
                                      ("batch_ms_per_query", "batch of queries, per query")]):
        lo, hi = costs[col.replace("per_query", "min")], costs[col.replace("per_query", "max")]
        ax.errorbar(costs["dim"], costs[col], yerr=[costs[col] - lo, hi - costs[col]], marker="o", capsize=3)
        ax.set_xscale("log", base=2)
        ax.set_xlabel("dimension")
        ax.set_ylabel("ms per query (median of repeats)")
        ax.set_title(label, fontsize=10)
        ax.grid(alpha=0.3)
    fig.suptitle(title, fontsize=10.5)
    fig.tight_layout()
    return fig


def variance_figure(curves: dict[str, np.ndarray], title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8.5, 4.6))
    for model, curve in curves.items():
        ax.plot(np.arange(1, len(curve) + 1), curve, label=f"{model} ({len(curve)})", lw=1.3)
    ax.axvline(20, color="#555555", lw=0.8, ls="--")
    ax.axhline(0.85, color="#999999", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("principal components (log scale)")
    ax.set_ylabel("cumulative share of variance")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
    ax.set_title(title, fontsize=10.5)
    fig.tight_layout()
    return fig


# -- titles and interpretation -----------------------------------------------------------------------------

def retention_title(results: pd.DataFrame) -> str:
    by = retention_by_type(results)
    at = by[(by["method"] != "native") & (by["dim"] == 128)]
    if at.empty:
        return "Retention of the native score against dimension"
    means = at.groupby("method")["retention"].mean().sort_values(ascending=False)
    return (f"At 128 dims {means.index[0]} keeps {means.iloc[0]:.0%} of the native score on average, "
            f"{means.index[-1]} {means.iloc[-1]:.0%}")


def interpretation(results, thresholds, half, pair, zoo, costs, util, spread) -> str:
    """The written findings, computed from the tables (no number typed in)."""
    lines = []
    for level in ("99%", "95%"):
        best = thresholds.groupby("method")[level].median().sort_values()
        lines.append(f"**Smallest dimension keeping {level} of the native score** (median over models and task "
                     "types): " + ", ".join(f"{m} {int(v)}" for m, v in best.items()) + ".")
    if not half.empty and half["mean retention"].notna().any():
        ok = half.dropna(subset=["mean retention"])
        parts = [f"`{r['model']}` {r['native']}→{r['half']}: loss {r['loss']:.1%} "
                 f"({'agrees' if r['agrees (loss ≤ 1.5%)'] else 'does not agree'})" for _, r in ok.iterrows()]
        lines.append("**PCA to half the dimension** (Zhang, Zhou & Bollegala 2024 report about 1% loss; our "
                     "inductive PCA, mean retention over the tasks scored at that dimension): " + "; ".join(parts) + ".")
    if not pair.empty:
        parts = []
        for _, r in pair.iterrows():
            verdict = ("better" if r["difference"] > 0 else "worse") if r["separated"] else "not separated"
            parts.append(f"{r['large model']} {r['difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] ({verdict})")
        lines.append("**A bigger model cut down, or a small one?** Paired difference of the mean main score against "
                     "the small model at its native size: " + "; ".join(parts) + ".")
    if not costs.empty:
        lo = costs.iloc[0]
        lines.append(f"**Cost** ({int(lo['n_corpus']):,} stored vectors, faiss IndexFlatIP, {int(lo['threads'])} threads): "
                     f"at {int(lo['dim'])} dims a vector takes {int(lo['bytes per vector'])} bytes "
                     f"({lo['bytes per vector'] / costs['bytes per vector'].max():.1%} of native); one query at a "
                     f"time costs {lo['single ratio to native']:.2f}× the native time, a batched query "
                     f"{lo['batch ratio to native']:.2f}×.")
    if not util.empty:
        top = util.sort_values("effective_rank", ascending=False).iloc[0]
        lines.append(f"**Dimension use**: the top 20 components hold {util['pca_variance_top20'].min():.0%}–"
                     f"{util['pca_variance_top20'].max():.0%} of the variance across models; the highest effective "
                     f"rank is `{top['model']}`'s {top['effective_rank']:.0f} of {int(top['native dim'])}.")
    if not spread.empty:
        lines.append(f"**Random projection seeds**: the main score varies by at most {spread['std'].max():.3f} "
                     f"(standard deviation over {int(spread['seeds'].max())} seeds) at {int(spread['dim'].iloc[0])} dims.")
    return "\n\n".join(lines)


def headline(thresholds: pd.DataFrame, half: pd.DataFrame) -> str:
    """Two sentences for reports/SUMMARY.md."""
    best = thresholds.groupby("method")["99%"].median().sort_values()
    text = ("Smallest dimension keeping 99% of the native score, median over models and task types: "
            + ", ".join(f"{m} {int(v)}" for m, v in best.items()) + ".")
    ok = half.dropna(subset=["mean retention"]) if not half.empty else half
    if not ok.empty:
        text += (" Inductive PCA to half the native size loses "
                 + ", ".join(f"{r['loss']:.1%} ({r['model']})" for _, r in ok.iterrows())
                 + " (Zhang et al. 2024: about 1%).")
    return text
