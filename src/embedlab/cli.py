"""Command line: what the dvc stages run. ``python -m embedlab {prepare,embed,notebook,report}``.

Every user-facing problem is an EmbedlabError, printed as one line; the exit status is 2.
"""

from __future__ import annotations

import argparse
import sys

from .errors import EmbedlabError


def _prepare(args) -> None:
    from .pipeline import prepare

    prepare(args.params)


def _embed(args) -> None:
    from .pipeline import embed

    embed(args.params)


def _notebook(args) -> None:
    from .pipeline import run_notebook

    run_notebook(args.name, args.params)


def _report(args) -> None:
    from .report import write_summary

    write_summary(args.params)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="embedlab", description=__doc__.splitlines()[0])
    parser.add_argument("--params", default="params.yaml", help="params file (default: params.yaml)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("prepare", help="load, check and sample every task into data/tasks/").set_defaults(func=_prepare)
    sub.add_parser("embed", help="encode each (model, task) once into data/embeddings/").set_defaults(func=_embed)
    nb = sub.add_parser("notebook", help="execute notebooks/NAME.ipynb into reports/NAME.ipynb")
    nb.add_argument("name")
    nb.set_defaults(func=_notebook)
    sub.add_parser("report", help="write reports/SUMMARY.md from the metrics files").set_defaults(func=_report)
    args = parser.parse_args(argv)
    try:
        args.func(args)
    except EmbedlabError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("error: interrupted (outputs already written are complete; rerun to finish)", file=sys.stderr)
        return 130
    return 0
