"""Background work is kept alive until done, runs outside the starter's context, and is cancelled
on demand."""

from __future__ import annotations

import asyncio
import contextvars
import gc

from grader.background import Background

REQUEST: contextvars.ContextVar[str] = contextvars.ContextVar("request", default="")


async def test_an_unreferenced_task_runs_to_its_end() -> None:
    finished = asyncio.Event()

    async def work() -> None:
        await asyncio.sleep(0.01)
        finished.set()

    tasks = Background()
    tasks.start(work())  # the caller keeps no reference to the task
    gc.collect()
    await asyncio.wait_for(finished.wait(), 5)
    await asyncio.sleep(0)
    assert len(tasks) == 0  # forgotten once done


async def test_a_task_does_not_see_its_starters_context() -> None:
    seen: list[str] = []

    async def work() -> None:
        seen.append(REQUEST.get())

    REQUEST.set("request-1")
    await Background().start(work())
    assert seen == [""]


async def test_cancel_ends_every_running_task() -> None:
    tasks = Background()
    started = [tasks.start(asyncio.sleep(3600)) for _ in range(3)]
    assert len(tasks) == 3
    await tasks.cancel()
    assert all(task.cancelled() for task in started)
    assert len(tasks) == 0
