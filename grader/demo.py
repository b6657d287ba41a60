"""`make demo`: build the built-in demo bank, serve it, grade the demo samples, print a table."""

from __future__ import annotations

import sys
import time
from importlib import resources
from pathlib import Path

from grader.api.server import GraderServer, ServerSettings
from grader.bank.build import build_bank
from grader.evaluate import SampleResult, evaluate, read_samples, summarize


def demo_path(name: str) -> Path:
    return Path(str(resources.files("grader.bank.demo").joinpath(name)))


def print_table(results: list[SampleResult]) -> int:
    """One row per sample; returns how many verdicts differ from the sample's expectation."""
    rows = [
        (
            r.sample.question_id,
            str(r.sample.extra.get("label", "")),
            str(r.sample.extra.get("expect", "")),
            r.verdict,
            f"{r.tests_passed}/{r.tests_total}",
            f"{(r.tests_passed / r.tests_total if r.tests_total else 0):.2f}",
        )
        for r in results
    ]
    head = ("question", "sample", "expected", "verdict", "passed", "rate")
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]
    line = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
    print(line.format(*head, ""))
    print(line.format(*("-" * w for w in widths), ""))
    mismatches = 0
    for row in rows:
        ok = not row[2] or row[2] == row[3]
        mismatches += not ok
        print(line.format(*row, "" if ok else "<-- unexpected"))
    return mismatches


async def run_demo(settings: ServerSettings) -> int:
    report = build_bank(settings.bank, [demo_path("questions.jsonl")])
    print(f"demo bank: {report.total_questions} questions", file=sys.stderr)
    server = GraderServer(settings)
    port = await server.start()
    try:
        samples = read_samples(demo_path("samples.jsonl"))
        started = time.monotonic()
        results = await evaluate(f"127.0.0.1:{port}", samples)
        elapsed = time.monotonic() - started
    finally:
        await server.stop()
    mismatches = print_table(results)
    print()
    summarize(results, sys.stdout)
    print(
        f"\n{len(results)} samples graded in {elapsed:.1f} s; "
        f"{len(results) - mismatches} verdicts as expected, {mismatches} not"
    )
    return 1 if mismatches else 0
