"""Admission: at most `slots` submissions run and at most `queue` wait; a caller beyond that is
refused at once (RESOURCE_EXHAUSTED), but only while every slot is busy; a patient caller waits.

Every wait here has a deadline: a broken admission that lets a caller wait when it should have
been refused (or the reverse) fails the test in seconds, never hangs it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from grader.admission import Admission, OverloadedError

DEADLINE_S = 5.0
"""Longest wait for something that must happen at once (a refusal, an admission)."""


async def settle() -> None:
    """Lets every task that can make progress do so (no clock involved)."""
    for _ in range(10):
        await asyncio.sleep(0)


class Holders:
    """Callers that enter admission and stay in until released."""

    def __init__(self, admission: Admission) -> None:
        self.admission = admission
        self.release = asyncio.Event()
        self.inside = 0
        self.tasks: list[asyncio.Task[None]] = []

    async def _hold(self, patient: bool) -> None:
        async with self.admission.admit(patient):
            self.inside += 1
            await self.release.wait()

    async def add(self, patient: bool = False) -> asyncio.Task[None]:
        task = asyncio.ensure_future(self._hold(patient))
        self.tasks.append(task)
        await settle()
        return task

    async def finish(self) -> None:
        self.release.set()
        left = [task for task in self.tasks if not task.cancelled()]
        await asyncio.wait_for(asyncio.gather(*left), DEADLINE_S)


@contextlib.asynccontextmanager
async def holders(admission: Admission) -> AsyncIterator[Holders]:
    held = Holders(admission)
    try:
        yield held
    finally:
        held.release.set()
        for task in held.tasks:
            task.cancel()
        await asyncio.gather(*held.tasks, return_exceptions=True)


async def enter(admission: Admission, patient: bool = False) -> None:
    """Enters and leaves at once, within the deadline."""

    async def go() -> None:
        async with admission.admit(patient):
            pass

    await asyncio.wait_for(go(), DEADLINE_S)


class TestRefusal:
    async def test_a_full_line_refuses_at_once(self) -> None:
        """One running, `queue` (1) waiting: the next is refused without waiting (`>=`, not `>`)."""
        admission = Admission(slots=1, queue=1)
        async with holders(admission) as held:
            await held.add()
            await held.add()
            assert (admission.running, admission.waiting) == (1, 1)
            with pytest.raises(OverloadedError):
                await enter(admission)
            with pytest.raises(OverloadedError):
                await asyncio.wait_for(admission.admit().__aenter__(), DEADLINE_S)  # not patient by default
            assert (admission.running, admission.waiting) == (1, 1)

    async def test_a_line_with_room_takes_the_caller(self) -> None:
        admission = Admission(slots=1, queue=2)
        async with holders(admission) as held:
            await held.add()
            await held.add()
            await held.add()
            assert (admission.running, admission.waiting, held.inside) == (1, 2, 1)
            await held.finish()
        assert held.inside == 3

    async def test_no_line_refuses_only_when_every_slot_is_busy(self) -> None:
        """With no room to wait, a free slot still admits: RESOURCE_EXHAUSTED only when every
        sandbox is busy (the `slots.locked()` condition), and then at once."""
        admission = Admission(slots=2, queue=0)
        await enter(admission)
        async with holders(admission) as held:
            await held.add()
            assert admission.running == 1
            await held.add()
            assert (admission.running, admission.waiting, held.inside) == (2, 0, 2)
            with pytest.raises(OverloadedError):
                await enter(admission)
            await held.finish()
        await enter(admission)

    async def test_the_refusal_says_how_many_wait_and_when_to_retry(self) -> None:
        admission = Admission(slots=1, queue=2)
        async with holders(admission) as held:
            for _ in range(3):
                await held.add()
            with pytest.raises(OverloadedError) as refused:
                await enter(admission)
        assert refused.value.retry_after_s == 1.0
        assert str(refused.value) == "server busy: 2 submissions already queued; retry in 1 s"


class TestPatience:
    async def test_a_patient_caller_joins_a_full_line(self) -> None:
        admission = Admission(slots=1, queue=1)
        async with holders(admission) as held:
            await held.add()
            await held.add()
            await held.add(patient=True)
            assert (admission.running, admission.waiting) == (1, 2)
            with pytest.raises(OverloadedError):
                await enter(admission)
            await held.finish()
        assert held.inside == 3
        assert (admission.running, admission.waiting) == (0, 0)

    async def test_patient_callers_take_free_slots_at_once(self) -> None:
        admission = Admission(slots=1, queue=0)
        await enter(admission, patient=True)
        assert (admission.running, admission.waiting) == (0, 0)


class TestAccounting:
    def test_a_new_admission_is_empty(self) -> None:
        admission = Admission(slots=3, queue=7)
        assert (admission.capacity, admission.queue_limit) == (3, 7)
        assert (admission.running, admission.waiting) == (0, 0)
        assert not admission.slots.locked()

    async def test_slots_bound_how_many_run_at_once(self) -> None:
        admission = Admission(slots=3, queue=10)
        async with holders(admission) as held:
            for _ in range(5):
                await held.add()
            assert (admission.running, admission.waiting, held.inside) == (3, 2, 3)
            await held.finish()
        assert (admission.running, admission.waiting, held.inside) == (0, 0, 5)

    async def test_a_failing_submission_gives_its_slot_back(self) -> None:
        admission = Admission(slots=1, queue=0)
        inside: list[tuple[int, int]] = []

        async def fail() -> None:
            async with admission.admit():
                inside.append((admission.running, admission.waiting))
                raise RuntimeError("grading failed")

        with pytest.raises(RuntimeError):
            await fail()
        assert inside == [(1, 0)]
        assert (admission.running, admission.waiting) == (0, 0)
        await enter(admission)

    async def test_a_caller_cancelled_in_line_leaves_it(self) -> None:
        """A client that leaves while waiting frees its place in the line, not a slot."""
        admission = Admission(slots=1, queue=1)
        async with holders(admission) as held:
            await held.add()
            waiter = await held.add()
            assert admission.waiting == 1
            waiter.cancel()
            await settle()
            assert (admission.running, admission.waiting) == (1, 0)
            await held.add()
            assert admission.waiting == 1
            await held.finish()
