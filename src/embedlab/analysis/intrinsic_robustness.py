"""Experiment 04 (intrinsic quality and robustness): what an embedding space looks like from the inside, for
every model of experiment 01, and how far noise in the text moves it.

The notebook `notebooks/04_intrinsic_robustness.ipynb` calls these. Every vector comes from the embedding
store (the noisy texts are prepared tasks of their own, ``data.noise``, encoded once like any task), except
the contextual vectors of one word in a sentence (polysemy, token level), which the notebook computes for
the few models whose token states it can read.

- **Fidelity** (claim C07): same-class vs different-class cosine on labelled sets: medians, the share of
  pairs on the right side of C07's 0.8 / 0.3 thresholds, and the ROC AUC of cosine (``intrinsic.fidelity``).
- **Anisotropy**: mean cosine of random pairs, raw and after subtracting the mean vector of calibration
  texts; the STS score with and without that centering (paired bootstrap).
- **Polysemy** (C01): WordNet example sentences of different senses of one word; same-sense vs different-
  sense cosine AUC and nearest-neighbour sense accuracy of sentence vectors and of the word's own vectors.
- **Robustness** (C09): synonym replacement, adjacent swaps, shuffles, keyboard typos (English) and
  character substitution (Chinese) at several rates: cos(original, noisy) per text and the main score on
  the noisy test texts against the clean ones (paired bootstrap).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import EmbedlabError
from ..intrinsic import anisotropy, centered_anisotropy, pair_cosines, pair_fidelity, robustness, sense_separation
from ..params import noisy_names
from ..tasks import NOISED_FIELDS
from ..transforms import Centering


# ---- plan: every params error before any work

def plan(exp) -> dict:
    """The experiment's settings from its params group, every error raised (one line) before any work."""
    cfg, g = exp.group, exp.group_name
    registry = exp.params["models"]
    models = list(cfg.get("models") or [])
    unknown = [m for m in models if m not in registry]
    if unknown or not models:
        raise EmbedlabError(f"{g}.models names '{(unknown or ['(none)'])[0]}', which is not in the registry",
                            f"list models of params.yaml's registry: {', '.join(registry)}")
    types = {t: exp.task(t)["type"] for t in exp.tasks(cfg["tasks"])}
    calibration = exp.tasks([cfg["calibration"]])[0]

    def of_type(key, allowed):
        listed = list(cfg.get(key, {}).get("tasks") or [])
        wrong = [t for t in listed if t not in types or types[t] not in allowed]
        if wrong:
            raise EmbedlabError(f"{g}.{key}.tasks lists '{wrong[0]}', which is not a {' or '.join(allowed)} task of "
                                f"{g}.tasks", f"list tasks of {g}.tasks of type {' or '.join(allowed)}")
        return listed

    fid = {**cfg["fidelity"], "tasks": of_type("fidelity", ("classification", "clustering"))}
    centering = {"tasks": of_type("centering", ("sts",))}
    poly = dict(cfg.get("polysemy") or {})
    if poly:
        if types.get(poly.get("task")) != "polysemy":
            raise EmbedlabError(f"{g}.polysemy.task '{poly.get('task')}' is not a polysemy task of {g}.tasks",
                                "use WordNetPolysemy and list it in the group's tasks")
        bad = [m for m in poly.get("token_models") or [] if m not in registry
               or registry[m]["loader"] not in ("sentence_transformers", "transformers", "glove", "spacy", "wordllama", "model2vec")]
        if bad:
            raise EmbedlabError(f"{g}.polysemy.token_models names '{bad[0]}', whose word vectors this experiment "
                                "cannot read", "use a sentence_transformers / transformers model or a static model")
    noise = exp.params["data"].get("noise") or {}
    blocks = {}
    for block, spec in (cfg.get("robustness") or {}).items():
        missing = [m for m in spec["models"] if m not in registry]
        if missing:
            raise EmbedlabError(f"{g}.robustness.{block} names unknown model '{missing[0]}'", "use registry models")
        pairs = []
        for clean in exp.tasks(spec["tasks"]):
            names = noisy_names(noise, clean)
            if not names:
                raise EmbedlabError(f"{g}.robustness.{block} lists '{clean}', for which data.noise asks no noise",
                                    "add its base task to data.noise.tasks")
            for name in exp.tasks(names):
                pairs.append((clean, name))
        blocks[block] = {"models": list(spec["models"]), "pairs": pairs}
    return {"models": models, "tasks": list(types), "types": types, "calibration": calibration, "fidelity": fid,
            "centering": centering, "polysemy": poly, "robustness": blocks,
            "n_experiments": int(cfg.get("n_experiments", 10))}


def _stored(exp, model: str, task: str, field: str, transform=None) -> np.ndarray:
    """Stored vectors of ``task``'s test ``field`` texts, in row order."""
    t = exp.task(task)
    return np.asarray(exp.encoder(model, t, transform=transform).lookup(t["splits"]["test"][field], "query"))


def _scored_models(exp, models, task) -> list[str]:
    """The models that are a measurement on ``task`` (not N/A for its language)."""
    t = exp.task(task)
    return [m for m in models if exp.na_reason(m, t, exp.encoder(m, t)) is None]


# ---- fidelity (C07)

def run_fidelity(exp, p: dict) -> tuple[pd.DataFrame, dict]:
    """Per (model, labelled task): ``intrinsic.fidelity`` (from one set of pair cosines) as records, and the pair cosines of each for the
    distribution figure (``{(model, task): (cosines, same)}``)."""
    f = p["fidelity"]
    rows, cosines = [], {}
    for task in f["tasks"]:
        t = exp.task(task)
        labels = np.asarray([str(v) for v in t["splits"]["test"]["label"]])
        for model in _scored_models(exp, p["models"], task):
            emb = _stored(exp, model, task, "text")
            i, j, cos = pair_cosines(emb, int(f["n_pairs"]), int(f.get("seed", 0)))
            same = labels[i] == labels[j]
            cosines[model, task] = (cos, same)
            values = pair_fidelity(cos, same, float(f["same_above"]), float(f["different_below"]))
            rows.append({"model": model, "task": task, "task_type": t["type"], "language": t["language"], **values})
    return pd.DataFrame(rows), cosines


def fidelity_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Per model, the means over the labelled tasks: AUC, medians, shares past the thresholds."""
    cols = ["auc", "same_median", "different_median", "same_above", "different_below"]
    return frame.groupby("model", sort=False)[cols].mean().sort_values("auc", ascending=False)


def fidelity_records(frame: pd.DataFrame, thresholds: dict) -> pd.DataFrame:
    names = {"auc": "fidelity_auc", "same_median": "fidelity_same_median", "different_median": "fidelity_different_median",
             "same_above": f"fidelity_same_above_{thresholds['same_above']:g}",
             "different_below": f"fidelity_different_below_{thresholds['different_below']:g}"}
    out = frame.melt(id_vars=["model", "task", "task_type", "language"], value_vars=list(names),
                     var_name="metric", value_name="value")
    return out.assign(metric=out["metric"].map(names), main=out["metric"] == "auc", section="fidelity")


def fidelity_figure(cosines: dict, table: pd.DataFrame, task: str, thresholds: dict, title: str):
    """Same- and different-class cosine distributions per model on one task, with C07's thresholds."""
    import matplotlib.pyplot as plt

    models = [m for m in table.index if (m, task) in cosines]
    fig, ax = plt.subplots(figsize=(12, 0.45 * len(models) + 1.8))
    for k, model in enumerate(models):
        cos, same = cosines[model, task]
        for values, offset, colour in ((cos[same], 0.18, "#2ca02c"), (cos[~same], -0.18, "#d62728")):
            parts = ax.violinplot(values, positions=[k + offset], vert=False, widths=0.34, showmedians=True,
                                  showextrema=False)
            for body in parts["bodies"]:
                body.set_facecolor(colour), body.set_alpha(0.55)
            parts["cmedians"].set_color(colour)
        ax.text(1.02, k, f"AUC {table.loc[model, 'auc']:.2f}", va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.axvline(thresholds["same_above"], color="#2ca02c", ls="--", lw=1)
    ax.axvline(thresholds["different_below"], color="#d62728", ls="--", lw=1)
    ax.set_yticks(range(len(models)), models, fontsize=8)
    ax.set_xlabel(f"cosine of a pair of {task} test texts (green: same class, red: different; dashed: C07's "
                  f"{thresholds['same_above']:g} / {thresholds['different_below']:g}; AUC: mean over the labelled tasks)")
    ax.set_title(_wrap(title), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _wrap(title: str, width: int = 120) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(title, width))


def fidelity_title(table: pd.DataFrame) -> str:
    best = table.index[0]
    meets = table[(table["same_above"] > 0.5) & (table["different_below"] > 0.5)]
    return (f"Cosine ranks same-class pairs above different-class pairs for every model (AUC {table['auc'].min():.2f}–"
            f"{table['auc'].max():.2f}, best {best}), yet {len(meets)} of {len(table)} models put most pairs on the right "
            "side of fixed 0.8 / 0.3 thresholds: each model's cosines live in their own band")


# ---- anisotropy and centering

def run_anisotropy(exp, p: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Per model: mean random-pair cosine of the STS texts raw and after subtracting the calibration mean;
    the STS main scores raw and centred (records), and the per-item data of both for paired tests."""
    from .dimension_scaling import calibration_vectors, evaluated_texts

    tasks = p["centering"]["tasks"]
    evaluated = evaluated_texts(exp, tasks)
    rows, frames, items = [], [], {}
    for model in p["models"]:
        _, calib = calibration_vectors(exp, model, p["calibration"], evaluated)
        centre = Centering().fit(calib, source=p["calibration"])
        texts = np.concatenate([_stored(exp, model, t, f) for t in tasks for f in ("sentence1", "sentence2")])
        rows.append({"model": model, "anisotropy": anisotropy(texts), "anisotropy_centered": centered_anisotropy(texts, centre.mean),
                     "calibration texts": len(calib)})
        for transform, label in ((None, "raw"), (centre, "centered")):
            frame = exp.evaluate([model], tasks, transform=transform, intrinsic=False, progress=False)
            frames.append(frame.assign(centering=label))
            for t in tasks:
                items[model, t, label] = exp.items.pop((model, t))
    return pd.DataFrame(rows).set_index("model"), pd.concat(frames, ignore_index=True), items


def anisotropy_records(aniso: pd.DataFrame) -> pd.DataFrame:
    """``anisotropy`` and ``anisotropy_centered`` per model as records (over the STS tasks' texts)."""
    out = aniso.reset_index().melt(id_vars=["model"], value_vars=["anisotropy", "anisotropy_centered"],
                                   var_name="metric", value_name="value")
    return out.assign(task="STS texts", task_type="intrinsic", language="en", main=False, section="anisotropy")


def centering_table(aniso: pd.DataFrame, scores: pd.DataFrame, items: dict, p: dict, settings: dict) -> pd.DataFrame:
    """Per model: anisotropy raw / centred, mean STS score raw / centred and the paired difference."""
    from ..stats import mean_difference

    main = scores[scores["main"].astype(bool)]
    mean = main.groupby(["model", "centering"])["value"].mean().unstack()
    tasks = p["centering"]["tasks"]
    rows = []
    for model in aniso.index:
        d = mean_difference([(items[model, t, "centered"], items[model, t, "raw"]) for t in tasks],
                            n_resamples=settings["bootstrap_resamples"], seed=settings["bootstrap_seed"])
        rows.append({"model": model, "anisotropy": aniso.loc[model, "anisotropy"],
                     "anisotropy centered": aniso.loc[model, "anisotropy_centered"],
                     "STS raw": mean.loc[model, "raw"], "STS centered": mean.loc[model, "centered"],
                     "difference": d["difference"], "ci_low": d["ci_low"], "ci_high": d["ci_high"],
                     "separated": bool(d["ci_low"] > 0 or d["ci_high"] < 0)})
    return pd.DataFrame(rows).set_index("model").sort_values("anisotropy", ascending=False)


def anisotropy_figure(table: pd.DataFrame, title: str):
    import matplotlib.pyplot as plt

    fig, (a, b) = plt.subplots(1, 2, figsize=(14, 0.4 * len(table) + 1.8), sharey=True)
    y = np.arange(len(table))
    a.barh(y - 0.2, table["anisotropy"], 0.4, label="raw", color="#7f7f7f")
    a.barh(y + 0.2, table["anisotropy centered"], 0.4, label="after subtracting the calibration mean", color="#1f77b4")
    a.set_yticks(y, table.index, fontsize=8)
    a.set_xlabel("mean cosine of random pairs of STS texts (0: isotropic)")
    a.legend(fontsize=8), a.grid(axis="x", alpha=0.3)
    err = np.vstack([table["difference"] - table["ci_low"], table["ci_high"] - table["difference"]])
    b.barh(y, table["difference"], xerr=err, color=["#2ca02c" if s else "#bbbbbb" for s in table["separated"]])
    b.axvline(0, color="black", lw=0.8)
    b.set_xlabel("mean STS Spearman, centred − raw (95% paired bootstrap; grey: inside the noise)")
    b.grid(axis="x", alpha=0.3)
    fig.suptitle(_wrap(title), fontsize=10)
    return fig


def anisotropy_title(table: pd.DataFrame) -> str:
    top = table.index[0]
    helped = table[table["separated"] & (table["difference"] > 0)]
    hurt = table[table["separated"] & (table["difference"] < 0)]
    return (f"Random pairs of texts have mean cosine {table['anisotropy'].min():.2f}–{table['anisotropy'].max():.2f} "
            f"(highest: {top}); centering brings it to {table['anisotropy centered'].min():.2f}–"
            f"{table['anisotropy centered'].max():.2f} and changes STS measurably for {len(helped) + len(hurt)} of "
            f"{len(table)} models ({len(helped)} up, {len(hurt)} down)")


# ---- polysemy (C01)

def word_vectors_transformers(folder: str, sentences: list[str], words: list[str], max_length: int = 128,
                              batch_size: int = 32) -> np.ndarray:
    """The contextual vector of ``words[i]`` in ``sentences[i]``: the mean of the final hidden states of the
    (sub)word tokens that overlap the word's first whole-word occurrence (fast tokenizer offsets)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(folder)
    model = AutoModel.from_pretrained(folder).eval()
    out = []
    for start in range(0, len(sentences), batch_size):
        batch_s, batch_w = sentences[start:start + batch_size], words[start:start + batch_size]
        enc = tok(batch_s, padding=True, truncation=True, max_length=max_length, return_tensors="pt",
                  return_offsets_mapping=True)
        offsets = enc.pop("offset_mapping").numpy()
        with torch.no_grad():
            states = model(**enc).last_hidden_state.numpy()
        for k, (s, w) in enumerate(zip(batch_s, batch_w)):
            m = re.search(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", s, flags=re.IGNORECASE)
            if m is None:
                raise EmbedlabError(f"word '{w}' not found in '{s}'", "pass sentences that contain their word")
            a, b = m.span()
            hit = [i for i, (x, y) in enumerate(offsets[k]) if y > x and x < b and y > a]
            out.append(states[k, hit].mean(axis=0))
    return np.vstack(out)


def run_polysemy(exp, p: dict) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sentence vectors of every model (from the store) and the word's own vectors of ``token_models``:
    ``intrinsic.sense_separation`` of each, as records with ``vectors`` = sentence / word."""
    from ..encoders import load_encoder, model_location, models_from_params
    from ..paths import from_root

    poly = p["polysemy"]
    task = exp.task(poly["task"])
    test = task["splits"]["test"]
    frame = exp.evaluate(p["models"], [poly["task"]], intrinsic=False, progress=False).assign(vectors="sentence")
    specs = models_from_params(exp.params["models"])
    cache_dir = from_root(exp.params["embed"]["cache_dir"])
    rows = []
    for model in poly.get("token_models") or []:
        spec = specs[model]
        if spec.loader in ("sentence_transformers", "transformers"):
            vectors = word_vectors_transformers(model_location(spec, cache_dir), test["sentence"], test["word"])
            how = "contextual: mean of the word's final hidden states in the sentence"
        else:  # a static model: the word's vector is the same in every sentence
            encoder = load_encoder(spec, cache_dir)
            vectors = encoder.encode(test["word"])
            encoder.group.close()
            how = "static: the word's own vector (the same in every sentence)"
        sep = sense_separation(vectors, test["lemma"], test["sense"])
        rows += [{"model": model, "task": task["name"], "task_type": "polysemy", "language": "en",
                  "metric": f"polysemy_{k}", "value": v, "main": k == "auc", "vectors": "word", "how": how}
                 for k, v in sep.items()]
    return frame, pd.DataFrame(rows)


def polysemy_table(sentence: pd.DataFrame, word: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([sentence, word], ignore_index=True)
    table = both.pivot_table(index="model", columns=["vectors", "metric"], values="value", aggfunc="first")
    table.columns = [f"{v} {m.replace('polysemy_', '')}" for v, m in table.columns]
    return table.sort_values("sentence auc", ascending=False)


def polysemy_figure(table: pd.DataFrame, title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 0.4 * len(table) + 1.8))
    y = np.arange(len(table))
    ax.barh(y - 0.2, table["sentence auc"], 0.4, label="sentence vector", color="#1f77b4")
    if "word auc" in table:
        ax.barh(y + 0.2, table["word auc"].fillna(0), 0.4, label="the word's own vector (where read)", color="#ff7f0e")
    ax.axvline(0.5, color="black", lw=0.8, ls="--")
    ax.set_xlim(0.4, 1.0)
    ax.set_yticks(y, table.index, fontsize=8)
    ax.set_xlabel("same-sense vs different-sense cosine AUC over pairs of WordNet example sentences of one word "
                  "(0.5: senses not separated)")
    ax.legend(fontsize=8), ax.grid(axis="x", alpha=0.3)
    ax.set_title(_wrap(title), fontsize=10)
    return fig


def polysemy_title(table: pd.DataFrame) -> str:
    word = table["word auc"].dropna() if "word auc" in table else pd.Series(dtype=float)
    static = [m for m in word.index if abs(word[m] - 0.5) < 1e-9]
    contextual = word.drop(static)
    part = (f"; the word's own vector: contextual {contextual.min():.2f}–{contextual.max():.2f}, static exactly 0.50"
            if len(contextual) and static else "")
    return (f"Sentence vectors separate the senses of a word (AUC {table['sentence auc'].min():.2f}–"
            f"{table['sentence auc'].max():.2f}){part}")


# ---- robustness (C09)

def run_robustness(exp, p: dict) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """For each block: every model on the clean task and each noisy variant (main scores as records with
    ``noise`` / ``rate``), how far noise moves each text's vector (``intrinsic.robustness``: mean cos(original,
    noisy) and the change of pairwise similarities), and the per-item data for paired tests
    (``{(model, task): ItemScores}``)."""
    frames, rows, items = [], [], {}
    for block in p["robustness"].values():
        cleans = list(dict.fromkeys(c for c, _ in block["pairs"]))
        names = cleans + [n for _, n in block["pairs"]]
        frame = exp.evaluate(block["models"], names, intrinsic=False, progress=False, n_experiments=p["n_experiments"])
        for m in block["models"]:
            for t in names:
                if (m, t) in exp.items:
                    items[m, t] = exp.items.pop((m, t))
        noise = {n: exp.task(n)["noise"] for n in names if n not in cleans}
        frame["noise"] = frame["task"].map(lambda t: noise[t]["kind"] if t in noise else "none")
        frame["rate"] = frame["task"].map(lambda t: noise[t]["rate"] if t in noise else 0.0)
        frame["clean_task"] = frame["task"].map(lambda t: noise[t]["of"] if t in noise else t)
        frames.append(frame)
        for clean, name in block["pairs"]:
            c, z = exp.task(clean), exp.task(name)
            fields = NOISED_FIELDS[c["type"]]
            orig = list(dict.fromkeys(t for f in fields for t in c["splits"]["test"][f]))
            mapping = {}
            for f in fields:
                mapping.update(zip(c["splits"]["test"][f], z["splits"]["test"][f]))
            noisy = [mapping[t] for t in orig]
            for model in _scored_models(exp, block["models"], clean):
                a = np.asarray(exp.encoder(model, c).lookup(orig, "query"))
                b = np.asarray(exp.encoder(model, z).lookup(noisy, "query"))
                r = robustness(a, b)
                rows.append({"model": model, "task": name, "clean_task": clean, "noise": z["noise"]["kind"],
                             "rate": z["noise"]["rate"], "measured_rate": z["noise"]["measured_rate"],
                             "texts": len(orig), "unchanged texts": int(sum(x == y for x, y in zip(orig, noisy))), **r})
    return pd.concat(frames, ignore_index=True), pd.DataFrame(rows), items


def score_drops(scores: pd.DataFrame, items: dict, settings: dict) -> pd.DataFrame:
    """Per (model, noisy task): main score noisy − clean on the same test items (paired bootstrap)."""
    from ..stats import paired_bootstrap

    main = scores[scores["main"].astype(bool) & (scores["noise"] != "none")]
    rows = []
    for _, r in main.iterrows():
        a, b = items.get((r["model"], r["task"])), items.get((r["model"], r["clean_task"]))
        if a is None or b is None:
            continue
        d = paired_bootstrap(a, b, n_resamples=settings["bootstrap_resamples"], seed=settings["bootstrap_seed"])
        clean = b.point()
        rows.append({"model": r["model"], "task": r["task"], "clean_task": r["clean_task"], "noise": r["noise"],
                     "rate": r["rate"], "clean": clean, "noisy": r["value"], "difference": d["difference"],
                     "relative": d["difference"] / clean if clean else np.nan, "ci_low": d["ci_low"],
                     "ci_high": d["ci_high"], "separated": bool(d["ci_low"] > 0 or d["ci_high"] < 0)})
    return pd.DataFrame(rows)


def robustness_figure(moves: pd.DataFrame, drops: pd.DataFrame, title: str):
    """Top: 1 − mean cos(original, noisy) by rate, one panel per noise kind, a line per model.
    Bottom: the main-score drop by rate for each clean task (mean over the English noise kinds)."""
    import matplotlib.pyplot as plt

    kinds = list(dict.fromkeys(moves["noise"]))
    cleans = list(dict.fromkeys(drops["clean_task"])) if not drops.empty else []
    ncol = max(len(kinds), len(cleans), 1)
    fig, axes = plt.subplots(2, ncol, figsize=(3.6 * ncol, 7.5), squeeze=False)
    models = list(dict.fromkeys(moves["model"]))
    colours = {m: plt.cm.tab20(i % 20) for i, m in enumerate(models)}
    for ax, kind in zip(axes[0], kinds):
        sub = moves[moves["noise"] == kind]
        for model, g in sub.groupby("model", sort=False):
            g = g.groupby("rate")["cosine_orig_noisy"].mean()
            ax.plot(g.index * 100, 1 - g.values, marker="o", ms=3, color=colours[model], label=model)
        ax.axhline(0.15, color="black", ls="--", lw=0.8)
        ax.set_title(f"{kind}", fontsize=9), ax.set_xlabel("noise rate (%)"), ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("1 − mean cos(original, noisy)\n(dashed: C09's 15%)")
    for ax, clean in zip(axes[1], cleans):
        sub = drops[drops["clean_task"] == clean]
        for model, g in sub.groupby("model", sort=False):
            g = g.groupby("rate")["relative"].mean()
            ax.plot(g.index * 100, g.values * 100, marker="o", ms=3, color=colours.get(model, "grey"))
        ax.axhline(0, color="black", lw=0.8)
        ax.set_title(f"{clean}: main score", fontsize=9), ax.set_xlabel("noise rate (%)"), ax.grid(alpha=0.3)
    if cleans:
        axes[1][0].set_ylabel("noisy − clean main score (% of clean;\nmean over noise kinds)")
    for r, used in enumerate((len(kinds), len(cleans))):
        for ax in axes[r][used:]:
            ax.axis("off")
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color=colours[m], marker="o", ms=3) for m in models]
    fig.legend(handles, models, loc="lower center", ncol=min(5, len(models)), fontsize=7, bbox_to_anchor=(0.5, -0.06))
    fig.suptitle(_wrap(title), fontsize=10)
    fig.tight_layout()
    return fig


def robustness_title(moves: pd.DataFrame, drops: pd.DataFrame) -> str:
    at10 = moves[np.isclose(moves["rate"], 0.1)]
    worst = at10.loc[at10["cosine_orig_noisy"].idxmin()] if len(at10) else None
    part = (f"at 10% noise the largest mean move is {1 - worst['cosine_orig_noisy']:.0%} ({worst['model']}, {worst['noise']})"
            if worst is not None else "")
    sep = drops[drops["separated"] & (drops["difference"] < 0)] if not drops.empty else drops
    return (f"Noise moves embeddings in proportion to its rate; {part}; {len(sep)} of {len(drops)} noisy test sets "
            "score measurably below their clean version")


def robustness_records(moves: pd.DataFrame) -> pd.DataFrame:
    """cos(original, noisy) and the similarity changes as records (``noise`` / ``rate`` on each)."""
    out = moves.melt(id_vars=["model", "task", "clean_task", "noise", "rate", "measured_rate"],
                     value_vars=["cosine_orig_noisy", "similarity_change", "similarity_abs_change"],
                     var_name="metric", value_name="value")
    return out.assign(task_type="robustness", language=out["task"].map(lambda t: "zh" if "-zh" in t else "en"),
                      main=out["metric"] == "similarity_change", section="robustness")


# ---- what the numbers say

def interpretation(fid: pd.DataFrame, thresholds: dict, centering: pd.DataFrame, poly: pd.DataFrame,
                   moves: pd.DataFrame, drops: pd.DataFrame) -> str:
    lines = []
    meets = fid[(fid["same_above"] > 0.5) & (fid["different_below"] > 0.5)]
    lines.append(f"**Fidelity (C07).** Mean over the labelled tasks: ROC AUC of cosine for same-class pairs "
                 f"{fid['auc'].min():.2f}–{fid['auc'].max():.2f} (best `{fid.index[0]}` {fid['auc'].iloc[0]:.2f}, last "
                 f"`{fid.index[-1]}` {fid['auc'].iloc[-1]:.2f}). Median same-class cosine {fid['same_median'].min():.2f}–"
                 f"{fid['same_median'].max():.2f}, different-class {fid['different_median'].min():.2f}–"
                 f"{fid['different_median'].max():.2f}; the share of same-class pairs above {thresholds['same_above']:g} is "
                 f"{fid['same_above'].min():.0%}–{fid['same_above'].max():.0%} and of different-class pairs below "
                 f"{thresholds['different_below']:g} {fid['different_below'].min():.0%}–{fid['different_below'].max():.0%}. "
                 f"{len(meets)} of {len(fid)} models put the majority of both kinds on the claimed side. The thresholds "
                 "judge where a model's band of cosines lies, the AUC how well it orders pairs inside that band.")
    c = centering
    lines.append(f"**Anisotropy.** Mean cosine of random STS text pairs: {c['anisotropy'].max():.2f} (`{c.index[0]}`) "
                 f"down to {c['anisotropy'].min():.2f} (`{c.index[-1]}`); after subtracting the calibration texts' mean "
                 f"vector {c['anisotropy centered'].min():.2f}–{c['anisotropy centered'].max():.2f}. Centering changes "
                 "the mean STS Spearman by " + "; ".join(
                     f"`{m}` {r['difference']:+.3f} [{r['ci_low']:+.3f}, {r['ci_high']:+.3f}]" for m, r in c.iterrows())
                 + " (paired bootstrap; an interval containing 0 is no change).")
    if not poly.empty:
        word = poly["word auc"].dropna() if "word auc" in poly else pd.Series(dtype=float)
        lines.append("**Polysemy (C01).** Same-sense vs different-sense cosine AUC of sentence vectors: " + ", ".join(
            f"`{m}` {v:.2f}" for m, v in poly["sentence auc"].items()) + ". The word's own vector: " + (", ".join(
                f"`{m}` {v:.2f} (nearest-neighbour sense accuracy {poly.loc[m, 'word nn_accuracy']:.2f} vs chance "
                f"{poly.loc[m, 'word nn_chance']:.2f})" for m, v in word.items()) if len(word) else "not read")
            + ". A static model gives a word one vector, so its AUC is 0.5 by construction; its sentence vectors still "
            "separate senses through the other words of the sentence.")
    if not moves.empty:
        at10 = moves[np.isclose(moves["rate"], 0.1)].groupby(["noise"])["cosine_orig_noisy"].agg(["min", "mean"])
        lines.append("**Robustness (C09).** At 10% noise, 1 − mean cos(original, noisy) per kind (mean over models, "
                     "worst model): " + "; ".join(f"{k} {1 - r['mean']:.1%} (worst {1 - r['min']:.1%})" for k, r in at10.iterrows())
                     + ".")
    if not drops.empty:
        d10 = drops[np.isclose(drops["rate"], 0.1)]
        worst = d10.loc[d10["relative"].idxmin()] if len(d10) else None
        if worst is not None:
            lines.append(f"Main score on noisy test texts at 10%: {int((d10['separated'] & (d10['difference'] < 0)).sum())} of "
                         f"{len(d10)} (model, task, kind) cells are measurably lower than clean; the largest drop is "
                         f"`{worst['model']}` on {worst['clean_task']} with {worst['noise']}: {worst['difference']:+.3f} "
                         f"[{worst['ci_low']:+.3f}, {worst['ci_high']:+.3f}] ({worst['relative']:+.1%}).")
    return "\n\n".join(lines)


def headline(fid: pd.DataFrame, centering: pd.DataFrame, poly: pd.DataFrame, moves: pd.DataFrame) -> str:
    at10 = moves[np.isclose(moves["rate"], 0.1)] if not moves.empty else moves
    return (f"Cosine orders same-class pairs well for every model (AUC {fid['auc'].min():.2f}–{fid['auc'].max():.2f}) while "
            f"fixed 0.8 / 0.3 thresholds pass {int(((fid['same_above'] > 0.5) & (fid['different_below'] > 0.5)).sum())} of "
            f"{len(fid)} models; random-pair cosine {centering['anisotropy'].min():.2f}–{centering['anisotropy'].max():.2f}"
            + (f"; 10% noise moves a text's vector by {1 - at10['cosine_orig_noisy'].max():.1%}–"
               f"{1 - at10['cosine_orig_noisy'].min():.1%}" if len(at10) else "") + ".")
