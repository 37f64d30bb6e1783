"""Experiment 04's claims of the seed article: each rule reads this experiment's records (``results``) and
the tables its metrics file writes beside them (``payload``), and names the experiment by ``experiment``.
The ledger (``embedlab.claims``) gathers ``CLAIMS`` of every listed experiment.

Read as a file of its own by the `report` stage: absolute imports only (tests/test_layout.py)."""

from __future__ import annotations

from embedlab.claims import Claim, coinciding, missing, named, nan


CONTEXTUAL_FAMILIES = ("contrastive", "bert", "multilingual")


def _table(payload, key) -> list[dict]:
    return (payload or {}).get(key) or []


def _worst(rows, key, worse):
    """The row of ``rows`` with the largest change under ``key`` (``worse`` turns a value into a change)."""
    return max(rows, key=lambda r: worse(r[key]))


def assess_c01(results, families, datasets=None, payload=None, experiment="this experiment"):
    rows = [r for r in _table(payload, "polysemy") if not nan(r.get("word auc"))]
    if not rows:
        return missing(f"word-level polysemy measurement in {experiment}")
    static = [r for r in rows if families.get(r["model"]) == "static"]
    contextual = [r for r in rows if families.get(r["model"]) in CONTEXTUAL_FAMILIES]
    if not static or not contextual:
        return missing("static and contextual model both read at word level")
    flat = all(abs(r["word auc"] - 0.5) < 1e-9 for r in static)
    separate = [r for r in contextual if r["word auc"] > 0.5 and r["word nn_accuracy"] > r["word nn_chance"]]
    verdict = "supported" if flat and len(separate) == len(contextual) else "partly" if separate else "contradicted"
    sentence = {r["model"]: r["sentence auc"] for r in _table(payload, "polysemy")}
    stat_sent = [m for m, fam in families.items() if fam == "static" and m in sentence]
    return verdict, (f"WordNet example sentences of different senses of one word ({experiment}): the word's own "
                     "vector separates same-sense from different-sense uses with AUC (chance 0.5) " + ", ".join(
                         f"`{r['model']}` {r['word auc']:.2f} (nearest-neighbour sense accuracy {r['word nn_accuracy']:.2f}, "
                         f"chance {r['word nn_chance']:.2f})" for r in contextual + static)
                     + "; a static model's word vector is one vector for every sense (AUC 0.5 by construction). "
                     + (f"Sentence vectors of static models still separate senses through the surrounding words (AUC, chance 0.5: "
                        + ", ".join(f"`{m}` {sentence[m]:.2f}" for m in stat_sent) + ")" if stat_sent else ""))


def assess_c07(results, families, datasets=None, payload=None, experiment="this experiment"):
    rows = _table(payload, "fidelity")
    if not rows:
        return missing(f"fidelity measurement in {experiment}")
    meets = [r for r in rows if r["same_above"] > 0.5 and r["different_below"] > 0.5]
    best = max(rows, key=lambda r: r["auc"])
    groups = coinciding(payload)
    best_name = named(best["model"], groups) + (" (the same vectors)" if best["model"] in groups else "")
    verdict = "supported" if meets else "contradicted"
    return verdict, (f"every pair of 4 labelled test sets ({experiment}, means over the sets): "
                     + f"{len(meets)} of {len(rows)} models put most same-class pairs above 0.8 and most different-"
                     "class pairs below 0.3 (" + ", ".join(
                         f"`{r['model']}` {r['same_above']:.0%}/{r['different_below']:.0%}" for r in rows)
                     + f"), while cosine orders same-class above different-class pairs with ROC AUC "
                     f"{min(r['auc'] for r in rows):.2f}–{best['auc']:.2f} against chance 0.5 (the probability that a "
                     f"random same-class pair has the higher cosine; best {best_name}). Absolute thresholds are "
                     "ill-posed under anisotropy: they test where a model's band of cosines lies (median different-class cosine "
                     f"{min(r['different_median'] for r in rows):.2f}–{max(r['different_median'] for r in rows):.2f}), "
                     "not how well it separates classes; AUC is the scale-free measure")


def assess_c09(results, families, datasets=None, payload=None, experiment="this experiment"):
    moves = [r for r in _table(payload, "robustness_moves") if abs(r["rate"] - 0.1) < 1e-9]
    if not moves:
        return missing(f"noise measurement in {experiment}")
    by_kind: dict = {}
    for r in moves:
        by_kind.setdefault(r["noise"], []).append(r)
    groups = coinciding(payload)
    models = sorted({groups.get(r["model"], r["model"]) for r in moves})  # a coinciding group is one model
    readings = {  # the claim's two readings: how far a text's vector moves, how much a pair's similarity changes
        "vector": ("cosine_orig_noisy", lambda v: 1 - v),
        "similarity": ("similarity_change", lambda v: v),
    }
    holds, parts = {}, {}
    for reading, (key, change) in readings.items():
        within = {m: all(change(r[key]) < 0.15 for r in moves if groups.get(r["model"], r["model"]) == m) for m in models}
        holds[reading] = sum(within.values())
        parts[reading] = "; ".join(
            f"{k} {change(_worst(v, key, change)[key]):.1%} ({named(_worst(v, key, change)['model'], groups)})"
            for k, v in by_kind.items())
    reference = [r for r in moves if r.get("vector_move_relative") is not None and r["vector_move_relative"] == r["vector_move_relative"]]
    if reference:  # how far the text moves, against how far apart unrelated texts of the same task sit
        worst = max(reference, key=lambda r: r["vector_move_relative"])
        parts["vector"] += (f"; against the distance between unrelated texts of the same task (1 − random-pair cosine), "
                            f"a move is at most {worst['vector_move_relative']:.0%} of it ({named(worst['model'], groups)}, {worst['noise']})")
    both = all(n == len(models) for n in holds.values())
    none = all(n == 0 for n in holds.values())
    verdict = "supported" if both else "contradicted" if none else "partly"
    absolute = "; ".join(f"{k} {max(r.get('similarity_abs_change', float('nan')) for r in v):.3f}" for k, v in by_kind.items())
    drops = [d for d in _table(payload, "score_drops") if abs(d["rate"] - 0.1) < 1e-9]
    lowered = [d for d in drops if d["separated"] and d["difference"] < 0]
    return verdict, (f"10% noise ({experiment}, {len(models)} models), decided on both readings of "
                     f"'similarity moves < 15%'. (1) The text's vector, 1 − cos(original, noisy): within 15% for "
                     f"{holds['vector']} of {len(models)} models on every kind; largest per kind: {parts['vector']}. "
                     f"(2) The similarity between two texts, mean |s′ − s| / max(|s|, 0.1) over pairs: within 15% for "
                     f"{holds['similarity']} of {len(models)} models; largest per kind: {parts['similarity']} (absolute "
                     f"change |s′ − s| at most {absolute}: the relative change is large where unrelated pairs sit near "
                     f"cosine 0, i.e. for the less anisotropic models). The main score on noisy test texts is measurably "
                     f"lower in {len(lowered)} of {len(drops)} (model, task, kind) cells at 10% (paired bootstrap)")


CLAIMS = [
    Claim("C01", "Static word vectors cannot separate senses of one word; contextual models can.", assess_c01),
    Claim("C07", "Same-class pairs should have cosine > 0.8, different-class pairs < 0.3.", assess_c07),
    Claim("C09", "With 10% noise (synonyms, word order) similarity should move < 15%.", assess_c09),
]
