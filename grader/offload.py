"""Work on candidate-sized data in a small pool of processes, so the server's GIL stays free.

Threads do not free the event loop from long C calls (json.loads of a multi-MiB value, base64 of
a 16 MiB stdout): those hold the GIL from start to end. The candidate decides the size of that
data, up to the output limit, so past `BIG` bytes it is decoded and judged in another process.
Small work stays in threads, whose hop costs far less than a process's.

The pool is started before the first request and reused. A worker that dies, or that does not
answer in time, is the caller's to turn into a verdict (`OffloadError`); the pool is replaced.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

import structlog

log = structlog.get_logger(__name__)

BIG = 1 << 20
"""Bytes of candidate data (an answer, a reply carrying one) from which work goes to a process."""
WORKERS = 2
TIMEOUT_S = 120.0
"""The longest wait for one piece of work; a worker still busy then is killed."""

_T = TypeVar("_T")


class OffloadError(Exception):
    """The worker died or did not answer in time."""


def _ready() -> bool:
    return True


class ProcessPool:
    """Pre-started worker processes, replaced when one dies or hangs."""

    def __init__(self, workers: int = WORKERS, timeout_s: float = TIMEOUT_S) -> None:
        self.workers = workers
        self.timeout_s = timeout_s
        self._lock = threading.Lock()
        self._executor: ProcessPoolExecutor | None = None

    def _new(self) -> ProcessPoolExecutor:
        # Spawned, not forked: a fork of a process running gRPC's threads may inherit held locks.
        executor = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("spawn"))
        for _ in range(self.workers):
            executor.submit(_ready)
        return executor

    def executor(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = self._new()
            return self._executor

    def start(self) -> None:
        """Starts the workers now rather than on the first big answer."""
        self.executor()

    def _replace(self, broken: ProcessPoolExecutor) -> None:
        with self._lock:
            if self._executor is not broken:
                return
            self._executor = None
        # A hung worker would keep shutdown waiting: kill the workers first.
        for process in list(getattr(broken, "_processes", {}).values()):
            process.kill()
        broken.shutdown(wait=False, cancel_futures=True)

    async def run(self, function: Callable[..., _T], *args: object) -> _T:
        """function(*args) in a worker; function, args and result must pickle. Work that was in
        a pool that broke (another piece of work killed its worker) is tried once more."""
        for attempt in (1, 2):
            executor = self.executor()
            try:
                try:
                    submitted = executor.submit(function, *args)
                except RuntimeError:  # replaced meanwhile by another caller: shut down
                    executor = self.executor()
                    submitted = executor.submit(function, *args)
                return await asyncio.wait_for(asyncio.wrap_future(submitted), self.timeout_s)
            except BrokenProcessPool as exc:
                log.error("offload_worker_died", attempt=attempt)
                self._replace(executor)
                if attempt == 2:
                    raise OffloadError("the worker died") from exc
            except TimeoutError as exc:
                log.error("offload_worker_hung", timeout_s=self.timeout_s)
                self._replace(executor)
                raise OffloadError(f"no answer in {self.timeout_s:g} s") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def close(self) -> None:
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=False, cancel_futures=True)


POOL = ProcessPool()
