"""Interleaved timing, per-round ratios, ratio digits and the ONNX graph summary, on hand-made numbers
and hand-built graphs (no model)."""

import numpy as np
import pytest

from embedlab.errors import EmbedlabError
from embedlab.throughput import (format_ratio, paired_ratio, rate, ratio_decimals, round_orders,
                                 time_interleaved)


def test_every_round_runs_every_runner_once_in_a_seeded_shuffled_order():
    names = [f"m{i}" for i in range(6)]
    orders = round_orders(names, 5, seed=0)
    assert len(orders) == 5 and all(sorted(o) == names for o in orders)
    assert len({tuple(o) for o in orders}) > 1  # shuffled per round
    assert orders == round_orders(names, 5, seed=0) and orders != round_orders(names, 5, seed=1)
    with pytest.raises(EmbedlabError, match="at least 1 round"):
        round_orders(names, 0)


def test_time_interleaved_warms_up_then_times_each_runner_once_per_round():
    calls, now = [], [0.0]
    cost = {"a": 1.0, "b": 4.0}

    def runner(name):
        def run():
            calls.append(name)
            now[0] += cost[name]
        return run

    seconds, orders = time_interleaved({n: runner(n) for n in cost}, rounds=3, seed=2, clock=lambda: now[0])
    assert calls[:2] == ["a", "b"]  # the untimed warm-up pass
    assert calls[2:] == [n for order in orders for n in order]
    assert seconds == {"a": [1.0, 1.0, 1.0], "b": [4.0, 4.0, 4.0]}


def test_ratios_pair_the_passes_of_the_same_round():
    # the machine slows down in round 2 for both: per-round ratios stay 2, a ratio of medians would not tell
    fast, slow = [1.0, 3.0, 1.1], [2.0, 6.0, 2.2]
    ratio = paired_ratio(fast, slow)
    assert ratio["value"] == pytest.approx(2.0) and ratio["min"] == pytest.approx(2.0) and ratio["max"] == pytest.approx(2.0)
    r = rate([0.5, 0.25, 1.0], 100)
    assert r["value"] == 200 and r["min"] == 100 and r["max"] == 400 and r["rounds"] == 3
    assert r["by_round"] == [200, 400, 100]
    with pytest.raises(EmbedlabError, match="same rounds"):
        paired_ratio([1.0], [1.0, 2.0])


@pytest.mark.parametrize("low,high,decimals", [(1.70, 2.52, 1), (2.75, 3.27, 1), (1.5, 3.2, 0), (2.01, 2.04, 2),
                                               (2.0, 2.0, 2), (2.001, 2.002, 2), (0.9, 1.0, 1), (2.4, 2.5, 1),
                                               (1.0, 11.0, 0), (2.0, 2.99, 1), (2.0, 3.0, 0)])
def test_a_ratio_carries_no_more_digits_than_its_range_supports(low, high, decimals):
    assert ratio_decimals(low, high) == decimals


def test_format_ratio_writes_value_and_range_with_the_same_digits():
    assert format_ratio(2.13, 1.70, 2.52) == "2.1× (1.7–2.5)"
    assert format_ratio(3.04, 1.5, 4.6) == "3× (2–5)"
    assert format_ratio(0.977, 0.968, 0.99, unit="") == "0.98 (0.97–0.99)"
    # no range recorded: the value alone, one decimal
    assert format_ratio(2.13, None, None) == format_ratio(2.13, float("nan"), float("nan")) == "2.1×"


# -- ONNX graph summary on hand-built graphs --------------------------------------------------------------

def _graph(nodes, initializers, name="g"):
    from onnx import TensorProto, helper

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])
    return helper.make_model(helper.make_graph(nodes, name, [x], [y], initializer=initializers))


def _int8_weight(name="w"):
    from onnx import TensorProto, helper

    return helper.make_tensor(name, TensorProto.INT8, [4, 4], list(range(-8, 8)))


def test_weight_only_int8_is_dequantized_to_fp32():
    from onnx import TensorProto, helper

    from embedlab.encoders.onnx_graph import graph_summary

    scale = helper.make_tensor("s", TensorProto.FLOAT, [], [0.1])
    model = _graph([helper.make_node("Cast", ["w"], ["wf"], to=TensorProto.FLOAT),
                    helper.make_node("Mul", ["wf", "s"], ["wd"]),
                    helper.make_node("MatMul", ["x", "wd"], ["y"])], [_int8_weight(), scale])
    s = graph_summary(model)
    assert s["op_counts"] == {"Cast": 1, "MatMul": 1, "Mul": 1} and s["n_MatMul"] == 1 and s["n_MatMulInteger"] == 0
    assert s["integer_weights"] == 1 and s["integer_weight_elements"] == 16 and s["float_weight_elements"] == 1
    assert s["integer_weights_dequantized"] == 1 and s["integer_weights_in_integer_ops"] == 0
    assert s["weights_dequantized_to_float"] is True and s["compute"].startswith("fp32: int8 weights dequantized")


def test_dequantize_linear_weights_count_as_dequantized_too():
    from onnx import TensorProto, helper

    from embedlab.encoders.onnx_graph import graph_summary

    scale = helper.make_tensor("s", TensorProto.FLOAT, [], [0.1])
    zero = helper.make_tensor("z", TensorProto.INT8, [], [0])
    model = _graph([helper.make_node("DequantizeLinear", ["w", "s", "z"], ["wd"]),
                    helper.make_node("MatMul", ["x", "wd"], ["y"])], [_int8_weight(), scale, zero])
    s = graph_summary(model)
    # the zero point is an int8 initializer consumed by DequantizeLinear too
    assert s["n_DequantizeLinear"] == 1 and s["integer_weights_dequantized"] == 2 and s["weights_dequantized_to_float"]


def test_dynamic_quantization_runs_int8_kernels():
    from onnx import TensorProto, helper

    from embedlab.encoders.onnx_graph import graph_summary

    w_scale = helper.make_tensor("ws", TensorProto.FLOAT, [], [0.1])
    w_zero = helper.make_tensor("wz", TensorProto.INT8, [], [0])
    model = _graph([helper.make_node("DynamicQuantizeLinear", ["x"], ["xq", "xs", "xz"]),
                    helper.make_node("MatMulInteger", ["xq", "w", "xz", "wz"], ["acc"]),
                    helper.make_node("Cast", ["acc"], ["accf"], to=TensorProto.FLOAT),
                    helper.make_node("Mul", ["xs", "ws"], ["scale"]),
                    helper.make_node("Mul", ["accf", "scale"], ["y"])], [_int8_weight(), w_scale, w_zero])
    s = graph_summary(model)
    assert s["n_DynamicQuantizeLinear"] == 1 and s["n_MatMulInteger"] == 1 and s["integer_compute_nodes"] == 1
    assert s["integer_weights_in_integer_ops"] == 2 and s["integer_weights_dequantized"] == 0
    assert s["weights_dequantized_to_float"] is False and s["compute"] == "int8 kernels (1 MatMulInteger)"


def test_an_fp32_graph_and_a_file_on_disk(tmp_path):
    import onnx
    from onnx import TensorProto, helper

    from embedlab.encoders.onnx_graph import graph_summary

    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], np.eye(4, dtype=np.float32).ravel().tolist())
    path = tmp_path / "model.onnx"
    onnx.save(_graph([helper.make_node("MatMul", ["x", "w"], ["y"])], [w]), str(path))
    s = graph_summary(path)
    assert s["compute"] == "fp32" and s["integer_weights"] == 0 and s["float_weight_elements"] == 16
    assert s["weights_dequantized_to_float"] is False


def test_the_stage_refuses_unknown_reference_models_in_one_line():
    from embedlab.stages.throughput import _check

    registry = {"a": {}, "b": {}}
    _check({"baseline": "a", "references": {"b": "a"}}, registry)
    with pytest.raises(EmbedlabError, match="unknown model 'c'"):
        _check({"references": {"b": "c"}}, registry)


def test_the_stage_writes_median_and_range_records_from_interleaved_rounds(monkeypatch, tmp_path):
    """The stage end to end on fake encoders whose passes cost known (fake) seconds."""
    from types import SimpleNamespace

    import embedlab.stages.throughput as stage
    import embedlab.throughput as timing

    now = [0.0]
    cost = {"fp32": 2.0, "int8": 1.0, "onnx": 1.6, "plain": 2.5}  # seconds per pass

    class Group:
        def __init__(self, spec):
            self.specs, self.name, self.device, self.load_seconds = [spec], spec.id, "cpu", 0.1
            self.backend = SimpleNamespace()

        def load(self):
            return self

        def encode(self, texts, **_):
            now[0] += cost[self.name]

        def close(self):
            pass

    specs = {m: SimpleNamespace(id=m, max_seq_length=128, loader="glove", options={}) for m in ("fp32", "int8")}
    specs["onnx"] = SimpleNamespace(id="onnx", max_seq_length=128, loader="glove", options={"precision": "onnx-fp32"})
    settings = {"texts": 100, "long_texts": 20, "batch_size": 10, "rounds": 3, "baseline": "fp32",
                "references": {"int8": "fp32", "onnx": "fp32"}, "memory": []}
    written = {}
    monkeypatch.setattr(stage, "load_params", lambda _: {"throughput": settings, "embed": {}, "models": {}})
    monkeypatch.setattr(stage, "models_from_params", lambda _: specs)
    monkeypatch.setattr(stage, "timing_texts", lambda: {
        "short": {"task": "sts", "texts": [f"text {i}" for i in range(100)]},
        "long": {"task": "docs", "texts": [f"document {i}" for i in range(20)]}})
    monkeypatch.setattr(stage, "token_caps", lambda _: {"short": 128, "long": 256})
    monkeypatch.setattr(stage, "with_token_cap", lambda spec, cap: spec)
    monkeypatch.setattr(stage, "runtime", lambda _: (tmp_path, "cpu"))
    monkeypatch.setattr(stage, "encoder_groups", lambda specs, **_: [Group(s) for s in specs])
    monkeypatch.setattr(stage, "model_location", lambda spec, _: "folder")
    monkeypatch.setattr(stage, "sentence_transformer_runner",
                        lambda *a, **k: lambda: now.__setitem__(0, now[0] + cost["plain"]))
    monkeypatch.setattr(stage, "time_interleaved",
                        lambda runners, rounds, seed: timing.time_interleaved(runners, rounds, seed, clock=lambda: now[0]))
    monkeypatch.setattr(stage, "metrics_path", lambda _: tmp_path / "throughput.json")
    monkeypatch.setattr(stage, "atomic_write_json", lambda path, payload: written.update(payload))
    stage.run()
    records = {(r["model"], r["metric"], r.get("runner")): r for r in written["records"]}
    fp32 = records[("fp32", "texts_per_s", "embedlab")]
    assert fp32["value"] == 50.0 and fp32["min"] == fp32["max"] == 50.0 and fp32["rounds"] == 3
    assert fp32["torch_threads"] >= 1 and fp32["onnxruntime_intra_op_threads"] is None
    assert records[("int8", "speedup_vs_fp32", None)]["value"] == 2.0
    assert records[("int8", "speedup_vs_fp32", None)]["reference"] == "fp32"
    assert records[("fp32", "texts_per_s", timing.PLAIN)]["value"] == 40.0
    assert fp32["task"] == "sts" and ("int8", "speedup_vs_fp32_long_texts", None) not in records  # int8: no backend
    long = records[("onnx", "speedup_vs_fp32_long_texts", None)]
    assert (long["value"], long["reference"], long["task"], long["n_texts"]) == (1.25, "fp32", "docs", 20)
    assert records[("fp32", "ratio_vs_plain_sentence_transformers", None)]["value"] == 1.25
    assert written["models"]["int8"]["texts_per_second"] == 100.0 and written["baseline"]["ratio_embedlab_to_plain"] == 1.25
    assert len(written["provenance"]["round_orders"]) == 3
    assert written["provenance"]["threads"]["torch"] == written["provenance"]["threads"]["onnxruntime"] >= 1
    settings["threads"] = 2  # the old place of the one thread setting
    with pytest.raises(EmbedlabError, match="'throughput.threads' has moved to 'embed.threads'"):
        stage.run()


@pytest.mark.parametrize("bad", [0, -1, 1.5, "two", True])
def test_the_one_thread_setting_refuses_what_is_not_a_count(bad):
    from embedlab.encoders import set_threads

    with pytest.raises(EmbedlabError, match=r"'embed.threads' must be a whole number >= 1 or null"):
        set_threads(bad)


def test_the_one_thread_setting_sets_torch_and_faiss_and_reports_them():
    import torch

    from embedlab.encoders import set_threads
    from embedlab.vectors.search import faiss_module

    before = torch.get_num_threads()
    try:
        assert set_threads(1) == {"torch": 1, "onnxruntime": 1, "faiss": 1}
        assert torch.get_num_threads() == 1 and faiss_module().omp_get_max_threads() == 1
    finally:
        set_threads(before)


def test_speed_table_sets_each_variant_beside_its_original_with_the_configuration_on_hand_made_records():
    from embedlab.throughput import PLAIN, speed_table

    common = {"task": "STSBenchmark", "n_texts": 2000, "batch_size": 32, "rounds": 7, "device": "cpu"}
    payload = {
        "records": [
            {"model": "fp32", "runner": "embedlab", "metric": "texts_per_s", "value": 300.0, "min": 280.0, "max": 310.0, **common},
            {"model": "int8", "runner": "embedlab", "metric": "texts_per_s", "value": 780.0, "min": 700.0, "max": 820.4, **common},
            {"model": "fp32", "runner": PLAIN, "metric": "texts_per_s", "value": 310.0, "min": 300.0, "max": 320.0, **common},
            {"model": "int8", "metric": "speedup_vs_fp32", "reference": "fp32", "value": 2.6, "min": 2.41, "max": 2.83, "rounds": 7},
            {"model": "fp32", "metric": "ratio_vs_plain_sentence_transformers", "reference": PLAIN, "value": 0.968,
             "min": 0.951, "max": 0.989, "rounds": 7},
            {"model": "onnx", "metric": "speedup_vs_fp32_long_texts", "reference": "fp32", "task": "SciFact-sample",
             "n_texts": 128, "max_seq_length": 256, "value": 1.084, "min": 1.02, "max": 1.13, "rounds": 7}],
        "models": {"fp32": {"runs_as": "weights as shipped"}, "int8": {"runs_as": "onnx int8"}},
        "provenance": {"threads": {"torch": 2, "onnxruntime": 2, "faiss": 2}},
    }
    table = speed_table(payload)
    assert table.startswith("Configuration of every number: the first 2,000 distinct texts of STSBenchmark's "
                            "evaluation split (the same for every model), batch 32, the short-text token cap, cpu, torch threads 2, "
                            "onnxruntime intra-op threads 2; one untimed warm-up pass, then 7 rounds")
    lines = table.splitlines()[2:]
    assert lines[-1] == ("On long texts (the first 128 documents of SciFact-sample, token cap 256, the same rounds and "
                         "threads), the ONNX fp32 exports that `embed.backend: onnx` runs: `onnx` 1.1× (1.0–1.1) the texts/s of `fp32`.")
    lines = lines[:-2]
    assert lines[2:] == [
        "| `fp32` | weights as shipped | 300 (280–310) | 1 (reference) |",
        "| `fp32` | plain SentenceTransformer.encode (no embedlab code in the loop) | 310 (300–320) | "
        "embedlab's encode is 0.97× (0.95–0.99) this |",
        "| `int8` | onnx int8 | 780 (700–820) | 2.6× (2.4–2.8) |"]
    assert speed_table({"records": []}) == ""


def test_the_long_timing_texts_are_the_longest_documents_of_a_long_text_retrieval_task():
    from embedlab.tasks import texts_to_embed
    from embedlab.throughput import pick_long_texts, pick_texts

    def retrieval(doc, length="long"):
        return {"type": "retrieval", "text_length": length,
                "splits": {"test": {"queries": {"q": "a query"}, "corpus": {"d1": doc, "d2": doc + "!"}, "qrels": {}}}}

    sts = {"type": "sts", "text_length": "short", "splits": {"test": {"sentence1": ["a"], "sentence2": ["b"], "score": [1.0]}}}
    cluster = {"type": "clustering", "text_length": "long", "splits": {"test": {"text": ["x" * 500], "label": [0]}}}
    tasks = {"STSBenchmark": sts, "Plots": retrieval("a plot"), "Brown": cluster, "SciFact": retrieval("an abstract " * 20)}
    assert pick_long_texts(tasks, 1, texts_to_embed) == ("SciFact", ["an abstract " * 20])
    assert pick_long_texts({"STSBenchmark": sts}, 5, texts_to_embed) is None
    assert pick_texts(tasks, 1, texts_to_embed) == ("STSBenchmark", ["a"])
