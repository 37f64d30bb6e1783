"""Task preparation: the catalog, checksums, sampling, roles, the offline hub path, root-relative paths
and real counts."""

from __future__ import annotations

import csv
import hashlib
import importlib.util
import json
from collections import Counter
from pathlib import Path

import pytest

from embedlab import tasks as T
from embedlab.errors import EmbedlabError
from embedlab.paths import repo_root
from embedlab.schema import MAIN_METRICS, TASK_TYPES

MIRROR = Path(__file__).resolve().parents[1] / ".." / "shared" / "benchmarks"
needs_mirror = pytest.mark.skipif(not (MIRROR / "MANIFEST.sha256").is_file(),
                                  reason=f"benchmark mirror not found at {MIRROR}")


def needs_package(name: str):
    return pytest.mark.skipif(importlib.util.find_spec(name) is None, reason=f"package {name} not installed")


# --- a tiny fake mirror ------------------------------------------------------------------------------

def _write_mirror(root: Path, files: dict[str, str]) -> Path:
    lines = []
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8", newline="")
        lines.append(f"{hashlib.sha256(text.encode('utf-8')).hexdigest()}  {rel}")
    (root / "MANIFEST.sha256").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _csv(rows) -> str:
    buf = __import__("io").StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


@pytest.fixture
def fake_mirror(tmp_path):
    sts = _csv([(f"a sentence {i}", f"another sentence {i % 7}", i % 6) for i in range(40)])
    # 60 / 30 / 10 texts per label in train, 30 / 15 / 5 in test
    train = _csv([("text", "category")] + [(f"train {lab} {i}", lab) for lab, n in (("a", 60), ("b", 30), ("c", 10))
                                          for i in range(n)])
    test = _csv([("text", "category")] + [(f"test {lab} {i}", lab) for lab, n in (("a", 30), ("b", 15), ("c", 5))
                                         for i in range(n)])
    corpus = "".join(json.dumps({"_id": f"d{i}", "title": f"T{i}", "text": f"body {i}", "metadata": {}}) + "\n"
                     for i in range(20))
    queries = "".join(json.dumps({"_id": f"q{i}", "text": f"claim {i}", "metadata": {}}) + "\n" for i in range(8))
    # query qi is relevant to docs d(2i) and d(2i+1); q7 to nothing (not a test query)
    qrels = "query-id\tcorpus-id\tscore\r\n" + "".join(f"q{i}\td{2 * i + k}\t1\r\n" for i in range(7) for k in (0, 1))
    return _write_mirror(tmp_path / "mirror", {
        "stsb/stsb-en-test.csv": sts, "banking77/train.csv": train, "banking77/test.csv": test,
        "scifact/corpus.jsonl": corpus, "scifact/queries.jsonl": queries, "scifact/qrels/test.tsv": qrels})


# --- the catalog -------------------------------------------------------------------------------------

def test_every_record_is_complete():
    assert T.EMBEDDED_TASKS + T.STANDARD_TASKS == tuple(T.CATALOG)  # the embedded suite first
    for name, spec in T.CATALOG.items():
        assert spec.name == name and T.task_spec(name) is spec
        assert spec.type in TASK_TYPES and spec.main_score == MAIN_METRICS[spec.type]
        assert spec.splits == (("train",) if spec.fit_only else ("train", "test") if spec.type == "classification"
                               else ("test",))
        assert spec.origin and spec.license and spec.language
        assert spec.source == ("package" if name in T.EMBEDDED_TASKS else "mirror")
        if spec.source == "mirror":  # the hub fallback is pinned
            assert spec.hub_id and len(spec.hub_revision) == 40


def test_register_refuses_duplicates_and_records_without_their_loader():
    with pytest.raises(ValueError, match="registered twice"):
        T.register(T.CATALOG["MRPC"], mirror=lambda files, seed: {})
    with pytest.raises(ValueError, match="needs a package loader"):
        T.register(T.declare("Toy", "sts", "en", "package", ["gensim:x"], "none"))
    with pytest.raises(ValueError, match="needs a mirror loader"):
        T.register(T.declare("Toy", "sts", "en", "mirror", ["x"], "none"), hub=lambda spec, seed: {})
    with pytest.raises(ValueError, match="'sentiment' is not one of"):
        T.declare("Toy", "sentiment", "en", "package", ["gensim:x"], "none")
    assert "Toy" not in T.CATALOG


def test_a_new_task_is_one_record_and_its_loader(fake_mirror, tmp_path):
    def load(files, seed):
        with open(files.mirrored("stsb/stsb-en-test.csv"), encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        return {"test": {"sentence1": [r[0] for r in rows], "sentence2": [r[0][::-1] for r in rows],
                         "score": [float(r[2]) for r in rows]}}

    spec = T.register(T.declare("ToySTS", "sts", "en", "mirror", ["stsb/stsb-en-test.csv"], "test data"), mirror=load)
    try:
        index = T.prepare_tasks(["ToySTS"], mirror=fake_mirror, sizes={"sts_pairs": 10}, seed=0, out_dir=tmp_path)
        task = T.load_prepared("ToySTS-sample", tmp_path)
    finally:
        del T.CATALOG["ToySTS"]
    assert spec.main_score == task["main_score"] == "cosine_spearman"
    assert index["tasks"]["ToySTS-sample"]["n_full"] == {"test": 40} and task["n_used"] == {"test": 10}
    assert task["label"] == "ToySTS (10 of 40 pairs)" and task["base_name"] == "ToySTS"
    assert task["source"] == "mirror" and list(task["files"]) == ["stsb/stsb-en-test.csv"]


def _strings(obj):
    if isinstance(obj, dict):
        return [s for v in obj.values() for s in _strings(v)]
    if isinstance(obj, list):
        return [s for v in obj for s in _strings(v)]
    return [obj] if isinstance(obj, str) else []


def test_nothing_written_records_where_the_clone_lives(fake_mirror, tmp_path):
    out = tmp_path / "tasks"
    T.prepare_tasks(["STSBenchmark", "MRPolarity"], mirror=fake_mirror, sizes={}, seed=0, out_dir=out,
                    assets=tmp_path / "no-assets")
    index = json.loads((out / "index.json").read_text(encoding="utf-8"))
    assert not Path(index["mirror"]).is_absolute()
    assert (repo_root() / index["mirror"]).resolve() == fake_mirror.resolve()
    reason = index["tasks"]["MRPolarity"]["reason"]
    assert "install_assets.sh" in reason and "no-assets" in reason
    for path in out.glob("*.json"):
        written = json.loads(path.read_text(encoding="utf-8"))
        written.pop("splits", None)
        words = [w.strip("`'\"(),") for s in _strings(written) for w in s.split()]
        assert not [w for w in words if w.startswith("/")], path.name


# --- errors ------------------------------------------------------------------------------------------

def test_unknown_task_name_lists_the_known_names(tmp_path):
    with pytest.raises(EmbedlabError) as err:
        T.prepare_tasks(["STSBenchmarkk"], mirror=None, sizes=None, seed=0, out_dir=tmp_path)
    assert "STSBenchmarkk" in str(err.value) and "STSBenchmark," in str(err.value) and "SciFact" in str(err.value)
    assert not (tmp_path / "index.json").exists()  # nothing is written for a bad request


def test_unknown_size_key_is_an_error(tmp_path):
    with pytest.raises(EmbedlabError, match="sts_pair"):
        T.prepare_tasks(["STSBenchmark"], mirror=None, sizes={"sts_pair": 10}, seed=0, out_dir=tmp_path)


def test_mirror_checksum_mismatch_raises(fake_mirror, tmp_path):
    index = T.prepare_tasks(["STSBenchmark"], mirror=fake_mirror, sizes={}, seed=0, out_dir=tmp_path / "ok")
    assert index["tasks"]["STSBenchmark"]["n_full"] == {"test": 40}
    with open(fake_mirror / "stsb/stsb-en-test.csv", "a", encoding="utf-8") as f:
        f.write("x,y,1\r\n")
    with pytest.raises(EmbedlabError, match="checksum mismatch .*stsb-en-test.csv") as err:
        T.prepare_tasks(["STSBenchmark"], mirror=fake_mirror, sizes={}, seed=0, out_dir=tmp_path / "bad")
    assert "fix:" in str(err.value)


def test_load_prepared_missing_file_names_the_fix(tmp_path):
    with pytest.raises(EmbedlabError, match="dvc repro prepare"):
        T.load_prepared("STSBenchmark", tmp_path)


# --- sampling ----------------------------------------------------------------------------------------

def test_sampling_is_deterministic_capped_and_stratified(fake_mirror, tmp_path):
    sizes = {"sts_pairs": 25, "classification_train_per_label": 20, "classification_test": 10}
    names = ["STSBenchmark", "Banking77Classification"]
    a = T.prepare_tasks(names, mirror=fake_mirror, sizes=sizes, seed=3, out_dir=tmp_path / "a")
    b = T.prepare_tasks(names, mirror=fake_mirror, sizes=sizes, seed=3, out_dir=tmp_path / "b")
    c = T.prepare_tasks(names, mirror=fake_mirror, sizes=sizes, seed=4, out_dir=tmp_path / "c")
    for name in ("STSBenchmark-sample", "Banking77Classification-sample"):
        assert a["tasks"][name]["checksum"] == b["tasks"][name]["checksum"] != c["tasks"][name]["checksum"]
        assert (tmp_path / "a" / f"{name}.json").read_bytes() == (tmp_path / "b" / f"{name}.json").read_bytes()
    assert a["tasks"]["STSBenchmark-sample"]["n_used"] == {"test": 25}
    bank = T.load_prepared("Banking77Classification-sample", tmp_path / "a")
    # train: min(20, rows) of every label (60 / 30 / 10 rows); test: 10 rows with label shares kept
    assert bank["n_full"] == {"train": 100, "test": 50} and bank["n_used"] == {"train": 50, "test": 10}
    assert Counter(bank["splits"]["train"]["label"]) == {"a": 20, "b": 20, "c": 10}
    assert Counter(bank["splits"]["test"]["label"]) == {"a": 6, "b": 3, "c": 1}
    assert bank["label"] == "Banking77Classification (test 10 of 50; train 50 of 100, ≤20 per label)"


def test_full_size_when_caps_are_none(fake_mirror, tmp_path):
    index = T.prepare_tasks(["Banking77Classification"], mirror=fake_mirror,
                            sizes={"classification_train_per_label": None, "classification_test": None}, seed=0,
                            out_dir=tmp_path)
    entry = index["tasks"]["Banking77Classification"]  # nothing cut: the bare name, a bare label
    assert entry["n_used"] == {"train": 100, "test": 50} and entry["label"] == "Banking77Classification"
    assert entry["default"] and entry["full"] and list(index["tasks"]) == ["Banking77Classification"]


def test_the_old_total_train_cap_names_its_replacement(tmp_path):
    with pytest.raises(EmbedlabError, match="'classification_train' was replaced by 'classification_train_per_label'"):
        T.prepare_tasks(["Banking77Classification"], mirror=None, sizes={"classification_train": 400}, seed=0,
                        out_dir=tmp_path)


def test_full_size_tasks_are_also_prepared_under_their_bare_name(fake_mirror, tmp_path):
    index = T.prepare_tasks(["STSBenchmark", "SciFact"], mirror=fake_mirror, sizes={"sts_pairs": 25}, seed=0,
                            out_dir=tmp_path, full_size=["STSBenchmark", "SciFact"])
    # SciFact's caps do not bind here: one variant, bare name; STS-B is cut: a sample plus the full task
    assert list(index["tasks"]) == ["STSBenchmark-sample", "STSBenchmark", "SciFact"]
    assert [e["default"] for e in index["tasks"].values()] == [True, False, True]
    assert index["tasks"]["STSBenchmark"]["n_used"] == {"test": 40}
    assert T.available_tasks(tmp_path) == ["STSBenchmark-sample", "STSBenchmark", "SciFact"]
    assert T.default_tasks(tmp_path) == ["STSBenchmark-sample", "SciFact"]
    sample, full = (T.load_prepared(n, tmp_path) for n in ("STSBenchmark-sample", "STSBenchmark"))
    assert sample["name"] == "STSBenchmark-sample" and full["name"] == "STSBenchmark" and full["label"] == "STSBenchmark"


def test_retrieval_sampling_keeps_every_relevant_doc(fake_mirror, tmp_path):
    index = T.prepare_tasks(["SciFact"], mirror=fake_mirror, sizes={"retrieval_queries": 3, "retrieval_corpus": 15,
                            "retrieval_negatives_per_query": 2}, seed=1, out_dir=tmp_path)
    assert index["tasks"]["SciFact-sample"]["n_full"] == {"queries": 7, "corpus": 20, "relevant_pairs": 14}
    task = T.load_prepared("SciFact-sample", tmp_path)
    split = task["splits"]["test"]
    assert len(split["queries"]) == 3 and set(split["qrels"]) == set(split["queries"])
    relevant = {d for rel in split["qrels"].values() for d in rel}
    assert len(relevant) == 6 and relevant <= set(split["corpus"])
    assert len(split["corpus"]) == 15  # 6 relevant + 3 x 2 TF-IDF negatives + 3 random
    assert task["sampling"]["corpus"] == {"relevant": 6, "tfidf_negatives": 6, "negatives_per_query": 2, "random": 3}
    assert task["label"] == ("SciFact (3 of 7 queries; 15 of 20 documents: 6 relevant, 6 TF-IDF negatives "
                             "(2 per query), 3 random)")
    assert all(text == f"T{d[1:]} body {d[1:]}" for d, text in split["corpus"].items())  # title + " " + text


def test_retrieval_sampling_drops_queries_rather_than_their_relevant_docs(fake_mirror, tmp_path):
    T.prepare_tasks(["SciFact"], mirror=fake_mirror, sizes={"retrieval_queries": 7, "retrieval_corpus": 5,
                    "retrieval_negatives_per_query": None}, seed=0, out_dir=tmp_path)
    split = T.load_prepared("SciFact-sample", tmp_path)["splits"]["test"]
    assert len(split["queries"]) == 2 and len(split["corpus"]) == 5
    assert all(d in split["corpus"] for rel in split["qrels"].values() for d in rel)


def test_word_order_noise_swaps_adjacent_words():
    import random

    sentence = "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen " \
               "sixteen seventeen eighteen nineteen twenty"
    noisy = T.swap_adjacent_words(sentence, 0.10, random.Random(0))
    moved = [i for i, (a, b) in enumerate(zip(sentence.split(), noisy.split())) if a != b]
    assert sorted(noisy.split()) == sorted(sentence.split()) and len(moved) == 2 and moved[1] == moved[0] + 1
    assert T.swap_adjacent_words("same same", 0.1, random.Random(0)) == "same same"


# --- texts_to_embed ----------------------------------------------------------------------------------

def test_texts_to_embed_dedupes_in_first_seen_order_with_roles():
    sts = {"type": "sts", "splits": {"test": {"sentence1": ["a", "b", "a"], "sentence2": ["c", "a", "d"],
                                              "score": [1.0, 2.0, 3.0]}}}
    assert T.texts_to_embed(sts) == {"query": ["a", "b", "c", "d"]}
    clf = {"type": "classification", "splits": {"train": {"text": ["x", "y"], "label": [0, 1]},
                                                "test": {"text": ["y", "z"], "label": [1, 0]}}}
    assert T.texts_to_embed(clf) == {"query": ["x", "y", "z"]}
    ret = {"type": "retrieval", "splits": {"test": {"queries": {"q1": "what", "q2": "what"},
                                                    "corpus": {"d1": "doc", "d2": "what", "d3": "doc"},
                                                    "qrels": {"q1": {"d1": 1}}}}}
    assert T.texts_to_embed(ret) == {"query": ["what"], "document": ["doc", "what"]}


# --- the hub path ------------------------------------------------------------------------------------

@pytest.fixture
def hub_offline(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    import datasets.config
    import huggingface_hub.constants

    # the libraries read the variable at import time; a test run may have imported them already
    monkeypatch.setattr(datasets.config, "HF_HUB_OFFLINE", True, raising=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True, raising=False)


def test_hub_path_offline_gives_a_one_line_reason(hub_offline, tmp_path):
    names = ["STSBenchmark", "SciFact"] + (["LeeDocSimilarity"] if importlib.util.find_spec("gensim") else [])
    stale = tmp_path / "STSBenchmark.json"
    stale.write_text("{}")
    index = T.prepare_tasks(names, mirror=None, sizes=None, seed=0, out_dir=tmp_path)
    for name in ("STSBenchmark", "SciFact"):
        entry = index["tasks"][name]
        assert entry["available"] is False and entry["n_used"] is None
        assert "\n" not in entry["reason"] and "Traceback" not in entry["reason"]
        assert entry["reason"].startswith("no mirror configured; hub")
    assert not stale.exists()
    assert json.loads((tmp_path / "index.json").read_text())["tasks"]["SciFact"]["available"] is False
    if "LeeDocSimilarity" in names:
        assert index["tasks"]["LeeDocSimilarity"]["available"] is True
    with pytest.raises(EmbedlabError, match="no mirror configured"):
        T.prepare_tasks(["STSBenchmark"], mirror=None, sizes=None, seed=0, out_dir=tmp_path, strict=True)
    with pytest.raises(EmbedlabError, match="unavailable, no mirror configured"):
        T.load_prepared("SciFact", tmp_path)


def test_hub_loaders_read_the_mteb_schemas(monkeypatch, tmp_path):
    datasets = pytest.importorskip("datasets")
    from datasets import ClassLabel, Dataset, DatasetDict, Features, Value

    calls = []

    def fake_load_dataset(path, name=None, *, revision=None, split=None):
        calls.append((path, name, revision, split))
        if path == "mteb/sts15-sts":
            return Dataset.from_dict({"sentence1": ["a", "b", "c"], "sentence2": ["x", "y", "z"],
                                      "score": [1.0, None, 4.5]})
        if path == "fancyzhx/ag_news":
            feats = Features({"text": Value("string"), "label": ClassLabel(names=["World", "Sports"])})
            return Dataset.from_dict({"text": [f"t{i}" for i in range(8)], "label": [0, 1] * 4}, features=feats)
        if path == "mteb/scifact":
            if name == "corpus":
                return DatasetDict(corpus=Dataset.from_dict({"_id": ["1", "2"], "title": ["A", "B"],
                                                             "text": ["x", "y"]}))
            if name == "queries":
                return DatasetDict(queries=Dataset.from_dict({"_id": ["7", "8"], "text": ["q7", "q8"]}))
            return Dataset.from_dict({"query-id": [7], "corpus-id": [2], "score": [1]})
        raise AssertionError(path)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    index = T.prepare_tasks(["STS15", "NewsClassification", "SciFact"], mirror=None, sizes={}, seed=0,
                            out_dir=tmp_path)
    assert all(e["available"] and e["source"] == "hub" for e in index["tasks"].values())
    assert index["tasks"]["STS15"]["n_full"] == {"test": 2}  # the unscored row is dropped
    assert ("mteb/sts15-sts", None, T.CATALOG["STS15"].hub_revision, "test") in calls
    news = T.load_prepared("NewsClassification", tmp_path)
    assert set(news["splits"]["train"]["label"]) == {"World", "Sports"} and news["n_full"] == {"train": 6, "test": 2}
    sci = T.load_prepared("SciFact", tmp_path)["splits"]["test"]
    assert sci == {"queries": {"7": "q7"}, "corpus": {"1": "A x", "2": "B y"}, "qrels": {"7": {"2": 1}}}


# --- real data: full-size counts against the documented numbers ---------------------------------------

@needs_mirror
def test_standard_tasks_full_size_counts(tmp_path):
    names = ["STSBenchmark", "SICK-R", "STS13", "MRPC", "STSBenchmark-zh-en"]
    index = T.prepare_tasks(names, mirror=MIRROR, sizes={}, seed=0, out_dir=tmp_path, strict=True)
    n = {name: e["n_full"] for name, e in index["tasks"].items()}
    assert n["STSBenchmark"] == {"test": 1379} and n["SICK-R"] == {"test": 9927}
    assert n["STS13"] == {"test": 1500} and n["MRPC"] == {"test": 1725}
    mrpc = T.load_prepared("MRPC", tmp_path)
    assert sum(mrpc["splits"]["test"]["label"]) == 1147
    stsb = T.load_prepared("STSBenchmark", tmp_path)["splits"]["test"]
    assert sum(stsb["score"]) / len(stsb["score"]) == pytest.approx(2.6079166, abs=1e-6)  # MTEB's mean
    sick = T.load_prepared("SICK-R", tmp_path)["splits"]["test"]
    assert sum(sick["score"]) / len(sick["score"]) == pytest.approx(3.52915, abs=1e-5)
    zh_en = T.load_prepared("STSBenchmark-zh-en", tmp_path)["splits"]["test"]
    assert zh_en["sentence2"] == stsb["sentence2"] and zh_en["score"] == stsb["score"]


@needs_package("gensim")
def test_lee_document_similarity_has_1225_pairs(tmp_path):
    index = T.prepare_tasks(["LeeDocSimilarity"], mirror=None, sizes={}, seed=0, out_dir=tmp_path, strict=True)
    assert index["tasks"]["LeeDocSimilarity"]["n_full"] == {"test": 1225}
    task = T.load_prepared("LeeDocSimilarity", tmp_path)
    assert len(T.texts_to_embed(task)["query"]) == 50
    assert all(0.0 <= s <= 1.0 for s in task["splits"]["test"]["score"])


def test_missing_asset_makes_the_task_unavailable_with_the_install_fix(tmp_path):
    index = T.prepare_tasks(["MRPolarity"], mirror=None, sizes=None, seed=0, out_dir=tmp_path,
                            assets=tmp_path / "no-assets")
    entry = index["tasks"]["MRPolarity"]
    assert entry["available"] is False and "scripts/install_assets.sh" in entry["reason"]
