"""Malformed params get a one-line EmbedlabError naming the problem and the fix."""

import pytest

from embedlab.errors import EmbedlabError
from embedlab.params import experiment_group, load_params, scaled_sizes


def _write(tmp_path, text):
    p = tmp_path / "params.yaml"
    p.write_text(text)
    return p


GOOD = """
data: {tasks: [STSBenchmark], scale: 0.5, sizes: {sts_pairs: 100, classification_train_per_label: null, retrieval_negatives_per_query: 20}}
models: {m1: {}}
embed: {}
experiments: {x: 01_x}
x: {models: [m1]}
"""


def test_good_params_load_and_scale(tmp_path):
    params = load_params(_write(tmp_path, GOOD))
    assert scaled_sizes(params["data"]) == {"sts_pairs": 50, "classification_train_per_label": None,
                                           "retrieval_negatives_per_query": 20}  # a ratio: not scaled
    assert experiment_group(params, "01_x") == ("x", {"models": ["m1"]})
    assert experiment_group(params, "x") == ("x", {"models": ["m1"]})  # by stage name or by group


@pytest.mark.parametrize("text, needle", [
    ("data: [1, 2", "not valid YAML"),
    ("- a\n- b\n", "mapping of groups"),
    ("data: {tasks: [STSBenchmark]}\nmodels: {}\n", "no 'embed' group"),
    ("data: {tasks: [a]}\nmodels: {}\nembed: {}\nexperiments: {01_x: 01_x}\n01_x: {}\n", "starts with a digit"),
    ("data: {tasks: [a]}\nmodels: {}\nembed: {}\nexperiments: {x: 01_x}\n", "has no such group"),
    ("data: {tasks: []}\nmodels: {}\nembed: {}\nexperiments: {}\n", "data.tasks"),
    ("data: {tasks: [a], scale: -1}\nmodels: {}\nembed: {}\nexperiments: {}\n", "data.scale"),
    ("data: {tasks: [a], sizes: {sts: 3}}\nmodels: {}\nembed: {}\nexperiments: {}\n", "unknown key 'sts'"),
    ("data: {tasks: [a], noise: {rates: [0.1], tasks: {b: [swap]}}}\nmodels: {}\nembed: {}\nexperiments: {}\n",
     "data.noise.tasks' names 'b'"),
    ("data: {tasks: [a], noise: {rates: [0.1], tasks: {a: [blur]}}}\nmodels: {}\nembed: {}\nexperiments: {}\n",
     "unknown noise kind 'blur'"),
    ("data: {tasks: [a], noise: {rates: [2], tasks: {a: [swap]}}}\nmodels: {}\nembed: {}\nexperiments: {}\n",
     "data.noise.rates"),
    ("data: {tasks: [a], noise: [swap]}\nmodels: {}\nembed: {}\nexperiments: {}\n", "'data.noise' must be"),
])
def test_malformed_params(tmp_path, text, needle):
    with pytest.raises(EmbedlabError) as err:
        load_params(_write(tmp_path, text))
    message = str(err.value)
    assert needle in message and "fix:" in message and "\n" not in message


def test_experiment_naming_an_unknown_model(tmp_path):
    from embedlab.needs import all_needs

    text = GOOD.replace("{x: 01_x}", "{architecture_comparison: 01_x}").replace("x: {models: [m1]}",
                                                                              "architecture_comparison: {models: [nope]}")
    with pytest.raises(EmbedlabError, match="unknown model 'nope'.*fix: add it"):
        all_needs(load_params(_write(tmp_path, text)))


def test_an_unlisted_experiment_names_the_listed_ones(tmp_path):
    with pytest.raises(EmbedlabError, match="no experiment '02_y'.*01_x"):
        experiment_group(load_params(_write(tmp_path, GOOD)), "02_y")


def test_missing_params_file(tmp_path):
    with pytest.raises(EmbedlabError, match="not found"):
        load_params(tmp_path / "absent.yaml")


def test_robustness_blocks_expand_to_the_noisy_variants_data_noise_asks_for(tmp_path):
    text = GOOD.replace("data: {tasks: [STSBenchmark],", "data: {tasks: [STSBenchmark], noise: {rates: [0.1, 0.2], "
                        "tasks: {STSBenchmark: [typo]}},").replace(
        "x: {models: [m1]}", "x: {models: [m1], tasks: [STSBenchmark], robustness: {en: {models: [m1], tasks: [STSBenchmark-sample]}}}")
    params = load_params(_write(tmp_path, text))
    from embedlab.analysis.intrinsic_robustness.needs import needs

    runs = needs(params["x"], "x", params)
    assert runs["m1"] == ["STSBenchmark", "STSBenchmark-sample", "STSBenchmark-sample-noisy-typo10",
                          "STSBenchmark-sample-noisy-typo20"]
    with pytest.raises(EmbedlabError, match="robustness' must map block names"):
        needs({"models": [], "tasks": [], "robustness": {"en": ["m1"]}}, "x")


def test_in_domain_fits_and_rescoring_tasks_are_encoded_for_the_models_they_name():
    from embedlab.analysis.dimension_scaling.needs import needs as needs_02
    from embedlab.analysis.quantization_tradeoffs.needs import needs as needs_03

    group = {"models": ["a", "b"], "tasks": ["T"], "calibration": "C",
             "in_domain_calibration": {"T": {"task": "T-train", "models": ["a"]}, "U": "U-train"}}
    assert needs_02(group, "g") == {"a": ["T", "C", "T-train", "U-train"], "b": ["T", "C", "U-train"]}
    rescored = {"models": ["a", "b"], "tasks": ["T"], "calibration": "C", "rescoring": {"tasks": ["R"], "models": ["b"]}}
    assert needs_03(rescored, "g") == {"a": ["T", "C"], "b": ["T", "C", "R"]}
    with pytest.raises(EmbedlabError, match="in_domain_calibration.T' must be a task name or"):
        needs_02(dict(group, in_domain_calibration={"T": {"task": "T-train", "models": "a"}}), "g")
