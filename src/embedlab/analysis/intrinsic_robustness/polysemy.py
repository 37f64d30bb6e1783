"""Experiment 04, claim C01: sense separation of contextual and static word vectors, and of sentence vectors."""

from __future__ import annotations

import re
import numpy as np
import pandas as pd

from ...errors import EmbedlabError
from ...intrinsic import AUC_CHANCE, sense_separation
from .plan import wrap_title


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
    from ...encoders import load_encoder, loader_info, model_location, models_from_params
    from ...paths import from_root

    poly = p["polysemy"]
    task = exp.task(poly["task"])
    test = task["splits"]["test"]
    frame = exp.evaluate(p["models"], [poly["task"]], intrinsic=False, progress=False).assign(vectors="sentence")
    specs = models_from_params(exp.params["models"])
    cache_dir = from_root(exp.params["embed"]["cache_dir"])
    rows = []
    for model in poly.get("token_models") or []:
        spec = specs[model]
        if loader_info(spec.loader).word_vectors == "contextual":
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
    ax.set_title(wrap_title(title), fontsize=10)
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
