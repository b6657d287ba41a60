"""`grader eval`: a JSONL file of samples graded through a server, with results and LiveBench rows."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

from grader import config
from grader.cli import settings


def add_parser(sub: Any) -> None:
    ev = sub.add_parser(
        "eval",
        help="grade a JSONL file of samples (question_id + code, task_id + completion, or LiveBench"
        " model answers) through a server",
    )
    server, *numbers, tls_ca, tls_cert, tls_key = settings.EVAL
    server.add_to(ev, help=None)
    ev.add_argument("samples")
    ev.add_argument("--out", help="write one result line per sample here")
    ev.add_argument(
        "--livebench-judgments",
        metavar="OUT.jsonl",
        help="also write LiveBench's ground_truth_judgment.jsonl rows here, one per graded sample"
        " (implies --stop-on-first-failure, as LiveBench grades); a sample that could not be graded"
        " gets none, is listed on stderr and the command exits 1",
    )
    ev.add_argument(
        "--ungraded-score-zero",
        action="store_true",
        help="with --livebench-judgments: a sample that could not be graded (after the retries) gets a"
        " judgment row scored 0 instead, and the command exits 0",
    )
    config.add_settings(ev, numbers)
    ev.add_argument(
        "--stop-on-first-failure", action="store_true", help="skip a sample's tests after its first failure"
    )
    ev.add_argument(
        "--test-set",
        choices=("base", "plus"),
        default="plus",
        help="questions with base and plus tests (EvalPlus plus banks): the base tests only"
        " (HumanEval, MBPP), or every test (plus, the default: HumanEval+, MBPP+)",
    )
    ev.add_argument("--no-progress", action="store_true")
    ev.add_argument("--tls", action="store_true", help="TLS, the server checked against the system's CAs")
    config.add_settings(ev, (tls_ca, tls_cert, tls_key))
    ev.set_defaults(func=cmd_eval)


def cmd_eval(args: argparse.Namespace) -> int:
    from grader.api.channel import client_credentials
    from grader.api.credentials import SecurityConfigError
    from grader.client import RetryPolicy
    from grader.evaluate import (
        SampleFileError,
        evaluate,
        livebench_judgments,
        read_samples,
        report_livebench,
        summarize,
    )
    from grader.v1 import grader_pb2 as pb

    for setting, problem in config.out_of_bounds(settings.EVAL, args):
        print(f"grader: {setting.flag} {problem}", file=sys.stderr)
        return 2
    try:
        samples = read_samples(Path(args.samples))
    except (SampleFileError, OSError) as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    try:
        credentials = client_credentials(
            args.tls_ca,
            args.tls_cert,
            args.tls_key,
            # From the environment only: a flag's value is visible to every user of the machine
            # (ps, /proc/PID/cmdline) and lands in shell history.
            token=os.environ.get("GRADER_TOKEN", "").strip() or None,
            tls=args.tls,
        )
    except SecurityConfigError as exc:
        print(f"grader: {exc}", file=sys.stderr)
        return 2
    results = asyncio.run(
        evaluate(
            args.server,
            samples,
            batch_size=args.batch_size,
            timeout_s=args.timeout_s,
            progress=not args.no_progress,
            # LiveBench stops at the first failing test: the score is the same, sooner.
            stop_on_first_failure=args.stop_on_first_failure or bool(args.livebench_judgments),
            test_set=pb.TEST_SET_BASE if args.test_set == "base" else pb.TEST_SET_PLUS,
            # Judgment rows need the task; result lines carry the release date (for reports).
            question_metadata=bool(args.livebench_judgments or args.out),
            rpc_timeout_s=args.rpc_timeout_s,
            retry=RetryPolicy(max_attempts=args.max_attempts),
            credentials=credentials,
        )
    )
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            for r in results:
                f.write(json.dumps(r.as_json()) + "\n")
    summarize(results, sys.stdout)
    if args.livebench_judgments:
        rows, ungraded = livebench_judgments(results, args.ungraded_score_zero)
        with open(args.livebench_judgments, "w", encoding="utf-8") as f:
            for row in rows:
                f.write(json.dumps(row) + "\n")
        report_livebench(rows, ungraded, args.livebench_judgments, sys.stdout, sys.stderr,
                         args.ungraded_score_zero)  # fmt: skip
        if ungraded and not args.ungraded_score_zero:
            return 1
    return 0
