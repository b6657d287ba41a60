"""The batch worker's timing of each input (grader/runner/batch.py), on the host: a worker
whose /proc entry is gone (reaped) when its answers are read is timed from the exit's wait4
figures, never as zero."""

from __future__ import annotations

import json
import os
import time
from typing import Any

from grader.runner.batch import CPU_READ_S, BatchWorker, Budget
from grader.runner.job import Job

LIMITS = {"time_s": 1.0, "wall_s": 10.0, "memory_kb": 65536, "output_bytes": 1 << 20}


def reaped_pid() -> int:
    """The pid of a process that has ended and been reaped: /proc has no entry for it."""
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
    return pid


def worker(count: int) -> BatchWorker:
    job = Job({"kind": "call", "entry_point": "f", "limits": LIMITS})
    run = BatchWorker(job, zygote=None, spared=set(), budget=Budget(job, count), count=count,  # type: ignore[arg-type]
                      report_room=1 << 20)  # fmt: skip
    run.nonce, run.pid, run.started = "n" * 32, reaped_pid(), time.monotonic()
    run.deadline = run.wall_deadline()
    return run


def line(**fields: Any) -> bytes:
    return json.dumps({**fields, "nonce": "n" * 32}).encode() + b"\n"


def finish(run: BatchWorker, cpu_s: float) -> None:
    run.finish(0, cpu_s, 1000, time.monotonic())


class TestReapedWorker:
    def test_answer_read_after_the_reap_is_timed_by_the_exit(self) -> None:
        """The module ran in under a tick (the reading at `ready` is 0), the input spent 1.5 s in a
        child it waited for, and the worker was reaped before its answer was read."""
        run = worker(count=1)
        run.take_report(line(ready=True))
        time.sleep(CPU_READ_S)
        run.take_report(line(i=0, value=1, tagged="1"))
        finish(run, cpu_s=1.5)
        assert [item["timed_out"] for item in run.items] == [True]
        assert run.items[0]["cpu_ms"] >= 1400

    def test_within_the_limit_stays_in_it(self) -> None:
        run = worker(count=1)
        run.take_report(line(ready=True))
        time.sleep(CPU_READ_S)
        run.take_report(line(i=0, value=1, tagged="1"))
        finish(run, cpu_s=0.5)
        assert [item["timed_out"] for item in run.items] == [False]

    def test_answers_read_together_after_the_reap_share_the_exit_figure(self) -> None:
        """Two inputs, both answered and reaped before either is read: 2.5 s over two 1 s limits."""
        run = worker(count=2)
        run.take_report(line(ready=True) + line(i=0, value=1, tagged="1") + line(i=1, value=1, tagged="1"))
        finish(run, cpu_s=2.5)
        assert all(item["timed_out"] for item in run.items)

    def test_a_killed_zygote_loses_the_unsettled_answers(self) -> None:
        """The candidate killed its zygote (no exit report: status None) after answering an input
        that was not settled yet: its CPU time is unknowable, so the answer is not taken."""
        run = worker(count=1)
        run.take_report(line(ready=True))
        time.sleep(CPU_READ_S)
        run.take_report(line(i=0, value=1, tagged="1"))
        run.finish(None, 0.0, 0, time.monotonic())
        assert [item["report"] for item in run.items] == [None]
