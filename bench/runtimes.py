"""runc vs gVisor (runsc), side by side in one run: a sandbox container's cold start, one Grade
call's latency on an idle server (p50/p99, a one-test stdin question), and throughput on
HumanEval's 164 canonical solutions (verdicts compared).

    .venv/bin/python -m bench.runtimes [--starts 8] [--calls 100] [--repeat 1]

Needs runsc registered with the engine (scripts/ensure_docker.sh does it).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import grpc

from bench.latency import echo_question, percentile, timed_calls
from bench.server import build_humaneval_bank, grader_server, humaneval_rows
from grader.evaluate import Sample, evaluate
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

IMAGE = "grader-sandbox-python:latest"
RUNTIMES = ("runc", "runsc")


@dataclass
class Figures:
    start_ms: float
    p50_ms: float
    p99_ms: float
    throughput_s: float
    samples: int
    verdicts: list[str]


def cold_start_ms(runtime: str, starts: int) -> float:
    """Median wall time of `docker run --rm` of the sandbox image running `python3 -c pass`."""
    times = []
    for _ in range(starts + 1):
        started = time.perf_counter()
        subprocess.run(
            ["docker", "run", "--rm", "--network", "none", "--runtime", runtime, IMAGE,
             "python3", "-c", "pass"],
            check=True, capture_output=True,
        )  # fmt: skip
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times[1:])  # the first one warms the engine's caches


def measure(runtime: str, bank: Path, samples: list[Sample], starts: int, calls: int) -> Figures:
    start_ms = cold_start_ms(runtime, starts)
    with grader_server(bank, "--runtime", runtime) as (address, _):
        stub = pb_grpc.GraderStub(grpc.insecure_channel(address))  # type: ignore[no-untyped-call]
        echo = pb.GradeRequest(question_id="echo-1", code="print(input())\n")
        timed_calls(stub, echo, 10)  # warm-up
        times, _ = timed_calls(stub, echo, calls)
        asyncio.run(evaluate(address, samples[:20], progress=False))  # warm-up
        started = time.monotonic()
        results = asyncio.run(evaluate(address, samples, progress=False))
        elapsed = time.monotonic() - started
    return Figures(
        start_ms=start_ms,
        p50_ms=percentile(times, 0.5),
        p99_ms=percentile(times, 0.99),
        throughput_s=elapsed,
        samples=len(samples),
        verdicts=[r.verdict for r in results],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--starts", type=int, default=8, help="cold starts per runtime")
    parser.add_argument("--calls", type=int, default=100, help="Grade calls per runtime")
    parser.add_argument("--repeat", type=int, default=1, help="HumanEval canonical solutions x N")
    args = parser.parse_args()
    rows = humaneval_rows() * args.repeat
    samples = [
        Sample(i, r["task_id"], r["prompt"] + r["canonical_solution"], None) for i, r in enumerate(rows)
    ]
    figures: dict[str, Figures] = {}
    with tempfile.TemporaryDirectory() as tmp:
        bank = build_humaneval_bank(Path(tmp) / "bank.db", echo_question("echo-1", 1))
        for runtime in RUNTIMES:
            figures[runtime] = measure(runtime, bank, samples, args.starts, args.calls)
    runc, runsc = figures["runc"], figures["runsc"]
    n = runc.samples
    print(f"runc vs runsc (gVisor) on {os.cpu_count()} cores, pool = cores, one run")
    print(f"  {'':34}{'runc':>10}{'runsc':>10}{'runsc/runc':>12}")
    rows_out = [
        ("cold start, docker run (ms)", runc.start_ms, runsc.start_ms),
        ("Grade p50, idle, 1 stdin test (ms)", runc.p50_ms, runsc.p50_ms),
        ("Grade p99 (ms)", runc.p99_ms, runsc.p99_ms),
        (f"HumanEval x{args.repeat}: {n} samples (s)", runc.throughput_s, runsc.throughput_s),
        ("  samples/s", n / runc.throughput_s, n / runsc.throughput_s),
    ]
    for label, a, b in rows_out:
        print(f"  {label:34}{a:10.1f}{b:10.1f}{b / a:11.2f}x")
    accepted = {rt: sum(v == "ACCEPTED" for v in f.verdicts) for rt, f in figures.items()}
    diffs = sum(a != b for a, b in zip(runc.verdicts, runsc.verdicts, strict=True))
    print(
        f"  ACCEPTED: runc {accepted['runc']}/{n}, runsc {accepted['runsc']}/{n}; "
        f"verdict differences: {diffs}"
    )


if __name__ == "__main__":
    main()
