"""Tasks: declarative records (``TaskSpec``) in one catalog, their loaders, and the ``prepare`` stage.

| module | one job |
|---|---|
| ``spec`` | ``TaskSpec`` and the registry (``CATALOG``, ``register``) |
| ``embedded`` | the embedded suite: corpora shipped in packages / assets, each record next to its loader |
| ``standard`` | the standard suite: each record next to its mirror loader and hub loader |
| ``mteb_registry`` | any monolingual MTEB task by name (record from mteb, data from the hub or a folder) |
| ``files`` | files in packages and assets, with their pinned sha256s |
| ``mirror`` | the local benchmark mirror, checked against its MANIFEST.sha256 |
| ``hub`` | Hugging Face hub loading helpers |
| ``sampling`` | size caps, seeded splits and sampling (per label for classification train) |
| ``negatives`` | hard negatives (TF-IDF nearest documents) for a cut retrieval corpus |
| ``noise`` | seeded text noise (synonym, swap, shuffle, typo, char) and noisy variants of a prepared task |
| ``wordnet`` | WordNet 3.0 through nltk's reader: the WordNetPolysemy sentences and synonyms for noise |
| ``naming`` | prepared names (``<Name>-sample`` where cut) and human labels ("STS12 (300 of 2,358 pairs)") |
| ``prepare`` | ``prepare_tasks`` -> data/tasks/<task>.json + index.json; ``load_prepared``, ``texts_to_embed`` |

Other modules import from ``embedlab.tasks`` only.
"""

from __future__ import annotations

from .spec import CATALOG, TaskSpec, declare, register  # noqa: I001 -- the suites register in this order
from .embedded import EMBEDDED_TASKS, swap_adjacent_words
from .standard import STANDARD_TASKS
from .files import default_assets_dir
from .mteb_registry import mteb_task_spec
from .naming import SAMPLE_SUFFIX, base_name, prepared_name, task_label
from .prepare import (available_tasks, default_tasks, load_prepared, prepare_task, prepare_tasks, task_spec,
                      texts_to_embed)
from .sampling import DEFAULT_SIZES, group_rows, per_label_rows, sample_retrieval, sample_task, seeded_rng
from .noise import (KEY_NEIGHBOURS, NOISED_FIELDS, changed_share, char_noise, n_changes, noisy_splits, shuffle_words,
                    swap_words, synonym_replace, typo_words)

__all__ = [
    "CATALOG", "DEFAULT_SIZES", "SAMPLE_SUFFIX", "available_tasks", "base_name", "default_tasks", "EMBEDDED_TASKS",
    "STANDARD_TASKS", "TaskSpec", "declare", "default_assets_dir", "load_prepared", "mteb_task_spec",
    "per_label_rows", "prepare_task", "group_rows", "sample_task", "KEY_NEIGHBOURS", "NOISED_FIELDS", "changed_share", "char_noise",
    "n_changes", "noisy_splits", "shuffle_words", "swap_words", "synonym_replace", "typo_words", "prepare_tasks", "prepared_name", "register", "sample_retrieval", "seeded_rng", "swap_adjacent_words", "task_label", "task_spec", "texts_to_embed",
]
