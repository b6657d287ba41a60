"""HumanEval's 164 canonical solutions graded through grader's gRPC API, end to end.

    .venv/bin/python bench/humaneval_canonical.py [--repeat N]

Builds a bank from ../shared/datasets/humaneval/HumanEval.jsonl, starts a server on a loopback
port, grades prompt + canonical_solution for every task (N times), and prints the accepted count,
wall seconds and samples per second.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

from grader.api.server import GraderServer, ServerSettings
from grader.bank.build import build_bank
from grader.evaluate import Sample, evaluate

DATASET = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "humaneval" / "HumanEval.jsonl"


async def run(repeat: int) -> None:
    rows = [json.loads(line) for line in DATASET.read_text().splitlines() if line.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        bank = Path(tmp) / "bank.db"
        build_bank(bank, [DATASET])
        server = GraderServer(ServerSettings(bank=bank, host="127.0.0.1", port=0))
        port = await server.start()
        try:
            samples = [
                Sample(i, r["task_id"], r["prompt"] + r["canonical_solution"], None)
                for i, r in enumerate(rows * repeat)
            ]
            started = time.monotonic()
            results = await evaluate(f"127.0.0.1:{port}", samples, progress=False)
            elapsed = time.monotonic() - started
        finally:
            await server.stop()
    accepted = sum(r.passed for r in results)
    print(
        f"grader  HumanEval canonical x{repeat}: {accepted}/{len(results)} ACCEPTED "
        f"in {elapsed:.1f} s wall ({len(results) / elapsed:.1f} samples/s)"
    )
    if accepted != len(results):
        print(
            "not accepted:", sorted({r.sample.question_id for r in results if not r.passed}), file=sys.stderr
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    asyncio.run(run(args.repeat))


if __name__ == "__main__":
    main()
