"""How big a model is: the bytes of the weights it runs, and its peak resident memory while encoding.

``weight_footprint(group)`` measures a loaded group: the files it read (fp32 safetensors), the ONNX
file onnxruntime runs, or, for weights changed in memory (dynamic int8, pruned), the state dict
saved with ``torch.save`` to a temporary file; ``measured_as`` says which.

``peak_memory(spec, texts)`` runs the load and the encode in a fresh Python process and reads its
peak resident memory (the kernel's high-water mark, VmHWM): a peak is process-wide and never
decreases, so only a process of its own gives one model's peak. The process imports the same
libraries for every model first (``rss_imports_mb``), so differences between models are the models'.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ..errors import EmbedlabError
from .sources import package_weight_files, weight_files
from .spec import ModelSpec

_BASELINE_LIBRARIES = ("torch", "transformers", "sentence_transformers", "onnxruntime")
_PEAK = "VmHWM" if Path("/proc/self/status").exists() else "ru_maxrss"


def _source_files(spec: ModelSpec) -> dict[str, Path]:
    """The weight files a spec's source holds on disk ({} for a hub id not on this machine)."""
    kind, value = spec.source_kind, spec.source_value
    if kind == "package":
        return package_weight_files(spec, value)
    path = Path(value).expanduser()
    return weight_files(path) if path.exists() else {}


def _state_dict_bytes(module) -> int:
    import torch

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "state_dict.pt"
        torch.save(module.state_dict(), path)
        return path.stat().st_size


def weight_footprint(group) -> dict:
    """Bytes of the weights a loaded ``EncoderGroup`` runs, what was measured, and the pruning reached."""
    backend, spec = group.backend, group.specs[0]
    weights = getattr(backend, "weights", None)
    record = {"model": group.name, "precision": spec.options.get("precision", "fp32"), "prune": spec.options.get("prune"),
              "sparsity": None if weights is None else weights.sparsity,
              "parameter_sparsity": None if weights is None else weights.parameter_sparsity}
    # A back end whose files on disk are not its source's (a distilled student) names them itself.
    files = ({} if weights is not None and weights.changed
             else backend.run_files() if hasattr(backend, "run_files") else _source_files(spec))
    if weights is not None and weights.onnx_path is not None:
        record.update(measured_as="onnx file", files=[weights.onnx_path.name], bytes=weights.onnx_path.stat().st_size)
    elif files:
        record.update(measured_as="weight files", files=sorted(files), bytes=sum(p.stat().st_size for p in files.values()))
    elif weights is not None and weights.module is not None:
        record.update(measured_as="state dict saved by torch.save", files=[], bytes=_state_dict_bytes(weights.module))
    else:
        raise EmbedlabError(f"no weight files or torch module to measure for '{group.name}'", "load it from a local source")
    module = weights.module if weights is not None and weights.module is not None else _torch_module(backend)
    if module is not None:  # the same file type for every torch model, so size ratios compare like with like
        record["state_dict_bytes"] = _state_dict_bytes(module)
    record["megabytes"] = round(record["bytes"] / 2**20, 2)
    return record


def _torch_module(backend):
    """The transformer a back end runs in torch (a SentenceTransformer's first module, or a transformers
    model), None where it runs elsewhere (onnxruntime, a C engine, static vectors) or was freed."""
    import torch

    model = getattr(backend, "model", None)
    candidates = [getattr(model[0], "auto_model", None)] if hasattr(model, "__getitem__") and hasattr(model, "encode") else [model]
    for module in candidates:
        if isinstance(module, torch.nn.Module):
            params = list(module.parameters())
            if params and params[0].device.type != "meta":
                return module
    return None


def _entry(spec: ModelSpec) -> dict:
    entry = {"family": spec.family, "loader": spec.loader, "source": spec.source, "pooling": spec.pooling,
             "dim": spec.dim, "max_seq_length": spec.max_seq_length, "options": spec.options}
    if spec.languages is not None:
        entry["languages"] = list(spec.languages)
    return entry


def _rss_mb() -> float:
    """This process's peak resident memory in MiB: VmHWM on Linux, else ru_maxrss.

    Linux's ru_maxrss survives fork + exec, so a child started by a process that once held a model
    reports that process's peak; VmHWM belongs to the new address space.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 2**10, 1)  # kB
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # bytes on macOS
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


def _measure(job_file: str) -> None:
    """Run in the child process: import, load, encode, and print the three peaks as JSON."""
    import importlib

    job = json.loads(Path(job_file).read_text(encoding="utf-8"))
    for name in _BASELINE_LIBRARIES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    import torch

    from .group import EncoderGroup
    from .spec import spec_from_entry

    if job["threads"]:
        torch.set_num_threads(job["threads"])
    out = {"rss_imports_mb": _rss_mb()}
    group = EncoderGroup([spec_from_entry(job["id"], job["entry"])], cache_dir=job["cache_dir"], device="cpu").load()
    out["rss_load_mb"] = _rss_mb()
    group.encode(job["texts"], batch_size=job["batch_size"], show_progress=False)
    out["rss_encode_mb"] = _rss_mb()
    out["exported_now"] = bool(getattr(getattr(group.backend, "weights", None), "exported_now", False))
    print(json.dumps(out))


def peak_memory(spec: ModelSpec, texts: Sequence[str], *, cache_dir: str | os.PathLike | None = None,
                batch_size: int = 32, threads: int | None = None) -> dict:
    """Peak resident memory (MiB) of a fresh CPU process: after imports, after the load, after encoding ``texts``.

    A load that had to export to ONNX is run again, so the export's own peak is not counted.
    """
    from ..paths import models_cache_dir

    src = str(Path(__file__).resolve().parents[2])  # the folder holding the embedlab package
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [src, os.environ.get("PYTHONPATH")]))}
    job = {"id": spec.id, "entry": _entry(spec), "texts": list(texts), "batch_size": batch_size, "threads": threads,
           "cache_dir": str(cache_dir if cache_dir is not None else models_cache_dir())}
    with tempfile.TemporaryDirectory() as tmp:
        job_file = Path(tmp) / "job.json"
        job_file.write_text(json.dumps(job), encoding="utf-8")
        code = f"from embedlab.encoders.footprint import _measure; _measure({str(job_file)!r})"
        for _ in range(2):
            run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
            if run.returncode != 0:
                tail = (run.stderr.strip().splitlines() or ["no output"])[-1]
                raise EmbedlabError(f"measuring the memory of '{spec.id}' failed: {tail}",
                                    "load the model once in-process to see the error")
            result = json.loads(run.stdout.strip().splitlines()[-1])
            if not result.pop("exported_now"):
                break
    return {"model": spec.id, "precision": spec.options.get("precision", "fp32"), "prune": spec.options.get("prune"),
            "n_texts": len(texts), "batch_size": batch_size, "threads": threads,
            "method": f"peak RSS ({_PEAK}) of a fresh process", **result}
