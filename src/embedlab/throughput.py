"""Encode throughput, timed interleaved so that every model sees the same machine.

Every timed runner (an encoder group, or the plain ``SentenceTransformer.encode`` reference) does one
untimed warm-up pass, then ``rounds`` rounds: in round r every runner encodes the same texts once, in
a seeded order shuffled per round. A runner's texts/s is the median over rounds with the min and
max; a ratio between two runners is computed per round (the two passes of one round ran minutes
apart at most, under the same load) and reported as the median with the min and max of those
per-round ratios. Timings are compared only within one run, never across runs.

``format_ratio`` writes a ratio with no more digits than its range over rounds supports.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence

import numpy as np

from .errors import EmbedlabError

PLAIN = "plain SentenceTransformer.encode"


def pick_texts(tasks: dict, n: int, texts_to_embed: Callable[[dict], dict]) -> tuple[str, list[str]]:
    """``(task name, texts)``: a fixed set of ``n`` short real sentences, the same for every model (STS-B's
    test texts when prepared, else MRPolarity's or SICK-R's, else the first task's first role)."""
    for preferred in ("STSBenchmark", "MRPolarity", "SICK-R"):
        if preferred in tasks:
            return preferred, texts_to_embed(tasks[preferred])["query"][:n]
    name, first = next(iter(tasks.items()))
    return name, next(iter(texts_to_embed(first).values()))[:n]


def pick_long_texts(tasks: dict, n: int, texts_to_embed: Callable[[dict], dict]) -> tuple[str, list[str]] | None:
    """``(task name, texts)``: the first ``n`` documents of the prepared long-text task (its TaskSpec says
    long_texts) whose documents are longest on average (SciFact's abstracts here), retrieval tasks first;
    None where no long-text task is prepared."""
    picks = []
    for name, task in tasks.items():
        if task.get("text_length") == "long":
            texts = texts_to_embed(task)
            docs = (texts.get("document") or next(iter(texts.values())))[:n]
            picks.append((task.get("type") == "retrieval", sum(map(len, docs)) / max(1, len(docs)), name, docs))
    if not picks:
        return None
    _, _, name, docs = max(picks, key=lambda p: p[:2])
    return name, docs


def round_orders(names: Sequence[str], rounds: int, seed: int = 0) -> list[list[str]]:
    """For each round, every name once, in an order shuffled per round (seeded)."""
    if rounds < 1:
        raise EmbedlabError(f"throughput needs at least 1 round, got {rounds}", "set throughput.rounds: 5")
    rng = np.random.default_rng(seed)
    return [[names[i] for i in rng.permutation(len(names))] for _ in range(rounds)]


def time_interleaved(runners: Mapping[str, Callable[[], object]], rounds: int, seed: int = 0,
                     clock: Callable[[], float] = time.perf_counter) -> tuple[dict[str, list[float]], list[list[str]]]:
    """One untimed warm-up call of every runner (lazy loading, kernel selection, caches), then
    ``rounds`` rounds of one timed call each in ``round_orders``. Returns ``{name: seconds per round}``
    (in round order) and the orders."""
    names = list(runners)
    for name in names:
        runners[name]()
    orders = round_orders(names, rounds, seed)
    seconds: dict[str, list[float]] = {name: [0.0] * rounds for name in names}
    for r, order in enumerate(orders):
        for name in order:
            start = clock()
            runners[name]()
            seconds[name][r] = clock() - start
    return seconds, orders


def spread(values: Sequence[float]) -> dict:
    """Median, min, max and count of per-round values."""
    return {"value": float(statistics.median(values)), "min": float(min(values)), "max": float(max(values)),
            "rounds": len(values)}


def rate(seconds: Sequence[float], n_texts: int) -> dict:
    """Texts per second per round: ``{"value": median, "min", "max", "rounds", "by_round"}``."""
    per_round = [n_texts / s for s in seconds]
    return {**spread(per_round), "by_round": per_round}


def paired_ratio(seconds: Sequence[float], reference_seconds: Sequence[float]) -> dict:
    """texts/s of a runner over the reference's, per round (same round pairs): median, min, max."""
    if len(seconds) != len(reference_seconds) or not seconds:
        raise EmbedlabError(f"a paired ratio needs the same rounds for both runners, got {len(seconds)} and "
                            f"{len(reference_seconds)}", "time both in the same interleaved run")
    return spread([ref / s for s, ref in zip(seconds, reference_seconds)])


def ratio_decimals(low: float, high: float, most: int = 2) -> int:
    """Decimals a ratio can carry given its range ``[low, high]``: one digit past the first decimal place
    the range spans is noise, so a range at least 1 wide gives an integer, at least 0.1 wide one decimal,
    and so on (at most ``most``)."""
    width = round(abs(float(high) - float(low)), 9)  # 2.5 - 2.4 is 0.0999...: still a 0.1-wide range
    if not math.isfinite(width):
        return 0
    if width == 0:
        return most
    return int(min(most, max(0, -math.floor(math.log10(width)))))


def format_ratio(value: float, low: float | None, high: float | None, most: int = 2, unit: str = "×") -> str:
    """``value`` with the digits its range supports, and the range: ``"2.1× (1.7–2.5)"``; where no range
    was recorded (``low`` / ``high`` None or NaN), the value alone to one decimal: ``"2.1×"``."""
    if low is None or high is None or low != low or high != high:
        return f"{value:.1f}{unit}"
    d = ratio_decimals(low, high, most)
    return f"{value:.{d}f}{unit} ({low:.{d}f}–{high:.{d}f})"


def group_runner(group, texts: Sequence[str], batch_size: int) -> Callable[[], object]:
    """One pass of a loaded encoder group over ``texts`` (what is timed)."""
    texts = list(texts)
    return lambda: group.encode(texts, role="query", batch_size=batch_size, show_progress=False)


def sentence_transformer_runner(location: str, texts: Sequence[str], *, batch_size: int, device: str,
                                max_seq_length: int | None = None) -> Callable[[], object]:
    """One pass of plain ``SentenceTransformer.encode`` (no embedlab code in the loop): the reference."""
    from .errors import require_package

    st = require_package("sentence_transformers", "sentence-transformers")
    model = st.SentenceTransformer(location, device=device)
    if max_seq_length is not None:
        model.max_seq_length = int(max_seq_length)
    texts = list(texts)
    return lambda: model.encode(texts, batch_size=batch_size, show_progress_bar=False)


def onnxruntime_threads(backend) -> int | None:
    """The intra-op thread count of a back end's onnxruntime session (0: onnxruntime's default, one per
    physical core); None where no onnxruntime session runs."""
    session = getattr(backend, "session", None) or getattr(getattr(backend, "runner", None), "session", None)
    if session is None:
        return None
    return int(session.get_session_options().intra_op_num_threads)


def onnx_file(backend):
    """The .onnx file a back end runs (an export of ours or a shipped file), or None."""
    weights = getattr(backend, "weights", None)
    if weights is not None and getattr(weights, "onnx_path", None) is not None:
        return weights.onnx_path
    path = getattr(backend, "path", None)
    return path if path is not None and str(path).endswith(".onnx") else None


def _rate_cell(r: dict) -> str:
    return f"{r['value']:,.0f} ({r['min']:,.0f}–{r['max']:,.0f})"


def _ratio_cell(r: dict) -> str:
    return format_ratio(r["value"], r.get("min"), r.get("max"))


def speed_table(payload: dict) -> str:
    """reports/README.md's speed table from a throughput.json payload: every weight variant of
    ``references`` beside the fp32 model it was made from, and the plain ``SentenceTransformer.encode``
    reference, each with how it runs, its texts/s (median over rounds, min–max) and its per-round speed-up
    (median, min–max, no more digits than the range supports); the configuration every number used above it;
    then the ONNX fp32 exports' speed-up on long texts (``embed.backend: onnx``), where it was timed."""
    records = payload.get("records") or []
    rates = {(r["model"], r.get("runner")): r for r in records if r["metric"] == "texts_per_s"}
    ratios = {r["model"]: r for r in records if r["metric"] == "speedup_vs_fp32"}
    long_ratios = [r for r in records if r["metric"] == "speedup_vs_fp32_long_texts"]
    plain = next((r for r in records if r["metric"] == "ratio_vs_plain_sentence_transformers"), None)
    if not rates:
        return ""
    first = next(iter(rates.values()))
    prov = payload.get("provenance", {})
    threads = prov.get("threads") or {"torch": prov.get("torch_threads")}
    rounds = first.get("rounds")

    def runs_as(model: str) -> str:
        return (payload.get("models", {}).get(model) or {}).get("runs_as", "?")

    originals = list(dict.fromkeys(ratio["reference"] for ratio in ratios.values()))
    rows = ["| model | runs as | texts/s, median (min–max) | × its fp32 original, per round |", "|---|---|---|---|"]
    for original in originals:
        if (original, "embedlab") in rates:
            rows.append(f"| `{original}` | {runs_as(original)} | {_rate_cell(rates[(original, 'embedlab')])} | 1 (reference) |")
        if plain is not None and plain["model"] == original and (original, PLAIN) in rates:
            rows.append(f"| `{original}` | {PLAIN} (no embedlab code in the loop) | {_rate_cell(rates[(original, PLAIN)])} | "
                        f"embedlab's encode is {_ratio_cell(plain)} this |")
        for variant, ratio in ratios.items():
            if ratio["reference"] == original and (variant, "embedlab") in rates:
                rows.append(f"| `{variant}` | {runs_as(variant)} | {_rate_cell(rates[(variant, 'embedlab')])} | "
                            f"{_ratio_cell(ratio)} |")
    source = first.get("task") or "STSBenchmark"
    config = (f"Configuration of every number: the first {first['n_texts']:,} distinct texts of {source}'s "
              f"evaluation split (the same for every model), batch {first['batch_size']}, the short-text token cap, "
              f"{first.get('device', 'cpu')}, torch threads {threads.get('torch')}, onnxruntime intra-op threads "
              f"{threads.get('onnxruntime', threads.get('torch'))}; one untimed warm-up pass, then {rounds} rounds in which "
              "every model encodes the texts once in a shuffled order; a speed-up is taken per round against the "
              "original's pass of the same round. From [`metrics/throughput.json`](metrics/throughput.json) "
              "(stage `throughput`); timings compare within one run only.")
    out = [config, "", *rows]
    if long_ratios:
        r0 = long_ratios[0]
        out += ["", f"On long texts (the first {r0['n_texts']:,} documents of {r0['task']}, token cap {r0['max_seq_length']}, "
                f"the same rounds and threads), the ONNX fp32 exports that `embed.backend: onnx` runs: " + "; ".join(
                    f"`{r['model']}` {_ratio_cell(r)} the texts/s of `{r['reference']}`" for r in long_ratios) + "."]
    return "\n".join(out)
