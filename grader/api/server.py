"""Server wiring: the Grader service, health, reflection, and a graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from grader.api.health import HealthReporter
from grader.api.servicer import GraderServicer
from grader.bank.store import BankStore
from grader.grading import GradingService
from grader.sandbox.docker import DockerSandbox, DockerSettings
from grader.sandbox.interface import Sandbox
from grader.sandbox.pool import PoolSettings, WarmPool
from grader.v1 import grader_pb2, grader_pb2_grpc

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class ServerSettings:
    bank: Path
    host: str = "[::]"
    port: int = 50051
    max_code_bytes: int = 1 << 20
    drain_s: float = 60.0
    """How long SIGTERM waits for in-flight gradings before cancelling them."""
    health_interval_s: float = 5.0
    max_concurrent: int = 0
    """Submissions graded at once (each in its own sandbox); 0: the pool's size."""
    max_batch: int = 10000
    """Submissions one GradeBatch call may carry."""
    max_queued: int = 256
    """Submissions waiting for a sandbox before new ones get RESOURCE_EXHAUSTED."""
    docker: DockerSettings = field(default_factory=DockerSettings)
    pool: PoolSettings | None = field(default_factory=PoolSettings)
    """The warm pool; None starts a fresh container per submission instead."""


class GraderServer:
    """A running server; `port` is the bound port (useful with port 0)."""

    def __init__(self, settings: ServerSettings, sandbox: Sandbox | None = None) -> None:
        self.settings = settings
        self.bank = BankStore.open(settings.bank)
        docker = settings.docker
        if not docker.owner:
            # A fixed port identifies this server across restarts; an ephemeral one cannot.
            owner = f"{socket.gethostname()}:{settings.port}" if settings.port else uuid.uuid4().hex
            docker = dataclasses.replace(docker, owner=owner)
        self.docker = DockerSandbox(docker)
        self.pool = WarmPool(self.docker, settings.pool) if settings.pool is not None else None
        self.sandbox: Sandbox = sandbox or self.pool or self.docker
        self.health = HealthReporter(self.sandbox, settings.health_interval_s)
        self.grading = GradingService(
            self.bank,
            self.sandbox,
            max_code_bytes=settings.max_code_bytes,
            max_concurrent=settings.max_concurrent
            or (settings.pool.size if settings.pool is not None else os.cpu_count() or 2),
            max_queued=settings.max_queued,
        )
        # Room for batches, and for a request just over the code limit, so that it reaches our own
        # clear error.
        message_limit = max(4 * settings.max_code_bytes + (1 << 20), 256 << 20)
        self.server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", message_limit),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
                ("grpc.so_reuseport", 0),
            ]
        )
        grader_pb2_grpc.add_GraderServicer_to_server(  # type: ignore[no-untyped-call]
            GraderServicer(self.grading, self.bank, self.health, settings.max_batch), self.server
        )
        health_pb2_grpc.add_HealthServicer_to_server(self.health.servicer, self.server)
        reflection.enable_server_reflection(
            (
                grader_pb2.DESCRIPTOR.services_by_name["Grader"].full_name,
                health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                reflection.SERVICE_NAME,
            ),
            self.server,
        )
        self.port = 0
        self._stopped = asyncio.Event()

    async def start(self) -> int:
        address = f"{self.settings.host}:{self.settings.port}"
        try:
            self.port = self.server.add_insecure_port(address)
        except RuntimeError:
            if self.settings.host != "[::]":
                raise
            # No IPv6 on this host: all IPv4 interfaces instead.
            self.port = self.server.add_insecure_port(f"0.0.0.0:{self.settings.port}")
        if sandbox_is_ours := self.sandbox in (self.pool, self.docker):
            removed = await self.docker.remove_leftovers()
            if removed:
                log.warning("removed_leftover_sandboxes", count=removed)
        if sandbox_is_ours and self.pool is not None:
            await self.pool.start()
        await self.server.start()
        await self.health.start()
        log.info(
            "serving",
            port=self.port,
            bank=str(self.settings.bank),
            questions=await asyncio.to_thread(self.bank.count),
            sandbox_ready=self.health.serving,
        )
        return self.port

    async def stop(self) -> None:
        """Drains: health goes NOT_SERVING, new RPCs are refused, in-flight ones may finish."""
        if self._stopped.is_set():
            return
        log.info("draining", grace_s=self.settings.drain_s)
        await self.health.drain()
        await self.server.stop(self.settings.drain_s)
        await self.sandbox.close()
        self.bank.close()
        self._stopped.set()
        log.info("stopped")

    async def wait(self) -> None:
        await self._stopped.wait()

    async def run_until_signal(self) -> None:
        await self.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: loop.create_task(self.stop()))
        await self.wait()
