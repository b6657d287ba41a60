"""Admission: how many submissions are graded at once, how many wait, and when one is refused."""

from __future__ import annotations

import asyncio
import contextlib


class OverloadedError(Exception):
    """Every sandbox is busy and the queue is full: retry after `retry_after_s`."""

    def __init__(self, queued: int, retry_after_s: float) -> None:
        super().__init__(f"server busy: {queued} submissions already queued; retry in {retry_after_s:g} s")
        self.retry_after_s = retry_after_s


class Admission:
    """At most `slots` submissions run at once and at most `queue` wait; beyond that, refuse."""

    def __init__(self, slots: int, queue: int) -> None:
        self.capacity = slots
        self.slots = asyncio.Semaphore(slots)
        self.queue_limit = queue
        self.waiting = 0
        self.running = 0

    def admit(self, patient: bool = False) -> contextlib.AbstractAsyncContextManager[None]:
        """A slot, after waiting in line; a full line refuses at once, except `patient` callers
        (a GradeBatch's items, already bounded by the batch), which take their place in it."""
        return _Place(self, patient)

    def refuses(self, patient: bool) -> bool:
        """True when every slot is busy and the line is full, for a caller that would not wait."""
        return not patient and self.slots.locked() and self.waiting >= self.queue_limit

    async def enter(self, patient: bool) -> None:
        if self.refuses(patient):
            raise OverloadedError(self.waiting, retry_after_s=1.0)
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1

    def leave(self) -> None:
        self.running -= 1
        self.slots.release()


class _Place:
    """One caller's place: a slot from `Admission.enter` to `Admission.leave`. A plain class, not
    a generator-based context manager, so every line of the rule is visible to mutation testing."""

    def __init__(self, admission: Admission, patient: bool) -> None:
        self.admission = admission
        self.patient = patient

    async def __aenter__(self) -> None:
        await self.admission.enter(self.patient)

    async def __aexit__(self, *_exc: object) -> None:
        self.admission.leave()
