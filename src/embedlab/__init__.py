"""embedlab: reproducible measurements of text-embedding quality, size and speed.

The names below are what the experiment notebooks use. They load on first use (PEP 562), so that
``python -m embedlab prepare`` imports only what the `prepare` stage needs.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

#: public name -> the module (under embedlab) that defines it
_EXPORTS = {
    "Experiment": "experiment",
    "EmbedlabError": "errors",
    "load_params": "params",
    "repo_root": "paths",
    "main_scores": "analysis.results",
    "type_means": "analysis.results",
    "english_mean": "analysis.results",
    "score_table": "analysis.results",
    "Transform": "vectors.transforms",
    "FunctionTransform": "vectors.transforms",
    "Chain": "vectors.transforms",
    "score_heatmap": "figures",
    "grouped_bars": "figures",
    "quality_vs_speed": "figures",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name not in _EXPORTS:
        raise AttributeError(f"module 'embedlab' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"embedlab.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
