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
])
def test_malformed_params(tmp_path, text, needle):
    with pytest.raises(EmbedlabError) as err:
        load_params(_write(tmp_path, text))
    message = str(err.value)
    assert needle in message and "fix:" in message and "\n" not in message


def test_experiment_naming_an_unknown_model(tmp_path):
    with pytest.raises(EmbedlabError, match="unknown model 'nope'.*fix: add it"):
        load_params(_write(tmp_path, GOOD.replace("models: [m1]", "models: [nope]")))


def test_an_unlisted_experiment_names_the_listed_ones(tmp_path):
    with pytest.raises(EmbedlabError, match="no experiment '02_y'.*01_x"):
        experiment_group(load_params(_write(tmp_path, GOOD)), "02_y")


def test_missing_params_file(tmp_path):
    with pytest.raises(EmbedlabError, match="not found"):
        load_params(tmp_path / "absent.yaml")
