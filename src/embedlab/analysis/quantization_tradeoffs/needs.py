"""What experiment 03 encodes (the ``needs`` contract of ``embedlab.needs``): its grid, the calibration
task, the rescored retrieval tasks (``rescoring: {tasks, models}``, default ``models``) and the weight
variants with the fp32 models they were made from (``weights: {tasks, variants: {variant: reference or
null}}``), each on the weight tasks.

Read as a file of its own by the `embed` stage: absolute imports of ``embedlab.needs`` / ``errors`` /
``params`` only."""

from __future__ import annotations

from embedlab.errors import EmbedlabError
from embedlab.needs import add, require_tasks, with_calibration


def needs(group: dict, name: str = "quantization_tradeoffs", params: dict | None = None) -> dict[str, list[str] | None]:
    out = with_calibration(group, name)
    models, tasks = group.get("models", []), group.get("tasks")
    rescoring = group.get("rescoring") or {}
    if isinstance(rescoring, dict) and rescoring.get("tasks") and tasks is not None:
        add(out, rescoring.get("models") or models, rescoring["tasks"])  # e.g. full-size SciFact
    weights = group.get("weights")
    if weights is not None:
        w_tasks, variants = weights.get("tasks") if isinstance(weights, dict) else None, (weights or {}).get("variants")
        if (not isinstance(w_tasks, list) or not all(isinstance(t, str) for t in w_tasks) or not isinstance(variants, dict)
                or not all(isinstance(v, str) and (r is None or isinstance(r, str)) for v, r in variants.items())):
            raise EmbedlabError(f"params '{name}.weights' must be {{tasks: [task, ...], variants: {{model: reference model or null}}}}",
                                "e.g. weights: {tasks: [STSBenchmark], variants: {all-MiniLM-L6-v2-onnx-int8: all-MiniLM-L6-v2}}")
        require_tasks(group, name, "weights")
        add(out, dict.fromkeys([*variants, *(r for r in variants.values() if r)]), w_tasks)
    return out
