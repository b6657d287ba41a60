"""EvalPlus batch speed: HumanEval+ canonical solutions (base + plus inputs) graded end to end.

    .venv/bin/python -m bench.evalplus_batch [--tasks N] [--repeat R]

Builds a plus bank of the first N HumanEval+ tasks (the canonical solutions run in batches in the
sandbox: the build's wall time is printed too), starts a server on a loopback port and grades each
task's canonical solution R times, one at a time, through gRPC. Prints inputs per second.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.api.server import GraderServer, ServerSettings
from grader.bank.store import BankStore
from grader.evaluate import Sample, evaluate
from grader.sandbox.command import DockerSettings

REPO = Path(__file__).resolve().parents[1]
DATASET = REPO.parents[1] / "shared" / "datasets" / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz"
if not DATASET.exists():
    DATASET = Path("/work/shared/datasets/evalplus/HumanEvalPlus-v0.1.10.jsonl.gz")


async def grade_all(bank: Path, samples: list[Sample]) -> tuple[float, int]:
    image = os.environ.get("GRADER_SANDBOX_IMAGE", "grader-sandbox-python:latest")
    settings = ServerSettings(bank=bank, host="127.0.0.1", port=0, docker=DockerSettings(image=image))
    server = GraderServer(settings)
    port = await server.start()
    try:
        started = time.monotonic()
        results = await evaluate(f"127.0.0.1:{port}", samples, progress=False, batch_size=1)
        elapsed = time.monotonic() - started
    finally:
        await server.stop()
    return elapsed, sum(r.passed for r in results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with gzip.open(DATASET, "rt") as f:
        rows = [json.loads(line) for line in f][: args.tasks]
    with tempfile.TemporaryDirectory() as tmp:
        source, bank = Path(tmp) / "subset.jsonl", Path(tmp) / "bank.db"
        source.write_text("".join(json.dumps(r) + "\n" for r in rows))
        started = time.monotonic()
        subprocess.run(
            [sys.executable, "-m", "grader.cli", "bank", "build", "--evalplus-tests", "plus",
             "--out", str(bank), str(source)],
            check=True, capture_output=True,
        )  # fmt: skip
        built = time.monotonic() - started
        store = BankStore.open(bank)
        ids = [r["task_id"] for r in rows if store.get_info(r["task_id"]) is not None]
        infos = [store.get_info(i) for i in ids]
        inputs = sum(info.total_tests for info in infos if info is not None)
        code = {r["task_id"]: r["prompt"] + r["canonical_solution"] for r in rows}
        samples = [Sample(n, task, code[task], None) for n, task in enumerate(ids * args.repeat)]
        elapsed, accepted = asyncio.run(grade_all(bank, samples))
    total = inputs * args.repeat
    print(
        f"bank build ({len(ids)} tasks, {inputs} inputs): {built:.1f} s; graded x{args.repeat}: "
        f"{accepted}/{len(samples)} ACCEPTED in {elapsed:.1f} s ({total / elapsed:.0f} inputs/s)"
    )


if __name__ == "__main__":
    main()
