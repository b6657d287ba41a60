"""The supervisor's limit arithmetic (it runs in the sandbox; these are its pure parts): a test's
CPU limit and RLIMIT_CPU behind it, its wall-clock deadline, a batch's budget and deadline, and
how many bytes a test may report."""

from __future__ import annotations

import time
from typing import Any, cast

import pytest

from grader.runner import protocol
from grader.runner.batch import START_S, BatchWorker, Budget
from grader.runner.job import Job
from grader.runner.worker import Worker
from grader.runner.zygotes import Zygote

NOW = 1000.0


def submission(time_s: float = 2.5, wall_s: float = 7.0, kind: str = "stdin") -> Job:
    limits = {"time_s": time_s, "wall_s": wall_s, "memory_kb": 4096, "output_bytes": 300}
    return Job({"kind": kind, "limits": limits})


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(time, "monotonic", lambda: NOW)


def run(job: Job) -> Worker:
    return Worker(job, cast(Zygote, None), set())


def worker(job: Job, budget: Budget) -> BatchWorker:
    return BatchWorker(job, cast(Zygote, None), set(), budget, 4, 1 << 20)


class TestJobLimits:
    def test_read_from_the_message(self) -> None:
        limits = {"time_s": 2, "wall_s": "7.5", "memory_kb": "4096", "output_bytes": 300.0}
        job = Job({"kind": "call", "limits": limits})
        values: list[Any] = [job.time_s, job.wall_s, job.memory_kb, job.output_bytes]
        assert values == [2.0, 7.5, 4096, 300]
        assert [type(v) for v in values] == [float, float, int, int]
        assert (job.kind, job.entry_point, job.prelude) == ("call", "-", "none")
        named = Job({"kind": "call", "entry_point": "f", "prelude": "lcb", "limits": limits})
        assert (named.entry_point, named.prelude) == ("f", "lcb")


class TestOneTest:
    def test_cpu_limit_is_the_question_s(self) -> None:
        assert run(submission(time_s=2.5)).cpu_limit_s == 2.5

    @pytest.mark.parametrize(("cpu_s", "rlimit"), [(2.5, 3), (3.0, 4), (0.2, 1), (-0.5, 1)])
    def test_rlimit_cpu_is_whole_seconds_above_the_limit(self, cpu_s: float, rlimit: int) -> None:
        """RLIMIT_CPU is the last resort behind the watch: at least a second more, never 0."""
        test = run(submission())
        test.cpu_limit_s = cpu_s
        assert test.rlimit_cpu() == rlimit

    def test_wall_deadline_is_the_backstop_from_the_start(self) -> None:
        test = run(submission(wall_s=7.0))
        test.started = 50.0
        assert test.wall_deadline() == 57.0

    @pytest.mark.parametrize(("kind", "factor"), [("call", 2), ("stdin", 1), ("humaneval", 1), ("batch", 1)])
    def test_report_limit(self, kind: str, factor: int) -> None:
        """A call's answer comes in two encodings, each within the output limit."""
        assert protocol.report_limit(kind, 300) == factor * 300 + protocol.REPORT_MARGIN
        assert protocol.REPORT_MARGIN == 64 * 1024
        assert run(submission(kind=kind)).report_limit == factor * 300 + protocol.REPORT_MARGIN


class TestBatchBudget:
    """README: "The whole batch stays within the sum of its inputs' limits plus a second"."""

    def test_cpu_budget(self) -> None:
        assert START_S == 1.0
        budget = Budget(submission(time_s=2.5), 4)
        assert (budget.cpu_s, budget.cpu_used) == (2.5 * 4 + 1.0, 0.0)

    def test_deadline(self) -> None:
        """The last input's backstop after every other input's share of the budget, twice."""
        budget = Budget(submission(time_s=2.5, wall_s=7.0), 4)
        assert budget.deadline == NOW + 7.0 + (11.0 - 2.5) * 2

    def test_spent_at_the_budget_or_the_deadline(self, monkeypatch: pytest.MonkeyPatch) -> None:
        budget = Budget(submission(time_s=2.5), 4)
        assert not budget.spent()
        budget.cpu_used = 10.99
        assert not budget.spent()
        budget.cpu_used = 11.0
        assert budget.spent()
        budget.cpu_used = 0.0
        monkeypatch.setattr(time, "monotonic", lambda: budget.deadline)
        assert budget.spent()

    def test_a_worker_gets_what_is_left(self) -> None:
        budget = Budget(submission(time_s=2.5, wall_s=7.0), 4)
        budget.cpu_used = 4.0
        batch = worker(submission(time_s=2.5, wall_s=7.0), budget)
        assert batch.cpu_limit_s == 7.0
        assert batch.input_limit_s == 2.5 + START_S
        assert batch.report_limit == 300 + protocol.REPORT_MARGIN
        batch.started = 42.0
        assert batch.wall_deadline() == budget.deadline
        assert batch.ref_wall == batch.settled_at == batch.checked_at == 42.0
