"""Prometheus metrics of one server, and the small HTTP endpoint that serves them at /metrics.

Each server has its own registry (never prometheus_client's global one), so several servers in
one process count apart. Gauges are read from the live objects at scrape time. Labels carry only
names from fixed sets (RPC names, status names, verdicts, recycle reasons, the sandbox environments
of the server's settings): never a question id, a request id or anything a client sent.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Protocol
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, start_http_server

from grader.judge.verdict import Verdict
from grader.sandbox.interface import RECYCLE_REASONS

GRADE_BUCKETS_S = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)
RPC_BUCKETS_S = (
    0.005,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
    5.0,
    10.0,
    30.0,
    60.0,
    300.0,
    900.0,
    3600.0,
)


class PoolState(Protocol):
    """What the pool gauges read from a warm pool at each scrape."""

    @property
    def idle(self) -> int: ...

    @property
    def busy(self) -> int: ...


class MetricsPortError(Exception):
    """The metrics endpoint cannot listen where it was asked to."""


class Metrics:
    """Every metric the server exports; also the sandbox layer's `SandboxEvents`."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        registry = self.registry
        self.requests = Counter(
            "grader_requests", "Grader RPCs answered, by method and gRPC status name",
            ["rpc", "code"], registry=registry,
        )  # fmt: skip
        self.verdicts = Counter(
            "grader_verdicts", "Submissions graded, by overall verdict", ["verdict"], registry=registry
        )
        self.queue_depth = Gauge("grader_queue_depth", "Submissions waiting for a sandbox", registry=registry)
        self.sandboxes_busy = Gauge(
            "grader_sandboxes_busy", "Sandboxes running a submission now", registry=registry
        )
        self.sandboxes_idle = Gauge(
            "grader_sandboxes_idle", "Warm sandboxes ready for a submission", registry=registry
        )
        self.pool_containers = Gauge(
            "grader_pool_containers", "Warm pool containers by sandbox environment, idle or busy",
            ["image", "state"], registry=registry,
        )  # fmt: skip
        self.container_starts = Counter(
            "grader_container_starts", "Sandbox containers started (warm pool and one-off)", registry=registry
        )
        self.container_recycles = Counter(
            "grader_container_recycles", "Pooled sandbox containers retired, by reason",
            ["reason"], registry=registry,
        )  # fmt: skip
        self.grade_seconds = Histogram(
            "grader_grade_seconds", "One submission end to end: queueing, sandbox and judging",
            buckets=GRADE_BUCKETS_S, registry=registry,
        )  # fmt: skip
        self.rpc_seconds = Histogram(
            "grader_rpc_seconds", "Grader RPC latency, by method", ["rpc"],
            buckets=RPC_BUCKETS_S, registry=registry,
        )  # fmt: skip
        # Known label values start at 0, so rates and alerts work from the first scrape.
        for verdict in Verdict:
            if verdict is not Verdict.VERDICT_UNSPECIFIED:
                self.verdicts.labels(verdict=verdict.name)
        for reason in RECYCLE_REASONS:
            self.container_recycles.labels(reason=reason)

    def watch(
        self, *, queue_depth: Callable[[], float], busy: Callable[[], float], idle: Callable[[], float]
    ) -> None:
        """Gauges read these at each scrape."""
        self.queue_depth.set_function(queue_depth)
        self.sandboxes_busy.set_function(busy)
        self.sandboxes_idle.set_function(idle)

    def watch_pool(self, image: str, pool: PoolState) -> None:
        """The pool gauges of one environment (a configured name: a fixed label set)."""
        self.pool_containers.labels(image=image, state="idle").set_function(lambda: pool.idle)
        self.pool_containers.labels(image=image, state="busy").set_function(lambda: pool.busy)

    def rpc_finished(self, rpc: str, code: str, seconds: float) -> None:
        self.requests.labels(rpc=rpc, code=code).inc()
        self.rpc_seconds.labels(rpc=rpc).observe(seconds)

    def graded(self, verdict: str, seconds: float) -> None:
        self.verdicts.labels(verdict=verdict).inc()
        self.grade_seconds.observe(seconds)

    def container_started(self) -> None:
        self.container_starts.inc()

    def container_recycled(self, reason: str) -> None:
        self.container_recycles.labels(reason=reason).inc()

    def exposition(self) -> bytes:
        """The registry in Prometheus text format, as /metrics serves it."""
        return generate_latest(self.registry)


class MetricsEndpoint:
    """/metrics over HTTP from a daemon thread; `port` is the bound port (useful with port 0)."""

    def __init__(self, registry: CollectorRegistry, host: str, port: int) -> None:
        self.registry = registry
        self.host = host.strip("[]")  # gRPC's "[::]" is the socket layer's "::"
        self.requested_port = port
        self.port = 0
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> int:
        try:
            self._server, self._thread = self._listen(self.host)
        except OSError as exc:
            if self.host != "::":
                raise MetricsPortError(self._cannot(self.host, exc)) from None
            try:  # no IPv6 on this host: all IPv4 interfaces instead, as gRPC does
                self._server, self._thread = self._listen("0.0.0.0")  # noqa: S104 - as asked
            except OSError as exc4:
                raise MetricsPortError(self._cannot(self.host, exc4)) from None
        self.port = int(self._server.server_port)
        return self.port

    def _listen(self, host: str) -> tuple[WSGIServer, threading.Thread]:
        return start_http_server(self.requested_port, addr=host, registry=self.registry)

    def _cannot(self, host: str, exc: OSError) -> str:
        return f"cannot serve metrics on [{host}]:{self.requested_port}: {exc.strerror or exc}"

    async def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None or thread is None:
            return
        # shutdown() waits for the serving loop to notice (up to half a second): not on the loop.
        await asyncio.to_thread(server.shutdown)
        server.server_close()
        await asyncio.to_thread(thread.join, 5.0)
