"""`grader bank build`: a bank file from LiveBench, LiveCodeBench, HumanEval, EvalPlus, BigCodeBench
or native files."""

from __future__ import annotations

import argparse
import os
import sys
import uuid
from pathlib import Path
from typing import Any

from grader import config
from grader.cli import settings

SANDBOX_IMAGE, RUNTIME, DOCKER_HOST = settings.GRADING[:3]


def add_parser(sub: Any) -> None:
    bank = sub.add_parser("bank", help="question banks").add_subparsers(dest="bank_command", required=True)
    build = bank.add_parser(
        "build",
        help="build a bank from LiveBench, LiveCodeBench, HumanEval, EvalPlus, BigCodeBench or native files",
    )
    build.add_argument("--out", required=True)
    build.add_argument(
        "--evalplus-tests",
        choices=("base", "plus"),
        default="base",
        help="EvalPlus files: base inputs only (HumanEval, MBPP) or base + plus (HumanEval+, MBPP+)",
    )
    SANDBOX_IMAGE.add_to(
        build,
        help="runs EvalPlus canonical solutions to compute expected outputs, and unittest questions'"
        " reference solutions to check them",
    )
    RUNTIME.add_to(build, help=None)
    DOCKER_HOST.add_to(build, help="the Docker engine to use")
    build.add_argument(
        "--concurrency",
        type=config.integer,
        default=os.cpu_count() or 2,
        help="sandboxes running reference solutions at once",
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="fail the whole build when a reference solution (EvalPlus, BigCodeBench, LiveBench"
        " ground truth) fails or a row is past a size limit (default: leave that question out and"
        " say so, with file, line and reason)",
    )
    build.add_argument("files", nargs="+")
    build.set_defaults(func=cmd_bank_build)


def cmd_bank_build(args: argparse.Namespace) -> int:
    from grader.bank.build import build_from_files
    from grader.bank.model import BankFormatError, TestSet
    from grader.programs import pooled_references
    from grader.sandbox.command import DockerSettings
    from grader.sandbox.interface import SandboxFailureError, SandboxUnavailableError

    # Reference solutions (EvalPlus outputs, unittest checks) run in sandboxes with their own
    # label, so that no server mistakes these containers for its leftovers.
    settings = DockerSettings(image=args.sandbox_image, runtime=args.runtime, docker_host=args.docker_host,
                              owner=f"bank-build-{uuid.uuid4().hex[:12]}")  # fmt: skip
    try:
        report, left_out = build_from_files(
            Path(args.out), [Path(f) for f in args.files],
            lambda: pooled_references(settings, args.concurrency),
            test_set=TestSet(args.evalplus_tests), concurrency=args.concurrency, strict=args.strict,
            progress=lambda line: print(line, file=sys.stderr),
        )  # fmt: skip
    except (BankFormatError, OSError, SandboxUnavailableError, SandboxFailureError) as exc:
        print(f"grader: bank build failed: {exc}", file=sys.stderr)
        return 1
    for error in left_out:
        print(f"grader: left out {error}", file=sys.stderr)
    print(f"wrote {args.out}: {report.total_questions} questions"
          + (f"; {len(left_out)} question(s) left out, see above" if left_out else ""),
          file=sys.stderr)  # fmt: skip
    return 0
