"""Admission: how many submissions are graded at once, how many wait, and when one is refused."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator


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

    @contextlib.asynccontextmanager
    async def admit(self, patient: bool = False) -> AsyncIterator[None]:
        """A slot, after waiting in line; a full line refuses at once, except `patient` callers
        (a GradeBatch's items, already bounded by the batch), which take their place in it."""
        if not patient and self.slots.locked() and self.waiting >= self.queue_limit:
            raise OverloadedError(self.waiting, retry_after_s=1.0)
        self.waiting += 1
        try:
            await self.slots.acquire()
        finally:
            self.waiting -= 1
        self.running += 1
        try:
            yield
        finally:
            self.running -= 1
            self.slots.release()
