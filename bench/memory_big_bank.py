"""Server memory while serving a bank with more test data than it could hold: a synthetic bank of
>= 2 GB of (incompressible) test data, questions graded one after another, peak RSS reported.

    .venv/bin/python -m bench.memory_big_bank [--questions 110] [--tests 20] [--test-mb 1.25] [--grade 20]
"""

from __future__ import annotations

import argparse
import base64
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import grpc

from bench.server import grader_server, rss_kb
from grader.bank.model import CheckerName, CheckerSpec, Question, QuestionInfo, QuestionKind, TestCase
from grader.bank.store import BankStore
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

LENGTH = "import sys\nprint(len(sys.stdin.read()))\n"


def questions(count: int, tests: int, test_bytes: int) -> Iterator[Question]:
    for q in range(count):
        cases = []
        for t in range(tests):
            text = base64.b64encode(os.urandom(test_bytes * 3 // 4)).decode()  # does not compress
            cases.append(TestCase(input=text, output=f"{len(text)}\n", public=t == 0))
        info = QuestionInfo(id=f"big/{q:04d}", title=f"big {q}", kind=QuestionKind.STDIN,
                            checker=CheckerSpec(CheckerName.EXACT))  # fmt: skip
        yield Question(info=info, tests=tuple(cases))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--questions", type=int, default=110)
    parser.add_argument("--tests", type=int, default=20)
    parser.add_argument("--test-mb", type=float, default=1.25)
    parser.add_argument("--grade", type=int, default=20, help="questions to grade")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir="/var/tmp") as tmp:
        bank = Path(tmp) / "big.db"
        started = time.monotonic()
        BankStore.create(bank, questions(args.questions, args.tests, int(args.test_mb * 1024 * 1024)))
        size_gb = bank.stat().st_size / 1e9
        print(
            f"bank: {args.questions} questions x {args.tests} tests x {args.test_mb} MB, "
            f"{size_gb:.2f} GB on disk, built in {time.monotonic() - started:.0f} s"
        )
        with grader_server(bank) as (address, proc):
            stub = pb_grpc.GraderStub(grpc.insecure_channel(address))  # type: ignore[no-untyped-call]
            start_rss = rss_kb(proc.pid) / 1024
            peak = start_rss
            started = time.monotonic()
            for q in range(args.grade):
                response = stub.Grade(pb.GradeRequest(question_id=f"big/{q:04d}", code=LENGTH), timeout=600)
                assert response.verdict == pb.ACCEPTED, pb.Verdict.Name(response.verdict)
                peak = max(peak, rss_kb(proc.pid) / 1024)
            elapsed = time.monotonic() - started
            high_water = rss_kb(proc.pid, "VmHWM") / 1024
    streamed = args.grade * args.tests * args.test_mb
    print(f"graded {args.grade} questions ({streamed:.0f} MB of test input) in {elapsed:.0f} s, all ACCEPTED")
    print(
        f"server RSS: {start_rss:.0f} MiB at start, peak sampled {peak:.0f} MiB, "
        f"high-water mark {high_water:.0f} MiB"
    )


if __name__ == "__main__":
    main()
