"""Command line: what the dvc stages run. ``python -m embedlab {prepare,embed,timing_texts,throughput,notebook,report}``.

Each command runs ``embedlab.stages.<command>.run``; the module is imported only for its own command,
so a stage imports nothing another stage needs. Every user-facing problem is an EmbedlabError,
printed as one line; the exit status is 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .errors import EmbedlabError

#: command -> (the stage module under embedlab.stages, help)
COMMANDS = {
    "prepare": "load, check and sample every task into data/tasks/",
    "embed": "encode each (model, task) once into data/embeddings/",
    "timing_texts": "pick the texts the throughput stage times into data/throughput_texts.json",
    "throughput": "time every model's encoding into reports/metrics/throughput.json",
    "notebook": "execute notebooks/NAME.ipynb with its params group into reports/NAME.ipynb",
    "report": "write reports/SUMMARY.md and reports/CLAIMS.md from the metrics files",
}


def stage_module(command: str) -> str:
    """The module a command runs (what tests/test_dvc_deps.py follows)."""
    return f"embedlab.stages.{command}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="embedlab", description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="params file (default: the repository's params.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    for command, help_text in COMMANDS.items():
        p = sub.add_parser(command, help=help_text)
        if command == "notebook":
            p.add_argument("name", help="experiment name (e.g. 01_architecture_comparison) or its params group")
    args = parser.parse_args(argv)
    try:
        run = importlib.import_module(stage_module(args.command)).run
        if args.command == "notebook":
            run(args.name, args.params)
        else:
            run(args.params)
    except EmbedlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (outputs already written are complete; rerun to finish)", file=sys.stderr)
        return 130
    return 0
