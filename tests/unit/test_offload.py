"""The process pool that decodes and judges big answers: a worker that dies or hangs is an
OffloadError and a new pool, never a stalled caller; the judge stays total through it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator

import pytest

from grader import grading, offload
from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind, TestCase
from grader.judge.verdict import Verdict
from grader.sandbox.interface import Answer, TestRun


def die() -> None:
    os._exit(3)


def hang() -> None:
    time.sleep(60)


def pid() -> int:
    return os.getpid()


@pytest.fixture
def pool() -> Iterator[offload.ProcessPool]:
    pool = offload.ProcessPool(workers=1, timeout_s=2.0)
    pool.start()
    yield pool
    pool.close()


def test_a_worker_runs_out_of_process(pool: offload.ProcessPool) -> None:
    assert asyncio.run(pool.run(pid)) != os.getpid()


@pytest.mark.parametrize("failing", [die, hang])
def test_a_dead_or_hung_worker_is_an_error_and_a_new_pool(pool: offload.ProcessPool, failing: object) -> None:
    async def scenario() -> tuple[float, int]:
        first = await pool.run(pid)
        started = time.monotonic()
        with pytest.raises(offload.OffloadError):
            await pool.run(failing)  # type: ignore[arg-type]
        waited = time.monotonic() - started
        second = await pool.run(pid)
        assert second != first
        return waited, second

    waited, _ = asyncio.run(scenario())
    assert waited < 10


def info() -> QuestionInfo:
    return QuestionInfo(id="q", title="q", kind=QuestionKind.STDIN, checker=CheckerSpec(CheckerName.TOKENS),
                        limits=Limits(output_mb=16), num_public_tests=1, num_private_tests=1)  # fmt: skip


def run(stdout: bytes) -> TestRun:
    return TestRun(0, None, 1.0, 1.0, 1, False, False, False, answer=Answer(stdout=stdout))


def test_big_answers_are_judged_in_the_pool(monkeypatch: pytest.MonkeyPatch) -> None:
    pool = offload.ProcessPool(workers=1)
    monkeypatch.setattr(offload, "POOL", pool)
    big = b"1 " * offload.BIG
    items = [(0, TestCase("", "1 " * offload.BIG, True), run(big)), (1, TestCase("", "2", False), run(big))]
    try:
        judgements = asyncio.run(grading._judged(info(), items))
    finally:
        pool.close()
    assert [j.verdict for j in judgements] == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]


def test_the_judge_is_total_when_the_pool_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    class Broken(offload.ProcessPool):
        async def run(self, *_: object) -> object:  # type: ignore[override]
            raise offload.OffloadError("the worker died")

    monkeypatch.setattr(offload, "POOL", Broken())
    items = [(i, TestCase("", "1", False), run(b"1 " * offload.BIG)) for i in range(3)]
    judgements = asyncio.run(grading._judged(info(), items))
    assert [j.verdict for j in judgements] == [Verdict.WRONG_ANSWER] * 3
    assert asyncio.run(grading._judged(info(), items, stop_early=True)) == judgements[:1]
