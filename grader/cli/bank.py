"""`grader bank build`: a bank file from LiveBench, LiveCodeBench, HumanEval, EvalPlus or native files."""

from __future__ import annotations

import argparse
import asyncio
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
        "build", help="build a bank from LiveBench, LiveCodeBench, HumanEval or native files"
    )
    build.add_argument("--out", required=True)
    build.add_argument(
        "--evalplus-tests",
        choices=("base", "plus"),
        default="base",
        help="EvalPlus files: base inputs only (HumanEval, MBPP) or base + plus (HumanEval+, MBPP+)",
    )
    SANDBOX_IMAGE.add_to(build, help="runs EvalPlus canonical solutions to compute expected outputs")
    RUNTIME.add_to(build, help=None)
    DOCKER_HOST.add_to(build, help="the Docker engine to use")
    build.add_argument(
        "--concurrency",
        type=config.integer,
        default=os.cpu_count() or 2,
        help="sandboxes running canonical solutions at once",
    )
    build.add_argument(
        "--strict",
        action="store_true",
        help="fail the whole build when an EvalPlus canonical solution fails or a row is past a size"
        " limit (default: leave that question out and say so, with file, line and reason)",
    )
    build.add_argument("files", nargs="+")
    build.set_defaults(func=cmd_bank_build)


def cmd_bank_build(args: argparse.Namespace) -> int:
    from grader.bank.build import build_bank
    from grader.bank.model import BankFormatError, Question, TestSet
    from grader.bank.reference import compute_all, is_evalplus_file, read_reference_tasks
    from grader.sandbox.docker import DockerSandbox, DockerSettings
    from grader.sandbox.interface import SandboxFailureError, SandboxUnavailableError
    from grader.sandbox.pool import PoolSettings, WarmPool

    files = [Path(f) for f in args.files]
    try:
        evalplus = [f for f in files if is_evalplus_file(f)]
        computed: list[tuple[Question, str, int]] = []
        left_out: list[BankFormatError] = []
        if evalplus:
            # EvalPlus rows carry no outputs: run each canonical solution in the sandbox.
            docker = DockerSandbox(
                DockerSettings(
                    image=args.sandbox_image,
                    runtime=args.runtime,
                    docker_host=args.docker_host,
                    # Its own label, so that no server mistakes these containers for its leftovers.
                    owner=f"bank-build-{uuid.uuid4().hex[:12]}",
                )
            )

            async def reference_outputs() -> None:
                await docker.check()
                pool = WarmPool(docker, PoolSettings(size=args.concurrency))
                await pool.start()
                try:
                    for path in evalplus:
                        tasks = read_reference_tasks(path, TestSet(args.evalplus_tests))
                        print(
                            f"{path}: running {len(tasks)} canonical solutions in the sandbox...",
                            file=sys.stderr,
                        )
                        questions, failed = await compute_all(tasks, path, pool, args.concurrency)
                        computed.extend(questions)
                        left_out.extend(failed)
                finally:
                    await pool.close()

            asyncio.run(reference_outputs())
        if left_out and args.strict:
            raise left_out[0]
        sources = [f for f in files if f not in evalplus]
        report = build_bank(Path(args.out), sources, computed, None if args.strict else left_out)
    except (BankFormatError, OSError, SandboxUnavailableError, SandboxFailureError) as exc:
        print(f"grader: bank build failed: {exc}", file=sys.stderr)
        return 1
    for error in left_out:
        print(f"grader: left out {error}", file=sys.stderr)
    print(f"wrote {args.out}: {report.total_questions} questions"
          + (f"; {len(left_out)} question(s) left out, see above" if left_out else ""),
          file=sys.stderr)  # fmt: skip
    return 0
