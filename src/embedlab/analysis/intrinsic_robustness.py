"""Experiment 04 (intrinsic quality and robustness): what an embedding space looks like from the inside, for
every model of experiment 01, and how far noise in the text moves it.

The notebook `notebooks/04_intrinsic_robustness.ipynb` calls these. Every vector comes from the embedding
store (the noisy texts are prepared tasks of their own, ``data.noise``, encoded once like any task), except
the contextual vectors of one word in a sentence (polysemy, token level), which the notebook computes for
the few models whose token states it can read.

- **Fidelity** (claim C07): same-class vs different-class cosine on labelled sets: medians, the share of
  pairs on the right side of C07's 0.8 / 0.3 thresholds, and the ROC AUC of cosine (``intrinsic.fidelity``).
- **Coinciding models**: registry entries whose stored vectors are the same (``intrinsic_coincidence``) are
  named together (``a = b``) wherever a sentence names a model.
- **Anisotropy** (``intrinsic_centering``): mean cosine of random pairs, raw, after subtracting a mean fitted
  on the task's own held-out texts (cross-fitted) and after subtracting the calibration texts' mean
  (off-domain); the STS score with and without each centring (paired bootstrap).
- **Polysemy** (C01): WordNet example sentences of different senses of one word; same-sense vs different-
  sense cosine AUC and nearest-neighbour sense accuracy of sentence vectors and of the word's own vectors.
- **Robustness** (C09): synonym replacement, adjacent swaps, shuffles, keyboard typos (English) and
  character substitution (Chinese) at several rates, in both readings of the claim: how far a text's vector
  moves (``vector_move`` = 1 − cos(original, noisy), beside 1 − the mean random-pair cosine of the same texts)
  and how much pair similarities change (``similarity_change``); and the main score on the noisy test texts
  against the clean ones (paired bootstrap).
- Every AUC is written next to its chance level (``intrinsic.AUC_CHANCE``).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import EmbedlabError
from ..intrinsic import AUC_CHANCE, pair_cosines, pair_fidelity, robustness, sense_separation
from ..params import noisy_names
from ..tasks import NOISED_FIELDS
from .intrinsic_centering import (anisotropy_figure, anisotropy_records, anisotropy_title,  # noqa: F401 (notebook API)
                                  centering_interpretation, centering_records, centering_table, run_centering, span)
from .intrinsic_coincidence import (DEFAULT_TOLERANCE, coincidence_records, coincidence_sentence,  # noqa: F401
                                    coinciding_groups, display_names, once)

#: Claim C09's words: at this noise rate, similarity should move less than this share.
C09_RATE, C09_BOUND = 0.10, 0.15


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
    c = cfg.get("centering") or {}
    centering = {"tasks": of_type("centering", ("sts",)), "folds": int(c.get("folds", 2)), "seed": int(c.get("seed", 0))}
    if centering["folds"] < 2:
        raise EmbedlabError(f"{g}.centering.folds is {centering['folds']}: cross-fitting needs at least 2 folds",
                            "set centering.folds to 2")
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
            "coincide_below": float(cfg.get("coincide_below", DEFAULT_TOLERANCE)),
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
    """Per model, the means over the labelled tasks: AUC (next to its chance level, ``auc chance``), medians,
    shares past the thresholds."""
    cols = ["auc", "same_median", "different_median", "same_above", "different_below"]
    table = frame.groupby("model", sort=False)[cols].mean().sort_values("auc", ascending=False)
    table.insert(1, "auc chance", AUC_CHANCE)
    return table


def fidelity_records(frame: pd.DataFrame, thresholds: dict) -> pd.DataFrame:
    names = {"auc": "fidelity_auc", "same_median": "fidelity_same_median", "different_median": "fidelity_different_median",
             "same_above": f"fidelity_same_above_{thresholds['same_above']:g}",
             "different_below": f"fidelity_different_below_{thresholds['different_below']:g}"}
    out = frame.melt(id_vars=["model", "task", "task_type", "language"], value_vars=list(names),
                     var_name="metric", value_name="value")
    return out.assign(metric=out["metric"].map(names), main=out["metric"] == "auc", section="fidelity",
                      chance=np.where(out["metric"] == "auc", AUC_CHANCE, np.nan))


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
    ax.text(1.02, len(models) - 0.4, f"(chance {AUC_CHANCE:g})", va="center", fontsize=8, transform=ax.get_yaxis_transform())
    ax.axvline(thresholds["same_above"], color="#2ca02c", ls="--", lw=1)
    ax.axvline(thresholds["different_below"], color="#d62728", ls="--", lw=1)
    ax.set_yticks(range(len(models)), models, fontsize=8)
    ax.set_xlabel(f"cosine of a pair of {task} test texts (green: same class, red: different; dashed: C07's "
                  f"{thresholds['same_above']:g} / {thresholds['different_below']:g}; AUC: mean over the labelled tasks, "
                  f"{AUC_CHANCE:g} = no separation)")
    ax.set_title(_wrap(title), fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    return fig


def _wrap(title: str, width: int = 120) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(title, width))


def _name(model: str, names: dict | None) -> str:
    """A model as text names it: a coinciding group by its label ("a = b"), never one member alone."""
    return (names or {}).get(model, model)


def auc_meaning(what: str = "same-class", other: str = "different-class") -> str:
    """What a pair-ranking AUC is, with its chance level."""
    return (f"the probability that a random {what} pair has a higher cosine than a random {other} pair; "
            f"{AUC_CHANCE:g} = no separation, 1 = perfect")


def fidelity_title(table: pd.DataFrame, thresholds: dict, names: dict | None = None) -> str:
    meets = table[(table["same_above"] > 0.5) & (table["different_below"] > 0.5)]
    above = int((table["auc"] > AUC_CHANCE).sum())
    return (f"A random same-class pair has a higher cosine than a random different-class pair with probability "
            f"{table['auc'].min():.2f}–{table['auc'].max():.2f} (ROC AUC; chance {AUC_CHANCE:g}, perfect 1; above chance "
            f"for {above} of {len(table)} models, best {_name(table.index[0], names)}), yet {len(meets)} of {len(table)} "
            f"models put most pairs on the right side of fixed {thresholds['same_above']:g} / {thresholds['different_below']:g} "
            "thresholds: each model's cosines live in their own band")


# ---- anisotropy and centering: analysis.intrinsic_centering (re-exported here for the notebook)

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
    table.insert(0, "auc chance", AUC_CHANCE)
    return table.sort_values("sentence auc", ascending=False)


def polysemy_records(sentence: pd.DataFrame, word: pd.DataFrame) -> pd.DataFrame:
    """Sentence- and word-vector records together, each ``polysemy_auc`` with its ``chance`` (0.5)."""
    both = pd.concat([sentence, word], ignore_index=True)
    return both.assign(section="polysemy", chance=np.where(both["metric"] == "polysemy_auc", AUC_CHANCE, np.nan))


def polysemy_figure(table: pd.DataFrame, title: str):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(11, 0.4 * len(table) + 1.8))
    y = np.arange(len(table))
    ax.barh(y - 0.2, table["sentence auc"], 0.4, label="sentence vector", color="#1f77b4")
    if "word auc" in table:
        ax.barh(y + 0.2, table["word auc"].fillna(0), 0.4, label="the word's own vector (where read)", color="#ff7f0e")
    ax.axvline(AUC_CHANCE, color="black", lw=0.8, ls="--")
    ax.set_xlim(AUC_CHANCE - 0.1, 1.0)
    ax.set_yticks(y, table.index, fontsize=8)
    ax.set_xlabel("same-sense vs different-sense cosine AUC over pairs of WordNet example sentences of one word "
                  f"(dashed: chance {AUC_CHANCE:g}, senses not separated)")
    ax.legend(fontsize=8), ax.grid(axis="x", alpha=0.3)
    ax.set_title(_wrap(title), fontsize=10)
    return fig


def polysemy_title(table: pd.DataFrame) -> str:
    word = table["word auc"].dropna() if "word auc" in table else pd.Series(dtype=float)
    static = [m for m in word.index if abs(word[m] - AUC_CHANCE) < 1e-9]
    contextual = word.drop(static)
    part = (f"; the word's own vector: contextual {contextual.min():.2f}–{contextual.max():.2f}, static exactly "
            f"{AUC_CHANCE:.2f}" if len(contextual) and static else "")
    sentence = table["sentence auc"]
    above = int((sentence > AUC_CHANCE).sum())
    return (f"Sentence vectors rank same-sense pairs of a word above different-sense pairs with AUC {sentence.min():.2f}–"
            f"{sentence.max():.2f} (chance {AUC_CHANCE:g}; above it for {above} of {len(sentence)} models){part}")


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
            g = g.groupby("rate")["vector_move"].mean()
            ax.plot(g.index * 100, g.values * 100, marker="o", ms=3, color=colours[model], label=model)
        ax.axhline(C09_BOUND * 100, color="black", ls="--", lw=0.8)
        ax.set_title(f"{kind}", fontsize=9), ax.set_xlabel("noise rate (%)"), ax.grid(alpha=0.3)
    axes[0][0].set_ylabel(f"vector move, 1 − mean cos(original, noisy) (%)\n(dashed: C09's {C09_BOUND:.0%})")
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


def _at_rate(moves: pd.DataFrame, rate: float = C09_RATE) -> pd.DataFrame:
    return moves[np.isclose(moves["rate"], rate)] if not moves.empty else moves


def robustness_title(moves: pd.DataFrame, drops: pd.DataFrame, names: dict | None = None) -> str:
    at = _at_rate(moves)
    parts = []
    if len(at):
        worst = at.loc[at["vector_move"].idxmax()]
        parts.append(f"at {C09_RATE:.0%} noise a text's vector moves {at['vector_move'].min():.1%}–{at['vector_move'].max():.1%} "
                     f"(1 − cos; largest {_name(worst['model'], names)}, {worst['noise']}), "
                     f"{at['vector_move_relative'].min():.0%}–{at['vector_move_relative'].max():.0%} of the distance between "
                     f"random texts, and pair similarities change by {at['similarity_change'].min():.0%}–"
                     f"{at['similarity_change'].max():.0%}")
    sep = drops[drops["separated"] & (drops["difference"] < 0)] if not drops.empty else drops
    parts.append(f"{len(sep)} of {len(drops)} noisy test sets score measurably below their clean version")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


#: The robustness records' metrics: both readings of claim C09 (``vector_move``: 1 − cos(original, noisy);
#: ``similarity_change``: mean relative change of pair similarities) and their references.
ROBUSTNESS_METRICS = ["vector_move", "cosine_orig_noisy", "random_pair_cosine", "vector_move_relative",
                      "similarity_change", "similarity_abs_change"]


def robustness_records(moves: pd.DataFrame) -> pd.DataFrame:
    """Per (model, noisy task: clean task, noise kind, rate) every ``ROBUSTNESS_METRICS`` value as a record."""
    out = moves.melt(id_vars=["model", "task", "clean_task", "noise", "rate", "measured_rate"],
                     value_vars=ROBUSTNESS_METRICS, var_name="metric", value_name="value")
    return out.assign(task_type="robustness", language=out["task"].map(lambda t: "zh" if "-zh" in t else "en"),
                      main=out["metric"] == "similarity_change", section="robustness")


def robustness_table(moves: pd.DataFrame, rate: float = C09_RATE) -> pd.DataFrame:
    """At ``rate``: per (model, clean task, kind) both readings of C09 next to the reference distance."""
    cols = ["vector_move", "random_pair_cosine", "vector_move_relative", "similarity_change"]
    return _at_rate(moves, rate).set_index(["model", "clean_task", "noise"])[cols]


# ---- what the numbers say

def _robustness_lines(moves: pd.DataFrame, drops: pd.DataFrame, names: dict | None) -> list[str]:
    lines = []
    at = _at_rate(moves)
    if len(at):
        per_kind = []
        for kind, g in at.groupby("noise", sort=False):
            w, ws = g.loc[g["vector_move"].idxmax()], g.loc[g["similarity_change"].idxmax()]
            per_kind.append(f"{kind}: vector {g['vector_move'].mean():.1%} (largest {w['vector_move']:.1%}, "
                            f"`{_name(w['model'], names)}`), {g['vector_move_relative'].mean():.0%} of the random-pair "
                            f"distance; similarity {g['similarity_change'].mean():.1%} (largest {ws['similarity_change']:.1%}, "
                            f"`{_name(ws['model'], names)}`)")
        vec_ok, sim_ok = int((at["vector_move"] < C09_BOUND).sum()), int((at["similarity_change"] < C09_BOUND).sum())
        lines.append(f"**Robustness (C09: similarity moves < {C09_BOUND:.0%} under {C09_RATE:.0%} noise).** The claim has "
                     f"two readings, both measured at {C09_RATE:.0%} noise for every (model, task, noise kind): how far a "
                     f"text's vector moves, 1 − cos(original, noisy), {at['vector_move'].min():.1%}–"
                     f"{at['vector_move'].max():.1%} ({vec_ok} of {len(at)} cells under {C09_BOUND:.0%}); and how much the "
                     f"similarity between two texts changes (mean |s' − s| / |s| over pairs), "
                     f"{at['similarity_change'].min():.1%}–{at['similarity_change'].max():.1%} ({sim_ok} of {len(at)} under "
                     f"{C09_BOUND:.0%}). As a reference, the move is {at['vector_move_relative'].min():.0%}–"
                     f"{at['vector_move_relative'].max():.0%} of 1 − (mean random-pair cosine) of the same model on the "
                     "same task, how far apart unrelated texts lie. Per kind (mean over models): " + "; ".join(per_kind) + ".")
    if not drops.empty:
        d = drops[np.isclose(drops["rate"], C09_RATE)]
        if len(d):
            worst = d.loc[d["relative"].idxmin()]
            lines.append(f"Main score on noisy test texts at {C09_RATE:.0%}: {int((d['separated'] & (d['difference'] < 0)).sum())} "
                         f"of {len(d)} (model, task, kind) cells are measurably lower than clean; the largest drop is "
                         f"`{_name(worst['model'], names)}` on {worst['clean_task']} with {worst['noise']}: "
                         f"{worst['difference']:+.3f} [{worst['ci_low']:+.3f}, {worst['ci_high']:+.3f}] ({worst['relative']:+.1%}).")
    return lines


def interpretation(fid: pd.DataFrame, thresholds: dict, centering: pd.DataFrame, calibration: str, poly: pd.DataFrame,
                   moves: pd.DataFrame, drops: pd.DataFrame, groups: list[dict] | None = None) -> str:
    """The written interpretation, every number from the tables; a coinciding group is named as one."""
    names = display_names(groups or [])
    lines = ([f"**Coinciding models.** {coincidence_sentence(groups)} Below, each such group is listed once and "
              "named by all its members."] if groups else [])
    meets = fid[(fid["same_above"] > 0.5) & (fid["different_below"] > 0.5)]
    above = int((fid["auc"] > AUC_CHANCE).sum())
    lines.append(f"**Fidelity (C07).** Mean over the labelled tasks: ROC AUC of cosine for same-class pairs ({auc_meaning()}) "
                 f"{fid['auc'].min():.2f}–{fid['auc'].max():.2f}, above chance for {above} of {len(fid)} models (best "
                 f"`{_name(fid.index[0], names)}` {fid['auc'].iloc[0]:.2f}, last `{_name(fid.index[-1], names)}` "
                 f"{fid['auc'].iloc[-1]:.2f}): even the best model puts a different-class pair above a same-class pair "
                 f"{1 - fid['auc'].iloc[0]:.0%} of the time. Median same-class cosine {fid['same_median'].min():.2f}–"
                 f"{fid['same_median'].max():.2f}, different-class {fid['different_median'].min():.2f}–"
                 f"{fid['different_median'].max():.2f}; the share of same-class pairs above {thresholds['same_above']:g} is "
                 f"{fid['same_above'].min():.0%}–{fid['same_above'].max():.0%} and of different-class pairs below "
                 f"{thresholds['different_below']:g} {fid['different_below'].min():.0%}–{fid['different_below'].max():.0%}. "
                 f"{len(meets)} of {len(fid)} models put the majority of both kinds on the claimed side. The thresholds "
                 "judge where a model's band of cosines lies, the AUC how well it orders pairs inside that band.")
    lines.append(centering_interpretation(centering, calibration, names))
    if not poly.empty:
        word = poly["word auc"].dropna() if "word auc" in poly else pd.Series(dtype=float)
        lines.append(f"**Polysemy (C01).** Same-sense vs different-sense cosine AUC of sentence vectors (chance "
                     f"{AUC_CHANCE:g}): " + ", ".join(f"`{label}` {poly.loc[m, 'sentence auc']:.2f}"
                                                     for m, label in once(poly.index, names))
                     + ". The word's own vector: " + (", ".join(
                         f"`{label}` {word[m]:.2f} (nearest-neighbour sense accuracy {poly.loc[m, 'word nn_accuracy']:.2f} "
                         f"vs chance {poly.loc[m, 'word nn_chance']:.2f})" for m, label in once(word.index, names))
                         if len(word) else "not read")
                     + f". A static model gives a word one vector, so its AUC is {AUC_CHANCE:g} by construction; its "
                     "sentence vectors still separate senses through the other words of the sentence.")
    lines += _robustness_lines(moves, drops, names)
    return "\n\n".join(lines)


def headline(fid: pd.DataFrame, thresholds: dict, centering: pd.DataFrame, moves: pd.DataFrame,
             groups: list[dict] | None = None) -> str:
    """One sentence for reports/README.md: fidelity AUC against chance, thresholds, anisotropy raw and
    own-task-centred, and both readings of C09 at its noise rate."""
    own = centering.xs("own", level="centering")
    passed = int(((fid["same_above"] > 0.5) & (fid["different_below"] > 0.5)).sum())
    at = _at_rate(moves)
    text = (f"A random same-class pair has a higher cosine than a random different-class pair with probability "
            f"{fid['auc'].min():.2f}–{fid['auc'].max():.2f} across the {len(fid)} models (ROC AUC; chance "
            f"{AUC_CHANCE:g}, perfect 1), while fixed {thresholds['same_above']:g} / {thresholds['different_below']:g} "
            f"thresholds pass {passed} of {len(fid)} models; random-pair cosine {own['anisotropy raw'].min():.2f}–"
            f"{own['anisotropy raw'].max():.2f}, {span(own['anisotropy centered'])} after centring on the task's own held-out "
            "texts")
    if len(at):
        text += (f"; {C09_RATE:.0%} noise moves a text's vector by {at['vector_move'].min():.1%}–{at['vector_move'].max():.1%} "
                 f"(1 − cos; {at['vector_move_relative'].min():.0%}–{at['vector_move_relative'].max():.0%} of the distance "
                 f"between random texts) and changes pair similarities by {at['similarity_change'].min():.1%}–"
                 f"{at['similarity_change'].max():.1%}")
    if groups:
        text += "; " + ", ".join(g["label"].replace(" = ", " and ") + " give identical vectors" for g in groups)
    return text + "."
