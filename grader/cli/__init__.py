"""The command line `grader serve | bank build | eval | report | demo`: one module per command,
each a thin layer over the library; every setting is declared once in grader/cli/settings.py.
`main` parses, reads the `GRADER_*` variables the command declares, and runs it."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from grader import config
from grader.cli import bank, demo, eval, report, serve

DESCRIPTION = "`grader serve | bank build | eval | demo`."


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    for command in (serve, bank, eval, report, demo):
        command.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        config.resolve_env(args)
    except config.SettingError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    return int(args.func(args))
