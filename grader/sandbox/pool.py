"""The warm pool: sandbox containers started ahead of need and reused, one submission at a time.

A submission leases an idle container, runs all its tests in it, and gives it back after the
supervisor has killed every candidate process and wiped every writable place (and said so).
A container is retired after `max_uses` submissions, and at once after any anomaly: an OOM kill,
a kill at a limit, a failed or unclean reset, a long-lived process of the container found changed
by the reset, a supervisor that died, a cancelled submission.
Retired containers are replaced in the background. Containers start with the pool's memory
limit; a question asking for more gets a container of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

import structlog

from grader.background import Background
from grader.sandbox.docker import ContainerSession, DockerSandbox
from grader.sandbox.interface import (
    NoEvents,
    Program,
    SandboxEvents,
    SandboxFailureError,
    SandboxUnavailableError,
)

log = structlog.get_logger(__name__)

_REASON_OF_ANOMALY = {
    "oom kill": "oom_kill",
    "killed at a limit": "limit_kill",
    "long-lived process changed": "tampered",  # found by the reset (standing.py)
}


@dataclass(frozen=True, slots=True)
class PoolSettings:
    size: int = field(default_factory=lambda: os.cpu_count() or 2)
    """Containers kept warm (default: the number of cores)."""
    max_uses: int = 200
    """Submissions a container serves before it is replaced."""
    memory_limit_mb: int = 1024
    """Memory limit of pooled containers; questions asking for more get a container of their own."""
    lease_timeout_s: float = 120.0
    """How long a submission waits for a healthy container while none can be started."""


@dataclass
class PoolStats:
    started: int = 0
    retired: int = 0
    start_failures: int = 0
    leases: int = 0


class WarmPool:
    """A Sandbox that reuses containers; `start()` fills it, `close()` empties it."""

    def __init__(
        self, docker: DockerSandbox, settings: PoolSettings, events: SandboxEvents | None = None
    ) -> None:
        self.docker = docker
        self.settings = settings
        self.events: SandboxEvents = events or NoEvents()
        self.stats = PoolStats()
        self._idle: asyncio.Queue[ContainerSession] = asyncio.Queue()
        self._live: set[ContainerSession] = set()
        self._leased: set[ContainerSession] = set()
        self._tasks = Background()
        self._starting = 0
        self._closed = False
        self._engine_back = asyncio.Event()
        self.failure = ""
        """Why the last container start failed ("" once one succeeds)."""

    @property
    def idle(self) -> int:
        return self._idle.qsize()

    @property
    def busy(self) -> int:
        return len(self._leased)

    def leased(self) -> list[str]:
        """Names of the containers running a submission now."""
        return sorted(c.name for c in self._leased)

    def _background(self, coro: Coroutine[Any, Any, None]) -> None:
        # A fresh context: the pool's own work is not part of the request that triggered it.
        self._tasks.start(coro)

    async def start(self) -> None:
        """Starts filling the pool (without waiting for it)."""
        for _ in range(self.settings.size):
            self._replenish()

    def _replenish(self) -> None:
        if self._closed or len(self._live) + self._starting >= self.settings.size:
            return
        self._starting += 1
        self._background(self._start_one())

    async def _start_one(self, delay: float = 0.0) -> None:
        try:
            if delay:
                # Backoff, cut short when the health probe finds the engine answering again.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._engine_back.wait(), delay)
            container = await self.docker.start_container(self.settings.memory_limit_mb)
        except (SandboxUnavailableError, SandboxFailureError) as exc:
            self.stats.start_failures += 1
            if self.failure != str(exc):
                log.error("pool_start_failed", reason=str(exc))
            self.failure = str(exc)
            self._starting -= 1
            if not self._closed:  # keep trying, gently, until the engine is back
                self._starting += 1
                self._background(self._start_one(delay=min(30.0, 1.0 + delay * 2)))
            return
        self._starting -= 1
        if self._closed:
            await self.docker.stop_container(container)
            return
        self.failure = ""
        self.stats.started += 1
        self._live.add(container)
        self._idle.put_nowait(container)

    def _retire(self, container: ContainerSession, reason: str) -> None:
        self._live.discard(container)
        self.stats.retired += 1
        self.events.container_recycled(reason)
        log.debug("pool_retire", container=container.name, reason=reason, uses=container.uses)
        self._background(self.docker.stop_container(container))
        self._replenish()

    async def _lease(self) -> ContainerSession:
        deadline = asyncio.get_running_loop().time() + self.settings.lease_timeout_s
        while True:
            if self.failure and not self._live:
                raise SandboxUnavailableError(f"no sandbox can be started: {self.failure}")
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                raise SandboxUnavailableError("no sandbox became free in time")
            try:
                container = await asyncio.wait_for(self._idle.get(), min(remaining, 1.0))
            except TimeoutError:
                continue
            if container.alive:
                return container
            self._retire(container, "died_idle")

    @contextlib.asynccontextmanager
    async def session(self, program: Program) -> AsyncIterator[ContainerSession]:
        if program.limits.memory_mb > self.settings.memory_limit_mb:
            async with self.docker.session(program) as own:
                yield own
            return
        container = await self._lease()
        self.stats.leases += 1
        container.uses += 1
        self._leased.add(container)
        retire = "failed_or_cancelled"  # unless the submission ends normally
        try:
            await container.load(program, self.docker.wall_s(program))
            yield container
            if container.anomaly:
                retire = _REASON_OF_ANOMALY.get(container.anomaly, "failed_or_cancelled")
            elif container.uses >= self.settings.max_uses:
                retire = "max_uses"
            else:
                retire = "reset_failed"
                if await container.reset():
                    retire = ""
                elif container.anomaly:
                    retire = _REASON_OF_ANOMALY.get(container.anomaly, retire)
        finally:
            self._leased.discard(container)
            if not retire:
                self._idle.put_nowait(container)
            else:
                self._retire(container, retire)

    async def check(self) -> None:
        await self.docker.check_engine()  # the pool's own retries are its trial starts
        if self.failure:
            # The engine answers (again): retry the failed starts now, so the pool heals within a
            # health interval of the engine's return rather than at the end of a long backoff.
            self._engine_back.set()
            self._engine_back = asyncio.Event()
        if self.failure and not self._live:
            raise SandboxUnavailableError(f"no sandbox can be started: {self.failure}")

    async def close(self) -> None:
        self._closed = True
        containers = list(self._live)
        self._live.clear()
        await asyncio.gather(*(self.docker.stop_container(c) for c in containers), return_exceptions=True)
        await self._tasks.cancel()
