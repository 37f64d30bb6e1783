"""What experiment 04 encodes (the ``needs`` contract of ``embedlab.needs``): its grid, the calibration
task, and each robustness block's models on its tasks and on the noisy variants ``data.noise`` asks for
(``robustness: {block: {models: [...], tasks: [...]}}``).

Read as a file of its own by the `embed` stage: absolute imports of ``embedlab.needs`` / ``errors`` /
``params`` only."""

from __future__ import annotations

from embedlab.errors import EmbedlabError
from embedlab.needs import add, require_tasks, with_calibration
from embedlab.params import noisy_names


def needs(group: dict, name: str = "intrinsic_robustness", params: dict | None = None) -> dict[str, list[str] | None]:
    out = with_calibration(group, name)
    noise = ((params or {}).get("data") or {}).get("noise")
    blocks = group.get("robustness") or {}
    fix = "e.g. robustness: {english: {models: [all-MiniLM-L6-v2], tasks: [STSBenchmark-sample]}}"
    if not isinstance(blocks, dict) or not all(
            isinstance(b, dict) and isinstance(b.get("models"), list) and isinstance(b.get("tasks"), list)
            for b in blocks.values()):
        raise EmbedlabError(f"params '{name}.robustness' must map block names to {{models: [...], tasks: [...]}}", fix)
    if blocks:
        require_tasks(group, name, "robustness")
    for block in blocks.values():
        add(out, block["models"], [n for t in block["tasks"] for n in [t, *noisy_names(noise, t)]])
    return out
