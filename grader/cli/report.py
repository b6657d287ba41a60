"""`grader report`: pass rates, verdicts, pass@k and pass rate by release month of result files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def add_parser(sub: Any) -> None:
    report = sub.add_parser(
        "report",
        help="summarise result files of `grader eval --out` (pass rates, verdicts, pass@k, pass rate"
        " by question release month) and write them as one self-contained HTML page",
    )
    report.add_argument("results", nargs="+", metavar="RESULTS.jsonl")
    report.add_argument("--html", metavar="OUT.html", help="write the HTML report here")
    report.add_argument(
        "--cutoff",
        type=_cutoff,
        action="append",
        default=[],
        metavar="MODEL=YYYY-MM",
        help="a model's training cutoff, drawn on the release-month plot (repeatable)",
    )
    report.set_defaults(func=cmd_report)


def _cutoff(text: str) -> tuple[str, str]:
    from grader.report import parse_cutoff

    try:
        return parse_cutoff(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def cmd_report(args: argparse.Namespace) -> int:
    from grader.report import ResultFileError, build_report, read_results, render_html, summary_text

    paths = [Path(p) for p in args.results]
    try:
        lines = read_results(paths)
    except ResultFileError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    if not lines:
        print(f"grader: {', '.join(args.results)}: no result lines", file=sys.stderr)
        return 2
    cutoffs = dict(args.cutoff)
    strangers = sorted(set(cutoffs) - {line.model for line in lines})
    if strangers:
        print(f"grader: --cutoff for model(s) no result line has: {', '.join(strangers)}", file=sys.stderr)
        return 2
    report = build_report(lines, cutoffs)
    sys.stdout.write(summary_text(report))
    if args.html:
        try:
            Path(args.html).write_text(render_html(report, args.results), encoding="utf-8")
        except OSError as exc:
            print(f"grader: {args.html}: cannot write it ({exc.strerror or exc})", file=sys.stderr)
            return 2
        print(f"wrote {args.html}")
    return 0
