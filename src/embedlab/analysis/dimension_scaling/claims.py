"""Experiment 02's claims of the seed article: each rule reads this experiment's records (``results``) and
the tables its metrics file writes beside them (``payload``), and names the experiment by ``experiment``.
The ledger (``embedlab.claims``) gathers ``CLAIMS`` of every listed experiment.

Read as a file of its own by the `report` stage: absolute imports only (tests/test_layout.py)."""

from __future__ import annotations

import pandas as pd

from embedlab.claims import Claim, missing


def assess_c08(results, families, datasets=None, payload=None, experiment="this experiment"):
    exp02 = results
    top = exp02[exp02["metric"] == "pca_variance_top20"].groupby("model")["value"].first()
    if top.empty:
        return missing(f"variance profile in {experiment}")
    native = exp02[(exp02.get("method") == "native") & exp02["main"].astype(bool) & exp02["value"].notna()
                   & (exp02["task_type"] != "clustering")]
    quality = native.groupby("model")["value"].mean()
    dims = exp02[exp02["metric"] == "pca_variance_top20"].groupby("model")["dim"].first()
    scored = [m for m in top.index if m in quality.index]
    if not scored:
        return missing("native score next to the dimension profile")
    best = max(scored, key=lambda m: quality[m])
    verdict = "supported" if top[best] > 0.85 else "contradicted"
    # equal dimension: within each native size with two or more models, does the better model
    # concentrate more variance in 20 components?
    same = []
    for dim, group in pd.Series(dims[scored]).groupby(dims[scored]):
        if len(group) >= 2:
            ranked = sorted(group.index, key=lambda m: -quality[m])
            same.append(f"{int(dim)} dims: " + ", ".join(f"`{m}` {quality[m]:.3f} / {top[m]:.0%}" for m in ranked))
    return verdict, (f"on the same {experiment} calibration texts for every model: the best model `{best}` "
                     f"(mean main score {quality[best]:.3f}) puts {top[best]:.0%} of its variance in the top 20 principal "
                     f"components; shares range {top.min():.0%}–{top.max():.0%}. At equal dimension (quality / top-20 "
                     "share, better model first): " + ("; ".join(same) or "no two models share a size")
                     + ". A good embedding here spreads its variance; > 85% in 20 components describes the weaker models")


def assess_c17(results, families, datasets=None, payload=None, experiment="this experiment"):
    pair = (payload or {}).get("same_recipe") or []
    native = [r for r in pair if r.get("method") == "native"]
    zoo = {r["model"]: r for r in (payload or {}).get("zoo") or []}
    if not native:
        return missing(f"same-recipe pair in {experiment}")
    r = native[0]
    large, small, base = r["large"], r["small"], r["mean (small)"]
    rel = r["difference"] / base
    speed = (zoo.get(large, {}).get("texts/s"), zoo.get(small, {}).get("texts/s"))
    slower = f", encodes {1 - speed[0] / speed[1]:.0%} slower" if all(speed) else ""
    better = r["separated"] and r["difference"] > 0
    # not measurably better: contradicted when the interval rules out the claimed +5.2% relative gain
    verdict = "partly" if better else ("contradicted" if r["ci_high"] / base < 0.052 else "not testable here")
    return verdict, (f"the 768->1024 step is not testable offline (no 1024-dim model installs); the 384->768 step of one "
                     f"training recipe, `{small}` -> `{large}` (also 6 -> 12 layers): {r['difference']:+.3f} "
                     f"[{r['ci_low']:+.3f}, {r['ci_high']:+.3f}] mean main score ({rel:+.1%}, paired bootstrap, "
                     f"{experiment}, {len(str(r.get('tasks', '')).split(', '))} tasks){slower}. "
                     + ("Direction as claimed (wider: better and slower), for a different step"
                        if better else "The wider model is not measurably better here"
                        + (", and the interval rules out the claimed +5.2%" if verdict == "contradicted" else "")))


CLAIMS = [
    Claim("C08", "For a good embedding the top 20 principal components explain > 85% of variance.", assess_c08),
    Claim("C17", "Widening hidden size 768 -> 1024 gives +5.2% accuracy and -18% inference speed.", assess_c17),
]
