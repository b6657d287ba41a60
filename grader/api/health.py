"""grpc.health.v1 that tells the truth: SERVING only while the bank is open and a sandbox can run
code; NOT_SERVING while the engine is away and while draining."""

from __future__ import annotations

import asyncio
from typing import Protocol

import structlog
from grpc_health.v1 import health_pb2
from grpc_health.v1._async import HealthServicer

from grader.background import Background
from grader.bank.store import BankOpenError, BankStore
from grader.grading import SandboxUnavailableError

log = structlog.get_logger(__name__)

SERVICE_NAMES = ("", "grader.v1.Grader")


class Engine(Protocol):
    """What health asks of the sandbox (the pool or the engine): can code run now?"""

    async def check(self) -> None:
        """Returns when a sandbox can run code; raises SandboxUnavailableError when not."""


class HealthReporter:
    def __init__(self, sandbox: Engine, interval_s: float = 5.0, bank: BankStore | None = None) -> None:
        self.servicer = HealthServicer()
        self.sandbox = sandbox
        self.bank = bank
        self.interval_s = interval_s
        self.serving = False
        self.draining = False
        self._tasks = Background()

    async def _set(self, serving: bool, reason: str = "") -> None:
        if self.draining:
            return
        if serving != self.serving:
            log.info("health_changed", serving=serving, reason=reason)
        self.serving = serving
        status = (
            health_pb2.HealthCheckResponse.SERVING if serving else health_pb2.HealthCheckResponse.NOT_SERVING
        )
        for name in SERVICE_NAMES:
            await self.servicer.set(name, status)

    async def probe(self) -> None:
        try:
            if self.bank is not None:
                await asyncio.to_thread(self.bank.check)
            await self.sandbox.check()
        except (BankOpenError, SandboxUnavailableError) as exc:
            await self._set(False, str(exc))
        else:
            await self._set(True)

    def sandbox_down(self) -> None:
        """Called when a request found the engine away: report it now, not at the next probe."""
        self._tasks.start(self.probe())

    async def start(self) -> None:
        await self.probe()
        self._tasks.start(self._watch())

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            await self.probe()

    async def drain(self) -> None:
        self.draining = True
        await self._tasks.cancel()
        await self.servicer.enter_graceful_shutdown()
