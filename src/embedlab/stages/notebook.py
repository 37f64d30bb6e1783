"""Stage `experiment@<group>`: execute notebooks/<name>.ipynb with its params group into reports/<name>.ipynb.

The executed notebook appears only when every cell ran; a failed run is kept as
reports/<name>.failed.ipynb (not a pipeline output) and reported in one line.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import EmbedlabError, require_package
from ..params import experiment_group, load_params
from ..paths import notebooks_dir, reports_dir, repo_root


def run(name: str, params_path: str | Path = "params.yaml") -> Path:
    params = load_params(params_path)
    group_name, group = experiment_group(params, name)
    name = params["experiments"][group_name]
    source = notebooks_dir() / f"{name}.ipynb"
    if not source.exists():
        raise EmbedlabError(f"notebook {source} not found",
                            f"create it, or remove '{group_name}' from 'experiments' in params.yaml")
    papermill = require_package("papermill")
    reports = reports_dir()
    reports.mkdir(exist_ok=True)
    target = reports / f"{name}.ipynb"
    failed = reports / f"{name}.failed.ipynb"
    tmp = reports / f".{name}.running.ipynb"
    try:
        papermill.execute_notebook(str(source), str(tmp), parameters={"params": group},
                                   kernel_name="python3", cwd=str(repo_root()), progress_bar=False)
    except papermill.PapermillExecutionError as exc:
        os.replace(tmp, failed)
        raise EmbedlabError(f"notebook {name} failed in cell {exc.exec_count}: {exc.ename}: {exc.evalue}",
                            f"see the traceback in {failed}") from None
    os.replace(tmp, target)
    if failed.exists():
        failed.unlink()
    return target
