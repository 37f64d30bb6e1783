"""Stage `prepare`: load, verify and sample every task in ``data.tasks`` into data/tasks/."""

from __future__ import annotations

import os
from pathlib import Path

from ..params import load_params, scaled_sizes
from ..paths import from_root, tasks_dir
from ..tasks import prepare_tasks


def resolve_mirror(data: dict, params_file: str | Path) -> str | None:
    """The benchmark mirror folder (a relative path is taken from the params file's folder).

    ``EMBEDLAB_MIRROR`` overrides the param; an empty value or ``null`` means "use the hub".
    """
    mirror = os.environ.get("EMBEDLAB_MIRROR", data.get("mirror"))
    if mirror in (None, "", "null", "none"):
        return None
    path = Path(mirror)
    if not path.is_absolute():
        path = from_root(params_file).resolve().parent / path
    return str(path)


def run(params_path: str | Path = "params.yaml") -> dict:
    params = load_params(params_path)
    data = params["data"]
    index = prepare_tasks(
        data["tasks"], mirror=resolve_mirror(data, params_path), sizes=scaled_sizes(data),
        seed=int(data.get("seed", 0)), out_dir=tasks_dir(), full_size=data.get("full_size") or (),
        dataset_folders=data.get("dataset_folders") or {}, keep_corpus=data.get("keep_corpus") or (),
        noise=data.get("noise"),
    )
    for name, record in index["tasks"].items():
        if not record["available"]:
            print(f"note: task {name} unavailable: {record['reason']}")
    return index
