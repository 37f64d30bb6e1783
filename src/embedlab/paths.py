"""Where things live: the repository root and the folders under it, resolved in one place.

A kernel started in ``notebooks/`` (JupyterLab), a papermill run from the root and a DVC stage all
see the same paths: the root is the nearest folder at or above the working directory that holds
``dvc.yaml`` (``EMBEDLAB_ROOT`` overrides). Nothing written under ``data/`` or ``reports/`` records
where the clone lives: paths that must be recorded go through :func:`relative_to_root`.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

MARKER = "dvc.yaml"
PARAMS_FILE = "params.yaml"


def repo_root(start: str | os.PathLike | None = None) -> Path:
    """The repository root: ``EMBEDLAB_ROOT``, else the nearest folder at or above ``start`` (default:
    the working directory) holding ``dvc.yaml``, else ``start`` itself."""
    env = os.environ.get("EMBEDLAB_ROOT")
    if env:
        return Path(env).resolve()
    here = Path(start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / MARKER).is_file():
            return folder
    return here


def from_root(relative: str | os.PathLike) -> Path:
    """``relative`` resolved against the repository root (absolute paths are returned unchanged)."""
    path = Path(relative)
    return path if path.is_absolute() else repo_root() / path


def relative_to_root(path: str | os.PathLike) -> str:
    """``path`` as a POSIX path relative to the repository root (``../shared/...`` for a sibling), so
    that a recorded path is the same in every clone."""
    return Path(os.path.relpath(Path(path).resolve(), repo_root())).as_posix()


def params_path() -> Path:
    return repo_root() / PARAMS_FILE


def data_dir() -> Path:
    return repo_root() / "data"


def tasks_dir() -> Path:
    """Prepared tasks (stage `prepare`)."""
    return data_dir() / "tasks"


def throughput_texts_path() -> Path:
    """The texts the `throughput` stage times (written by stage `timing_texts`)."""
    return data_dir() / "throughput_texts.json"


def embeddings_dir() -> Path:
    """The embedding store (stage `embed`)."""
    return data_dir() / "embeddings"


def models_cache_dir() -> Path:
    """Assembled / distilled model folders (default of ``embed.cache_dir``)."""
    return data_dir() / "models"


def notebooks_dir() -> Path:
    return repo_root() / "notebooks"


def reports_dir() -> Path:
    return repo_root() / "reports"


def metrics_path(name: str) -> Path:
    """``reports/metrics/<name>.json``: one per experiment, plus ``throughput``."""
    return reports_dir() / "metrics" / f"{name}.json"


def figures_dir(name: str) -> Path:
    return reports_dir() / "figures" / name


def isolate_mteb_cache() -> None:
    """Point mteb's result cache at a throwaway folder before mteb is first imported (unless the user
    chose one): mteb builds a ResultCache at import time, which creates ~/.cache/mteb, and embedlab
    never reads it (evaluation runs with ``cache=None``)."""
    os.environ.setdefault("MTEB_CACHE", str(Path(tempfile.gettempdir()) / "embedlab-mteb-cache-unused"))
