"""Intrinsic measures of an embedding space (plain numpy, no mteb).

All similarities are cosine similarities. Functions that sample pairs take a ``seed`` and use
every distinct pair instead when there are no more than ``n_pairs`` of them, so small inputs
give exact, hand-checkable numbers.
"""

from __future__ import annotations

import numpy as np

from .errors import EmbedlabError
from .schema import MAIN_METRICS, METRICS, result_records
from .vectors.transforms import unit_rows

#: The ROC AUC of a score that knows nothing of the labels (every positive / negative pair order equally
#: likely): the chance level of every AUC here (fidelity, polysemy). 1 is perfect separation.
AUC_CHANCE = 0.5


def class_cosine_gap(emb, labels) -> dict[str, float]:
    """Mean cosine of same-class pairs, of different-class pairs, and their difference.

    Over all unordered pairs i < j: ``same`` = mean cos(e_i, e_j) where label_i == label_j,
    ``different`` = mean where they differ, ``gap`` = same - different. (The claim under test:
    same > 0.8, different < 0.3.) Exact, in O(n d): sums of unit vectors per class.
    """
    unit = _unit(emb)
    labels = np.asarray([str(v) for v in labels])
    if len(labels) != len(unit):
        raise EmbedlabError(f"{len(unit)} embeddings but {len(labels)} labels", "pass one label per row")
    self_sim = np.sum(unit * unit, axis=1)  # 1, or 0 for an all-zero vector
    total_sum = unit.sum(axis=0)
    all_pairs = (total_sum @ total_sum - self_sim.sum()) / 2
    same_sum, same_n = 0.0, 0
    for c in np.unique(labels):
        members = labels == c
        s = unit[members].sum(axis=0)
        same_sum += (s @ s - self_sim[members].sum()) / 2
        k = int(members.sum())
        same_n += k * (k - 1) // 2
    n = len(unit)
    diff_n = n * (n - 1) // 2 - same_n
    same = same_sum / same_n if same_n else float("nan")
    different = (all_pairs - same_sum) / diff_n if diff_n else float("nan")
    return {"same": float(same), "different": float(different), "gap": float(same - different)}


def pca_variance_top_k(emb, k: int = 20) -> float:
    """Fraction of the total variance explained by the top ``k`` principal components.

    Eigenvalues of the covariance of the centred embeddings (no scaling); 1.0 when ``k`` is at
    least the rank. (The claim under test: > 0.85 for k = 20.)
    """
    x = np.asarray(emb, dtype=np.float64)
    x = x - x.mean(axis=0, keepdims=True)
    s = np.linalg.svd(x, compute_uv=False)
    var = s**2
    total = var.sum()
    if total == 0:
        return float("nan")
    return float(var[:k].sum() / total)


def anisotropy(emb, n_pairs: int = 10_000, seed: int = 0) -> float:
    """Mean cosine similarity of random distinct pairs (i != j): ~0 for an isotropic space.

    All unordered pairs when there are at most ``n_pairs``; otherwise ``n_pairs`` pairs drawn
    uniformly (seeded) with i != j.
    """
    unit = _unit(emb)
    i, j = _pairs(len(unit), n_pairs, seed)
    return float(np.mean(np.sum(unit[i] * unit[j], axis=1)))


def pair_cosines(emb, n_pairs: int = 50_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(i, j, cos(e_i, e_j))`` of every unordered pair (at most ``n_pairs``), else a seeded sample."""
    unit = _unit(emb)
    i, j = _pairs(len(unit), n_pairs, seed)
    return i, j, np.sum(unit[i] * unit[j], axis=1)


def roc_auc(scores, positive) -> float:
    """ROC AUC of ``scores`` for telling ``positive`` pairs from the rest (scikit-learn; ties count half):
    the chance that a random positive pair scores above a random negative one. NaN without both kinds."""
    from sklearn.metrics import roc_auc_score

    positive = np.asarray(positive, dtype=bool)
    if positive.all() or not positive.any():
        return float("nan")
    return float(roc_auc_score(positive, np.asarray(scores, dtype=np.float64)))


def fidelity(emb, labels, n_pairs: int = 50_000, seed: int = 0, same_above: float = 0.8,
             different_below: float = 0.3) -> dict[str, float]:
    """How well cosine separates same-class from different-class pairs of a labelled set.

    Over every pair (or a seeded sample of ``n_pairs``): median cosine of same-class and of different-class
    pairs, the share of same-class pairs above ``same_above`` and of different-class pairs below
    ``different_below`` (claim C07's absolute thresholds), and ``auc``: ROC AUC of cosine for same-class
    pairs, which depends only on the ranking of the cosines and so is unchanged by any increasing map of
    them (a narrow band of cosines does not hurt it; a threshold does).
    """
    labels = np.asarray([str(v) for v in labels])
    if len(labels) != len(emb):
        raise EmbedlabError(f"{len(emb)} embeddings but {len(labels)} labels", "pass one label per row")
    i, j, cos = pair_cosines(emb, n_pairs, seed)
    return pair_fidelity(cos, labels[i] == labels[j], same_above, different_below)


def pair_fidelity(cos, same, same_above: float = 0.8, different_below: float = 0.3) -> dict[str, float]:
    """``fidelity`` from pair cosines already computed (``pair_cosines``) and whether each pair is same-class."""
    cos, same = np.asarray(cos), np.asarray(same, dtype=bool)
    return {"same_median": float(np.median(cos[same])) if same.any() else float("nan"),
            "different_median": float(np.median(cos[~same])) if (~same).any() else float("nan"),
            "same_above": float(np.mean(cos[same] > same_above)) if same.any() else float("nan"),
            "different_below": float(np.mean(cos[~same] < different_below)) if (~same).any() else float("nan"),
            "auc": roc_auc(cos, same), "n_same": int(same.sum()), "n_different": int((~same).sum())}


def centered_anisotropy(emb, mean, n_pairs: int = 10_000, seed: int = 0) -> float:
    """``anisotropy`` after subtracting ``mean`` (a vector fitted elsewhere, e.g. on calibration texts)."""
    x = np.asarray(emb, dtype=np.float64) - np.asarray(mean, dtype=np.float64)[None, :]
    return anisotropy(x, n_pairs, seed)


def pair_folds(n_pairs: int, n_folds: int = 2, seed: int = 0) -> np.ndarray:
    """Fold id (0 .. n_folds - 1) of each of ``n_pairs`` pairs: a seeded permutation dealt round-robin,
    so fold sizes differ by at most one."""
    if n_folds < 2 or n_pairs < n_folds:
        raise EmbedlabError(f"cannot split {n_pairs} pairs into {n_folds} folds", "use n_folds >= 2 and a task with more pairs")
    fold = np.empty(n_pairs, dtype=np.int64)
    fold[np.random.default_rng(seed).permutation(n_pairs)] = np.arange(n_pairs) % n_folds
    return fold


def crossfit_centering(first, second, texts_first, texts_second, n_folds: int = 2, seed: int = 0,
                       fold=None) -> dict:
    """Centre the two sides of a pair task with a mean fitted on held-out texts of the same task.

    Pairs (``first[i]``, ``second[i]``: the stored vectors of ``texts_first[i]`` / ``texts_second[i]``) are
    split into ``n_folds`` seeded folds (``pair_folds``). The vectors of fold k's pairs are centred
    (``transforms.Centering``: minus the mean, re-normalised) with the mean of the distinct texts of the other
    folds that do not occur in fold k, so no text (and no pair partner) enters the mean that centres it.
    Every pair can then be scored, each with a mean from the task's own distribution.

    Returns ``{"first", "second"}`` (centred rows, aligned with the input), ``"fold"`` (fold of each pair),
    ``"held_out"`` (per fold, the distinct texts whose vectors were averaged) and ``"distinct"`` (the centred
    vector of each distinct text of each fold, stacked: the texts as centred, for anisotropy). ``fold``: a
    given fold per pair instead of the seeded split.
    """
    from .vectors.transforms import Centering

    a, b = np.asarray(first, dtype=np.float32), np.asarray(second, dtype=np.float32)
    texts_first, texts_second = list(texts_first), list(texts_second)
    if a.shape != b.shape or len(texts_first) != len(a) or len(texts_second) != len(b):
        raise EmbedlabError(f"pair sides do not align: {a.shape} / {b.shape} vectors, {len(texts_first)} / "
                            f"{len(texts_second)} texts", "pass one vector and one text per pair on each side")
    fold = pair_folds(len(a), n_folds, seed) if fold is None else np.asarray(fold, dtype=np.int64)
    if len(fold) != len(a) or len(np.unique(fold)) < 2:
        raise EmbedlabError(f"{len(fold)} fold ids for {len(a)} pairs, {len(np.unique(fold))} distinct",
                            "give every pair a fold, at least two folds")
    vector_of = {}
    for texts, x in ((texts_first, a), (texts_second, b)):
        for t, v in zip(texts, x):
            vector_of.setdefault(t, v)
    out_a, out_b = np.empty_like(a), np.empty_like(b)
    held_out, distinct = [], []
    for k in np.unique(fold):
        inside = fold == k
        own = {t for i in np.flatnonzero(inside) for t in (texts_first[i], texts_second[i])}
        others = list(dict.fromkeys(t for i in np.flatnonzero(~inside) for t in (texts_first[i], texts_second[i])
                                    if t not in own))
        if not others:
            raise EmbedlabError(f"fold {k} has no held-out text to fit its centring mean on",
                                "use a task whose folds do not share every text")
        centre = Centering().fit(np.stack([vector_of[t] for t in others]), source=f"pairs outside fold {k}")
        out_a[inside], out_b[inside] = centre.apply(a[inside]), centre.apply(b[inside])
        own_texts = list(dict.fromkeys(t for i in np.flatnonzero(inside) for t in (texts_first[i], texts_second[i])))
        distinct.append(centre.apply(np.stack([vector_of[t] for t in own_texts])))
        held_out.append(others)
    return {"first": out_a, "second": out_b, "fold": fold, "held_out": held_out, "distinct": np.concatenate(distinct)}


def row_cosines(a, b) -> np.ndarray:
    """cos(a_i, b_i) for every row i (an all-zero row gives 0)."""
    x, y = _unit(a), _unit(b)
    return np.sum(x * y, axis=1)


def max_abs_difference(a, b) -> float:
    """The largest |difference| of any component of two sets of vectors after L2-normalising each row
    (every measure here and every mteb score on them is unchanged by the length of a vector). ``inf`` when
    the shapes differ (different dimensions are different vectors)."""
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return float("inf")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(_unit(x) - _unit(y))))


def sense_separation(emb, lemmas, senses) -> dict[str, float]:
    """Do vectors of sentences (or of one word in them) that use a word in the same sense lie closer than
    those using it in different senses? Only pairs of the same word are compared.

    - ``auc``: per lemma, ROC AUC of cosine for its same-sense pairs against its different-sense pairs, averaged
      over the lemmas that have both (0.5 = no separation; vectors identical for every use of a word score
      exactly 0.5). Per lemma, so that words whose uses are all close (or all far) do not mix into one ranking.
    - ``nn_accuracy``: for each row whose sense has another row, whether its nearest row of the same
      lemma (cosine) has its sense (rows tied for nearest share the credit); ``nn_chance``: the mean over those rows of (other rows of its sense) /
      (other rows of its lemma), what a random neighbour would score.
    """
    unit = _unit(emb)
    lemmas, senses = np.asarray(lemmas), np.asarray(senses)
    aucs, hits, chance = [], [], []
    for lemma in dict.fromkeys(lemmas.tolist()):
        rows = np.flatnonzero(lemmas == lemma)
        if len(rows) < 2:
            continue
        # rounded: identical vectors must tie exactly (matrix products differ in the last bits)
        sim = np.round(unit[rows] @ unit[rows].T, 6)
        same = senses[rows][:, None] == senses[rows][None, :]
        upper = np.triu_indices(len(rows), k=1)
        if same[upper].any() and not same[upper].all():
            aucs.append(roc_auc(sim[upper], same[upper]))
        np.fill_diagonal(sim, -np.inf)
        for a in range(len(rows)):
            others = same[a].sum() - 1
            if others >= 1:  # ties for nearest count each tied row equally
                nearest = np.flatnonzero(sim[a] == sim[a].max())
                hits.append(float(same[a, nearest].mean()))
                chance.append(others / (len(rows) - 1))
    if not aucs:
        raise EmbedlabError("no word has both same-sense and different-sense pairs", "pass several sentences per lemma")
    return {"auc": float(np.mean(aucs)),
            "nn_accuracy": float(np.mean(hits)) if hits else float("nan"),
            "nn_chance": float(np.mean(chance)) if chance else float("nan")}


def robustness(orig, noisy, n_pairs: int = 10_000, seed: int = 0,
               min_abs_similarity: float = 0.1) -> dict[str, float]:
    """How much noise (e.g. 10% of words swapped or replaced) moves the embeddings.

    ``orig`` and ``noisy`` are aligned: row i of ``noisy`` is a perturbed copy of text i.

    - ``cosine_orig_noisy``: mean over i of cos(orig_i, noisy_i).
    - ``similarity_change``: for pairs (i, j), i != j, s = cos(orig_i, orig_j) and
      s' = cos(noisy_i, noisy_j); the mean over pairs of |s' - s| / max(|s|, min_abs_similarity).
      The floor keeps near-orthogonal pairs (s ~ 0) from dominating; with every |s| >= 0.1 it is
      exactly the mean relative change. (The claim under test: < 0.15 under 10% noise.)
    - ``similarity_abs_change``: the mean over the same pairs of |s' - s|.
    - ``vector_move``: 1 - ``cosine_orig_noisy``, how far a text moves (the first reading of claim C09);
      ``random_pair_cosine``: the mean of s over the same pairs (the original texts' anisotropy);
      ``vector_move_relative``: ``vector_move`` / (1 - ``random_pair_cosine``), the move as a share of how
      far apart unrelated texts of the task lie (1: noise moves a text as far as a random other text is).

    Pairs: all unordered pairs when there are at most ``n_pairs``, else a seeded sample.
    """
    a, b = _unit(orig), _unit(noisy)
    if a.shape != b.shape:
        raise EmbedlabError(f"original {a.shape} and noisy {b.shape} embeddings are not aligned",
                            "embed the original and noisy texts of the same task")
    i, j = _pairs(len(a), n_pairs, seed)
    s = np.sum(a[i] * a[j], axis=1)
    s_noisy = np.sum(b[i] * b[j], axis=1)
    change = np.abs(s_noisy - s)
    cosine = float(np.mean(np.sum(a * b, axis=1)))
    random_pair = float(np.mean(s))
    return {
        "cosine_orig_noisy": cosine,
        "similarity_change": float(np.mean(change / np.maximum(np.abs(s), min_abs_similarity))),
        "similarity_abs_change": float(np.mean(change)),
        "vector_move": 1 - cosine,
        "random_pair_cosine": random_pair,
        "vector_move_relative": (1 - cosine) / (1 - random_pair) if random_pair < 1 else float("nan"),
    }


def intrinsic_records(task: dict, encoder, model_id: str, *, k: int = 20, n_pairs: int = 10_000,
                      seed: int = 0) -> list[dict]:
    """Intrinsic measures of one (model, task) as flat records, like ``evaluate.evaluate_task``.

    - robustness: ``cosine_orig_noisy``, ``similarity_change`` (main), ``similarity_abs_change``.
    - polysemy: ``polysemy_auc`` (main), ``polysemy_nn_accuracy``, ``polysemy_nn_chance`` of the sentence
      vectors (``sense_separation``).
    - classification (test split) and clustering: ``class_cosine_same``,
      ``class_cosine_different``, ``class_cosine_gap`` (main), ``pca_variance_top{k}``, ``anisotropy``.
    - other types: ``pca_variance_top{k}`` and ``anisotropy`` (main) over the task's texts
      (the corpus for retrieval).
    ``encoder``: anything with ``lookup(texts, role)`` (store.LookupEncoder) or an mteb-style
    ``encode`` over batches of ``{"text": [...]}``.
    """
    kind = task["type"]
    test = task["splits"]["test"]
    values: dict[str, float] = {}
    if kind == "polysemy":
        sep = sense_separation(_vectors(encoder, test["sentence"]), test["lemma"], test["sense"])
        values = {f"polysemy_{k}": v for k, v in sep.items()}
        main = MAIN_METRICS["polysemy"]
    elif kind == "robustness":
        moved = robustness(_vectors(encoder, test["original"]), _vectors(encoder, test["noisy"]),
                           n_pairs=n_pairs, seed=seed)
        values = {k: moved[k] for k in METRICS["robustness"]}
        main = MAIN_METRICS["robustness"]
    elif kind in ("classification", "clustering"):
        emb = _vectors(encoder, test["text"])
        gap = class_cosine_gap(emb, test["label"])
        values = {"class_cosine_same": gap["same"], "class_cosine_different": gap["different"],
                  "class_cosine_gap": gap["gap"], f"pca_variance_top{k}": pca_variance_top_k(emb, k),
                  "anisotropy": anisotropy(emb, n_pairs, seed)}
        main = "class_cosine_gap"
    else:
        if kind == "retrieval":
            emb = _vectors(encoder, list(test["corpus"].values()), role="document")
        else:
            emb = _vectors(encoder, list(dict.fromkeys([*test["sentence1"], *test["sentence2"]])))
        values = {f"pca_variance_top{k}": pca_variance_top_k(emb, k), "anisotropy": anisotropy(emb, n_pairs, seed)}
        main = "anisotropy"
    return result_records(task, model_id, values, main, dim=getattr(encoder, "dim", None))


def _vectors(encoder, texts, role: str = "query") -> np.ndarray:
    texts = list(texts)
    if hasattr(encoder, "lookup"):
        return np.asarray(encoder.lookup(texts, role))
    batches = [{"text": texts[i:i + 256]} for i in range(0, len(texts), 256)]
    return np.asarray(encoder.encode(batches, task_metadata=None, hf_split="test", hf_subset="default",
                                     prompt_type=role))


def _unit(emb) -> np.ndarray:
    x = np.asarray(emb, dtype=np.float64)
    if x.ndim != 2:
        raise EmbedlabError(f"expected a 2-d array of embeddings, got shape {x.shape}", "pass one row per text")
    return unit_rows(x)


def _pairs(n: int, n_pairs: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Index arrays (i, j), i != j: every unordered pair if few enough, else a seeded sample."""
    if n < 2:
        raise EmbedlabError(f"need at least 2 embeddings for pairwise measures, got {n}", "use a larger task")
    if n * (n - 1) // 2 <= n_pairs:
        i, j = np.triu_indices(n, k=1)
        return i, j
    rng = np.random.default_rng(seed)
    i = rng.integers(0, n, size=n_pairs)
    j = rng.integers(0, n - 1, size=n_pairs)
    j = j + (j >= i)  # uniform over j != i
    return i, j
