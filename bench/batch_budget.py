"""How long one submission of a batched (EvalPlus-style) question can hold a sandbox: six inputs
with a 1 s limit whose function sleeps, or spins, in every input. Every input is
TIME_LIMIT_EXCEEDED; the time is bounded by the batch's budget, wall + 2 x (time x (n - 1) + 1) s
(docs/security.md), however many workers the inputs take.

    .venv/bin/python -m bench.batch_budget [--mode sleep|spin] [--inputs 6]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import grpc

from bench.server import grader_server
from grader.bank.build import build_bank
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

BODIES = {"sleep": "import time\n    time.sleep(30)\n    return x", "spin": "while True:\n        pass"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mode", choices=sorted(BODIES), default="sleep")
    parser.add_argument("--inputs", type=int, default=6)
    args = parser.parse_args()
    row = {
        "format": "grader.v1", "id": "budget", "title": "budget", "kind": "call", "entry_point": "f",
        "checker": "evalplus", "limits": {"time_s": 1, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": str(i), "output": str(i), "public": False} for i in range(args.inputs)],
    }  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "q.jsonl"
        source.write_text(json.dumps(row) + "\n")
        build_bank(Path(tmp) / "bank.db", [source])
        with grader_server(Path(tmp) / "bank.db") as (address, _):
            stub = pb_grpc.GraderStub(grpc.insecure_channel(address))  # type: ignore[no-untyped-call]
            code = f"def f(x):\n    {BODIES[args.mode]}\n"
            started = time.monotonic()
            response = stub.Grade(pb.GradeRequest(question_id="budget", code=code), timeout=600)
            seconds = time.monotonic() - started
    verdicts = sorted({pb.Verdict.Name(t.verdict) for t in response.tests})
    bound = 1 * 2 + 2 + 2 * (1 * (args.inputs - 1) + 1)
    print(f"{args.inputs} inputs that {args.mode}: {seconds:.1f} s (bound {bound} s), verdicts {verdicts}")


if __name__ == "__main__":
    main()
