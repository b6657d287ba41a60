"""Server wiring: the Grader service, health, reflection, and a graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import socket
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import structlog
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from grader import offload
from grader.api.auth import AuthInterceptor
from grader.api.credentials import server_credentials
from grader.api.health import HealthReporter
from grader.api.intake import IntakeInterceptor
from grader.api.limits import (
    MAX_BATCH_BYTES,
    ConnectionLimits,
    MessageSizeInterceptor,
    fit_to_fd_limit,
    message_limits,
    raise_fd_limit,
)
from grader.api.servicer import GraderServicer
from grader.background import Background
from grader.bank.store import BankStore
from grader.grading import GradingEngine
from grader.metrics import Metrics, MetricsEndpoint
from grader.sandbox.command import DockerSettings
from grader.sandbox.interface import Sandbox
from grader.sandbox.pool import PoolSettings
from grader.sandbox.router import (
    DEFAULT,
    DEFAULT_IMAGE_POOLS,
    DEFAULT_IMAGES,
    ImagePool,
    ImageRouter,
    environments,
    label,
)
from grader.service import GraderService
from grader.v1 import grader_pb2, grader_pb2_grpc

log = structlog.get_logger(__name__)

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "::1")


@dataclass(frozen=True, slots=True)
class ServerSettings:
    bank: Path
    host: str = "[::]"
    port: int = 50051
    max_code_bytes: int = 1 << 20
    drain_s: float = 60.0
    """How long SIGTERM waits for in-flight gradings before cancelling them."""
    max_connection_age_s: float = 300.0
    """A client connection is closed (GOAWAY) after this long, so clients re-resolve and rebalance
    across replicas; new calls go to a new connection. 0: connections live forever."""
    max_connection_age_grace_s: float = 3600.0
    """How long calls already running on such a connection may go on (a GradeBatch can take a
    while); past it they end with UNAVAILABLE."""
    health_interval_s: float = 5.0
    max_concurrent: int = 0
    """Submissions graded at once (each in its own sandbox); 0: the pool's size."""
    max_batch: int = 10000
    """Submissions one GradeBatch call may carry."""
    batch_engine_wait_s: float = 60.0
    """How long a GradeBatch waits for the engine to come back (a restart) before its items get
    UNAVAILABLE; 0: at once."""
    max_queued: int = 256
    """Submissions waiting for a sandbox before new ones get RESOURCE_EXHAUSTED."""
    max_queued_bytes: int = 256 << 20
    """Bytes of Grader requests held at once (waiting or being graded) before new ones get
    RESOURCE_EXHAUSTED; see grader/api/intake.py."""
    private_test_metrics: bool = False
    """Private tests' times and memory in responses (--private-test-metrics exact): a side channel
    on the hidden inputs, off by default (docs/security.md)."""
    docker: DockerSettings = field(default_factory=DockerSettings)
    pool: PoolSettings | None = field(default_factory=PoolSettings)
    """The default image's warm pool; None starts a fresh container per submission instead."""
    images: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_IMAGES))
    """The image of each named sandbox environment (a question's `image`); the default
    environment's is `docker.image`."""
    image_pools: Mapping[str, ImagePool] = field(default_factory=lambda: dict(DEFAULT_IMAGE_POOLS))
    """The warm pools of named environments; one not listed here gets `pool`'s settings."""
    tls_cert: Path | None = None
    """TLS (with `tls_key`); plaintext when None. See grader/api/credentials.py."""
    tls_key: Path | None = None
    tls_client_ca: Path | None = None
    """Mutual TLS: clients must present a certificate this CA signed."""
    auth_tokens_file: Path | None = None
    """Bearer tokens every call but health and reflection must carry. See grader/api/auth.py."""
    admin_tokens_file: Path | None = None
    """Bearer tokens that may also call admin methods (grader.v1 has none: see grader/api/auth.py)."""
    metrics_port: int | None = None
    """Prometheus metrics over HTTP at /metrics on this port, on `host`; 0: any free port (see
    `GraderServer.metrics_port`); None: not served (the CLI's `--metrics-port 0`)."""
    connections: ConnectionLimits = field(default_factory=ConnectionLimits)
    """Caps and timeouts on client connections. See grader/api/limits.py."""
    max_batch_bytes: int = MAX_BATCH_BYTES
    """The largest GradeBatch request; a Grade takes at most twice `max_code_bytes` and a little."""


def connection_age_options(settings: ServerSettings) -> list[tuple[str, int]]:
    """gRPC channel arguments that bound a connection's age (none when unlimited)."""
    if settings.max_connection_age_s <= 0:
        return []
    return [
        ("grpc.max_connection_age_ms", round(settings.max_connection_age_s * 1000)),
        ("grpc.max_connection_age_grace_ms", round(settings.max_connection_age_grace_s * 1000)),
    ]


class GraderServer:
    """A running server; `port` is the bound port (useful with port 0)."""

    def __init__(self, settings: ServerSettings, sandbox: Sandbox | None = None) -> None:
        self.settings = settings
        # Before anything is opened: descriptors for the bank and the sandboxes must stay free
        # whatever clients do, so the connection cap has to fit under the limit with room to spare.
        self.fd_limit = raise_fd_limit()
        self.connections = fit_to_fd_limit(settings.connections, self.fd_limit)
        # Security settings are checked first: a wrong file fails the start with a clear message.
        self.credentials = server_credentials(settings.tls_cert, settings.tls_key, settings.tls_client_ca)
        self.auth = AuthInterceptor(settings.auth_tokens_file, settings.admin_tokens_file)
        self.bank = BankStore.open(settings.bank)
        docker = settings.docker
        if not docker.owner:
            # A fixed port identifies this server across restarts; an ephemeral one cannot.
            owner = f"{socket.gethostname()}:{settings.port}" if settings.port else uuid.uuid4().hex
            docker = dataclasses.replace(docker, owner=owner)
        self.metrics = Metrics()
        self.router = ImageRouter(
            docker,
            environments(docker, settings.pool, settings.images, settings.image_pools),
            events=self.metrics,
        )
        self.docker = self.router.dockers[DEFAULT]
        self.pool = self.router.pools.get(DEFAULT)
        self.sandbox: Sandbox = sandbox or self.router
        # The environments to start: the default one, whose image is always there, and those the
        # bank's questions name; one the server has no image for stops it here, before serving.
        self.images = {DEFAULT} | self.bank.images()
        if self.sandbox is self.router:
            self.router.require(self.images)
        self.health = HealthReporter(self.sandbox, settings.health_interval_s, bank=self.bank)
        self.grading = GradingEngine(
            self.bank,
            self.sandbox,
            max_code_bytes=settings.max_code_bytes,
            max_concurrent=settings.max_concurrent
            or (settings.pool.size if settings.pool is not None else os.cpu_count() or 2),
            max_queued=settings.max_queued,
        )
        self._watch_capacity()
        # Who is calling is decided first, from the headers alone; then each method's size limit,
        # on the bytes received before they are decoded (gRPC itself refuses anything past the
        # largest of them); then the intake: the budget of bytes held by queued requests, and
        # decoding that turns undecodable bytes into INVALID_ARGUMENT.
        limits = message_limits(settings.max_code_bytes, settings.max_batch_bytes)
        self.intake = IntakeInterceptor(settings.max_queued_bytes, self.metrics)
        self.server = grpc.aio.server(
            interceptors=[self.auth, MessageSizeInterceptor(limits), self.intake],
            options=[
                ("grpc.max_receive_message_length", max(limits.values())),
                ("grpc.max_send_message_length", 64 * 1024 * 1024),
                ("grpc.so_reuseport", 0),
                *connection_age_options(settings),
                *self.connections.options(),
            ],
        )
        grader_pb2_grpc.add_GraderServicer_to_server(  # type: ignore[no-untyped-call]
            GraderServicer(
                GraderService(self.grading, self.bank, self.metrics, sandbox_down=self.health.sandbox_down),
                settings.max_batch,
                settings.batch_engine_wait_s,
                private_test_metrics=settings.private_test_metrics,
            ),
            self.server,
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
        self.metrics_endpoint = (
            MetricsEndpoint(self.metrics.registry, settings.host, settings.metrics_port)
            if settings.metrics_port is not None
            else None
        )
        self._stopped = asyncio.Event()
        self._tasks = Background()

    @property
    def metrics_port(self) -> int | None:
        """The bound metrics port once started (useful with port 0); None when not served."""
        return self.metrics_endpoint.port if self.metrics_endpoint is not None else None

    def _watch_capacity(self) -> None:
        admission = self.grading.admission
        router = self.router if self.sandbox is self.router else None
        self.metrics.watch(
            queue_depth=lambda: admission.waiting,
            busy=lambda: router.busy if router is not None else admission.running,
            idle=lambda: router.idle if router is not None else 0,
        )
        for name, pool in self.router.pools.items():
            self.metrics.watch_pool(label(name), pool)

    async def start(self) -> int:
        if self.metrics_endpoint is not None:
            # First: a port already taken stops the start before any sandbox is started.
            await asyncio.to_thread(self.metrics_endpoint.start)
        address = f"{self.settings.host}:{self.settings.port}"
        try:
            self.port = self._add_port(address)
        except RuntimeError:
            if self.settings.host != "[::]":
                raise
            # No IPv6 on this host: all IPv4 interfaces instead.
            self.port = self._add_port(f"0.0.0.0:{self.settings.port}")
        if self.sandbox is self.router:
            # Every environment's containers carry this server's owner label.
            removed = await self.docker.remove_leftovers()
            if removed:
                log.warning("removed_leftover_sandboxes", count=removed)
            await self.router.start(self.images)
        # Big answers are decoded and judged there: its workers start now, not on the first one.
        await asyncio.to_thread(offload.POOL.start)
        await self.server.start()
        await self.health.start()
        log.info(
            "serving",
            port=self.port,
            metrics_port=self.metrics_port,
            tls="mutual" if self.settings.tls_client_ca else "on" if self.credentials else "off",
            auth_tokens=len(self.auth.tokens.tokens) if self.auth.tokens else 0,
            bank=str(self.settings.bank),
            max_connections=self.connections.max_connections,
            fd_limit=self.fd_limit,
            questions=await asyncio.to_thread(self.bank.count),
            sandbox_ready=self.health.serving,
            environments=sorted(label(name) for name in self.router.started),
        )
        if self.auth.tokens and not self.credentials and self.settings.host not in LOOPBACK_HOSTS:
            log.warning(
                "bearer_tokens_over_plaintext",
                hint="tokens cross the network in clear text: use --tls-cert/--tls-key or a TLS proxy",
            )
        return self.port

    def _add_port(self, address: str) -> int:
        if self.credentials is None:
            return self.server.add_insecure_port(address)
        return self.server.add_secure_port(address, self.credentials)

    async def stop(self) -> None:
        """Drains: health goes NOT_SERVING, new RPCs are refused, in-flight ones may finish."""
        if self._stopped.is_set():
            return
        log.info("draining", grace_s=self.settings.drain_s)
        await self.health.drain()
        await self.server.stop(self.settings.drain_s)
        await self.sandbox.close()
        offload.POOL.close()
        self.bank.close()
        if self.metrics_endpoint is not None:
            await self.metrics_endpoint.stop()
        self._stopped.set()
        log.info("stopped")

    async def wait(self) -> None:
        await self._stopped.wait()

    async def run_until_signal(self) -> None:
        await self.start()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: self._tasks.start(self.stop()))
        loop.add_signal_handler(signal.SIGHUP, self.auth.reload)
        await self.wait()
