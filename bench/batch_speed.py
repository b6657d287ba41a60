"""The batch path alone, image against image: the same HumanEval+ batches sent to sandbox
containers of each image in turn, timed from the message to the supervisor's reply line.

    .venv/bin/python -m bench.batch_speed IMAGE [IMAGE ...] [--tasks N] [--rounds R] [--skip TASK ...]
        [--runtime runsc]

One container per image, started once (the server's flags; runc, or --runtime runsc). Each round
sends, for each of the first N HumanEval+ tasks, its canonical solution and all its base + plus
inputs as one batch (at most 1000) to every image's container in turn, so that load on a shared
machine falls on all images alike. Prints each image's time a round (median and min). Speaks only
the messages every protocol version shares (submission, batch, reset); replies are not parsed.
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import json
import statistics
import time
import uuid
from pathlib import Path

from grader.bank.formats.evalplus import parse_evalplus
from grader.bank.model import TestSet
from grader.sandbox.command import DockerSettings, container_args
from grader.sandbox.docker import STREAM_LIMIT

DATASET = Path("/work/shared/datasets/evalplus/HumanEvalPlus-v0.1.10.jsonl.gz")
LIMITS: dict[str, float] = {"time_s": 20.0, "wall_s": 60.0, "memory_kb": 1 << 20, "output_bytes": 16 << 20}


class Container:
    def __init__(self, image: str, runtime: str) -> None:
        self.image = image
        self.runtime = runtime
        self.name = f"grader-bench-{uuid.uuid4().hex[:12]}"
        self.process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        args = container_args(
            DockerSettings(image=self.image, runtime=self.runtime, owner="bench"), 1024, self.name
        )
        self.process = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, limit=STREAM_LIMIT
        )
        await self.read()  # hello

    async def read(self) -> bytes:
        assert self.process is not None
        assert self.process.stdout is not None
        return await self.process.stdout.readline()

    async def send(self, message: dict[str, object]) -> bytes:
        assert self.process is not None
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message).encode() + b"\n")
        await self.process.stdin.drain()
        return await self.read()

    async def stop(self) -> None:
        if self.process is not None and self.process.stdin is not None:
            self.process.stdin.close()
            await self.process.wait()


async def run(images: list[str], tasks: int, rounds: int, skip: set[str], runtime: str) -> None:
    with gzip.open(DATASET, "rt") as f:
        rows = [json.loads(line) for line in f][:tasks]
    work = []
    for row in rows:
        if row["task_id"] in skip:
            continue
        task = parse_evalplus(row, TestSet.PLUS)
        inputs = [t.input for t in task.question.tests][:1000]
        work.append((task.question.info.entry_point, task.reference_code, inputs))
    containers = [Container(image, runtime) for image in images]
    for container in containers:
        await container.start()
    seconds: dict[str, list[float]] = {image: [] for image in images}
    try:
        for _ in range(rounds):
            for entry_point, code, inputs in work:
                for container in containers:
                    await container.send({"type": "reset"})
                    submission: dict[str, object] = {"type": "submission", "code": code, "kind": "call"}
                    submission.update(entry_point=entry_point, prelude="none", limits=LIMITS)
                    await container.send(submission)
                    started = time.perf_counter()
                    reply = await container.send({"type": "batch", "index": 0, "inputs": inputs})
                    seconds[container.image].append(time.perf_counter() - started)
                    assert b'"error"' not in reply[:200], reply[:300]
    finally:
        for container in containers:
            await container.stop()
    for image, times in seconds.items():
        per_round = [sum(times[i : i + len(work)]) for i in range(0, len(times), len(work))]
        median, best = statistics.median(per_round) * 1000, min(per_round) * 1000
        print(f"{image}: {len(work)} batches a round, {median:.0f} ms a round (median; min {best:.0f})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("images", nargs="+")
    parser.add_argument("--tasks", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--skip", nargs="*", default=["HumanEval/15"], help="tasks left out (HumanEval/15: megabyte answers, "
        "which fill a reply, so one message does different work in each version)"
    )  # fmt: skip
    parser.add_argument("--runtime", default="runc", choices=("runc", "runsc"))
    args = parser.parse_args()
    asyncio.run(run(args.images, args.tasks, args.rounds, set(args.skip), args.runtime))


if __name__ == "__main__":
    main()
