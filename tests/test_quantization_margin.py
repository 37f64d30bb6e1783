"""Experiment 03's margins above chance, intervals that decide "within 5%", and centred sign bits: the
mechanism (an uncentred, anisotropic space makes raw sign bits near-constant) on constructed vectors."""

import numpy as np
import pandas as pd
import pytest

from embedlab.analysis.quantization_tradeoffs import margin as qm
from embedlab.analysis.quantization_tradeoffs import make_precision, near_constant_bits, variant_name, variants
from embedlab.stats import ItemScores


def _rows(model, variant, kind, values, chance, method="native", dim=8, nbytes=32):
    return [{"model": model, "task": f"T{i}", "task_type": kind, "metric": "m", "value": v, "main": True,
             "variant": variant, "precision": variant, "method": method, "dim": dim, "bytes_per_vector": nbytes,
             "chance": chance} for i, v in enumerate(values)]


def test_margin_retention_is_read_against_chance():
    # AP-like: float32 0.82, binary 0.80, chance 0.665 -> plain 97.6%, margin 87.1%
    records = pd.DataFrame(_rows("m", "float32", "pair_classification", [0.82], 0.665, nbytes=32)
                           + _rows("m", "binary", "pair_classification", [0.80], 0.665, nbytes=1))
    frame = qm.margin_frame(records, {}, {"n_resamples": 50, "seed": 0})
    binary = frame[frame["recipe"] == "native binary"].iloc[0]
    assert binary["retention"] == pytest.approx(0.80 / 0.82)
    assert binary["margin retention"] == pytest.approx(0.135 / 0.155)
    assert np.isnan(binary["ci_low"])  # no per-item data: no interval
    ref = frame[frame["recipe"] == "native float32"].iloc[0]
    assert ref["margin retention"] == 1 and ref["ci_low"] == 1


def _items(scores):
    return ItemScores("retrieval", {"per_query": np.asarray(scores, dtype=float)})  # main score = mean over items


def test_within_five_percent_is_decided_by_the_interval_not_the_point():
    """Two recipes with the same point margin: the noisy one's interval dips below 95%, so it is not 'within 5%'."""
    rng = np.random.default_rng(0)
    base = rng.uniform(0.6, 1.0, 400)
    tight = base - 0.03 + rng.normal(0, 0.001, 400)
    noisy = base - 0.03 + rng.normal(0, 0.4, 400)
    noisy += (tight.mean() - noisy.mean())  # same point as the tight recipe
    records = pd.DataFrame(_rows("m", "float32", "sts", [base.mean()], 0.0)
                           + _rows("m", "int8", "sts", [tight.mean()], 0.0, nbytes=8)
                           + _rows("m", "binary", "sts", [noisy.mean()], 0.0, nbytes=1))
    items = {("m", "float32", "T0"): _items(base), ("m", "int8", "T0"): _items(tight), ("m", "binary", "T0"): _items(noisy)}
    frame = qm.margin_frame(records, items, {"n_resamples": 500, "seed": 0})
    by = frame.set_index("recipe")
    assert by.loc["native binary", "margin retention"] == pytest.approx(by.loc["native int8", "margin retention"])
    assert by.loc["native int8", "ci_low"] > 0.95 > by.loc["native binary", "ci_low"]
    table = qm.smallest_recipes(frame)
    row = table[table["model"] == "m"].iloc[0]
    assert row["within 5%: recipe"] == "native int8" and row["within 5%: bytes"] == 8


def test_every_model_row_leaves_the_decoder_out():
    records = pd.DataFrame(
        _rows("enc", "float32", "sts", [0.8], 0.0) + _rows("enc", "binary", "sts", [0.79], 0.0, nbytes=1)
        + _rows("dec", "float32", "sts", [0.4], 0.0) + _rows("dec", "binary", "sts", [0.2], 0.0, nbytes=1))
    frame = qm.margin_frame(records, {}, {"n_resamples": 10, "seed": 0})
    with_dec = qm.smallest_recipes(frame)
    without = qm.smallest_recipes(frame, exclude_from_every=("dec",))
    every = lambda t: t[t["model"] == qm.EVERY_MODEL].iloc[0]["within 5%: recipe"]  # noqa: E731
    assert every(with_dec) == "native float32" and every(without) == "native binary"
    assert set(without["model"]) == {"enc", "dec", qm.EVERY_MODEL}  # the decoder keeps its own row


def test_centred_sign_bits_recover_an_anisotropic_space():
    """Vectors = a large common offset + a small signal: raw sign bits are the offset's signs (constant),
    so binary cosine carries nothing; subtracting the calibration mean brings the signal's bits back."""
    rng = np.random.default_rng(0)
    d, n = 64, 400
    offset = rng.choice([-1.0, 1.0], d) * 3.0
    signal = rng.normal(size=(n, d))
    x = offset + signal
    calibration = offset + rng.normal(size=(2000, d))
    assert near_constant_bits(x) > 0.9 and near_constant_bits(x - calibration.mean(axis=0)) < 0.1

    raw = make_precision("binary")
    centred = make_precision("binary", "centred").fit(calibration, source="cal")
    # pairs with a wide spread of true cosines: b is a mix of a and fresh noise
    a = signal[:200]
    mix = np.linspace(0, 1, 200)[:, None]
    b = mix * a + (1 - mix) * signal[200:]
    true_cos = np.sum(a * b, 1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)

    def binary_cos(t):
        qa, qb = t.apply(offset + a), t.apply(offset + b)
        return np.sum(qa * qb, 1) / d

    corr_raw = np.corrcoef(true_cos, binary_cos(raw))[0, 1] if np.std(binary_cos(raw)) > 0 else 0.0
    corr_centred = np.corrcoef(true_cos, binary_cos(centred))[0, 1]
    assert corr_centred > 0.8 and corr_raw < 0.3


def test_centred_variant_is_part_a_and_named_so():
    p = {"precisions": ["float32", "binary"], "scalar_values": ["dequantized"], "centred": ["binary"]}
    assert ("binary", "centred") in variants(p) and variant_name("binary", "centred") == "binary centred"
    assert make_precision("binary", "centred").name == "centering+binary"
