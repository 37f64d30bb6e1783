"""Stage `timing_texts`: the texts the `throughput` stage times, picked from the prepared tasks into
``data/throughput_texts.json``.

``throughput.texts`` short sentences (the first distinct test texts of STS-B, else MRPolarity or SICK-R:
``throughput.pick_texts``) and ``throughput.long_texts`` documents of the long-text task with the longest
documents (``throughput.pick_long_texts``), with the task each came from. `throughput` depends on this file,
not on ``data/tasks``: preparing another task leaves the file, hence the timings, as they are (a 42-minute
stage does not rerun because an experiment added a task it never times).
"""

from __future__ import annotations

from pathlib import Path

from ..params import load_params
from ..paths import tasks_dir, throughput_texts_path
from ..provenance import atomic_write_json, sha256_json
from ..tasks import available_tasks, load_prepared, texts_to_embed
from ..throughput import pick_long_texts, pick_texts


def run(params_path: str | Path = "params.yaml") -> Path:
    settings = load_params(params_path).get("throughput") or {}
    tasks = {name: load_prepared(name, tasks_dir()) for name in available_tasks(tasks_dir())}
    task, texts = pick_texts(tasks, int(settings.get("texts", 256)), texts_to_embed)
    payload = {"short": {"task": task, "task_checksum": tasks[task]["checksum"], "texts": texts}}
    n_long = int(settings.get("long_texts") or 0)
    long = pick_long_texts(tasks, n_long, texts_to_embed) if n_long else None
    if long is not None:
        payload["long"] = {"task": long[0], "task_checksum": tasks[long[0]]["checksum"], "texts": long[1]}
    payload["sha256"] = sha256_json(payload)
    target = throughput_texts_path()
    atomic_write_json(target, payload)
    print(f"timing_texts: {len(texts)} texts of {task}" + (f", {len(payload['long']['texts'])} documents of "
                                                         f"{payload['long']['task']}" if "long" in payload else ""))
    return target
