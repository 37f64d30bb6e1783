"""Malformed params get a one-line EmbedlabError naming the problem and the fix."""

import pytest

from embedlab.errors import EmbedlabError
from embedlab.params import load_params, models_needed, scaled_sizes


def _write(tmp_path, text):
    p = tmp_path / "params.yaml"
    p.write_text(text)
    return p


GOOD = """
data: {tasks: [STSBenchmark], scale: 0.5, sizes: {sts_pairs: 100, classification_train: null}}
models: {m1: {}}
embed: {}
01_x: {models: [m1]}
"""


def test_good_params_load_and_scale(tmp_path):
    params = load_params(_write(tmp_path, GOOD))
    assert scaled_sizes(params["data"]) == {"sts_pairs": 50, "classification_train": None}
    assert models_needed(params) == ["m1"]


@pytest.mark.parametrize("text, needle", [
    ("data: [1, 2", "not valid YAML"),
    ("- a\n- b\n", "mapping of groups"),
    ("data: {tasks: [STSBenchmark]}\nmodels: {}\n", "no 'embed' group"),
    ("data: {tasks: []}\nmodels: {}\nembed: {}\n", "data.tasks"),
    ("data: {tasks: [a], scale: -1}\nmodels: {}\nembed: {}\n", "data.scale"),
    ("data: {tasks: [a], sizes: {sts: 3}}\nmodels: {}\nembed: {}\n", "unknown key 'sts'"),
])
def test_malformed_params(tmp_path, text, needle):
    with pytest.raises(EmbedlabError) as err:
        load_params(_write(tmp_path, text))
    message = str(err.value)
    assert needle in message and "fix:" in message and "\n" not in message


def test_experiment_naming_an_unknown_model(tmp_path):
    params = load_params(_write(tmp_path, GOOD.replace("models: [m1]", "models: [nope]")))
    with pytest.raises(EmbedlabError, match="unknown model 'nope'.*fix: add it"):
        models_needed(params)


def test_missing_params_file(tmp_path):
    with pytest.raises(EmbedlabError, match="not found"):
        load_params(tmp_path / "absent.yaml")
