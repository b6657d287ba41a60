"""Latency of one Grade call on an idle server (p50/p99), and the per-test overhead of a stdin test
over a bare `python3` start in the same sandbox image, in one run.

    .venv/bin/python -m bench.latency [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import grpc

from bench.server import build_humaneval_bank, grader_server, humaneval_rows, rss_kb
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

ECHO = "print(input())\n"
BARE_START = """
import subprocess, time, statistics
times = []
for _ in range(60):
    t = time.perf_counter()
    subprocess.run(["python3", "-c", "pass"], check=True)
    times.append(time.perf_counter() - t)
print(statistics.median(times[10:]) * 1000)
"""


def echo_question(qid: str, tests: int) -> dict[str, object]:
    cases = [{"input": f"{i}\n", "output": f"{i}\n", "public": i == 0} for i in range(tests)]
    return {"format": "grader.v1", "id": qid, "title": qid, "kind": "stdin", "tests": cases}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def timed_calls(
    stub: pb_grpc.GraderStub, request: pb.GradeRequest, calls: int
) -> tuple[list[float], pb.GradeResponse]:
    times = []
    response = pb.GradeResponse()
    for _ in range(calls):
        started = time.perf_counter()
        response = stub.Grade(request, timeout=60)
        times.append((time.perf_counter() - started) * 1000)
        assert response.verdict == pb.ACCEPTED, response
    return times, response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    image = "grader-sandbox-python:latest"
    command = ["docker", "run", "--rm", "--network", "none", image, "python3", "-c", BARE_START]
    bare = float(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    with tempfile.TemporaryDirectory() as tmp:
        bank = build_humaneval_bank(
            Path(tmp) / "bank.db", echo_question("echo-1", 1), echo_question("echo-51", 51)
        )
        row = humaneval_rows()[0]
        # The echo tests are private: their figures only with exact private metrics.
        with grader_server(bank, "--private-test-metrics", "exact") as (address, proc):
            stub = pb_grpc.GraderStub(grpc.insecure_channel(address))  # type: ignore[no-untyped-call]
            he = pb.GradeRequest(question_id=row["task_id"], code=row["prompt"] + row["canonical_solution"])
            timed_calls(stub, he, 10)  # warm-up
            latency, _ = timed_calls(stub, he, args.calls)
            one, _ = timed_calls(stub, pb.GradeRequest(question_id="echo-1", code=ECHO), 30)
            many, response = timed_calls(stub, pb.GradeRequest(question_id="echo-51", code=ECHO), 30)
            rss = rss_kb(proc.pid) / 1024
    per_test = (statistics.median(many) - statistics.median(one)) / 50
    reported = statistics.median(t.wall_time_ms for t in response.tests)
    print(f"Grade latency, {row['task_id']} canonical, idle server, {args.calls} sequential calls:")
    print(
        f"  p50 {percentile(latency, 0.5):.1f} ms   p99 {percentile(latency, 0.99):.1f} ms   "
        f"mean {statistics.mean(latency):.1f} ms"
    )
    print("Per-test cost of a stdin test (echo), from a 51-test vs a 1-test question:")
    print(f"  grader: {per_test:.1f} ms per extra test (the runner measures {reported:.1f} ms wall per test)")
    print(f"  bare `python3 -c pass` start in the same image: {bare:.1f} ms")
    print(f"  overhead over a bare python3 start: {per_test - bare:+.1f} ms per test")
    print(f"server RSS after the run: {rss:.0f} MiB")


if __name__ == "__main__":
    main()
