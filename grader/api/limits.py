"""What one connection and one message may cost the server, whoever sends them.

* Connections: a cap on how many are open at once (gRPC closes the ones past it as soon as they
  are accepted), a handshake that must finish within seconds (a silent socket is dropped), an
  idle timeout, a cap on concurrent streams per connection, and keepalive both ways (the server
  pings to find dead peers; a client pinging too often is sent away).
* File descriptors: the soft RLIMIT_NOFILE is raised to the hard one at start, and the connection
  cap is lowered (and logged) when it would not leave `FD_RESERVE` descriptors free, for the bank,
  the engine's socket and the sandboxes' pipes, so that a flood of connections never starves them.
* Messages: a maximum size per method (a `Grade` needs far less than a `GradeBatch`), checked on
  the received bytes before they are decoded; a larger one is INVALID_ARGUMENT.
"""

from __future__ import annotations

import dataclasses
import resource
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import grpc
import structlog

from grader.api.handlers import HandlerInterceptor

log = structlog.get_logger(__name__)

FD_RESERVE = 512
"""Descriptors kept for the server's own use beyond its connections."""
SMALL_MESSAGE_BYTES = 64 << 10
"""Requests that carry no code (questions, health, reflection)."""
GRADE_OVERHEAD_BYTES = 64 << 10
"""A GradeRequest's fields besides its code."""
MAX_BATCH_BYTES = 8 << 20
"""The default largest GradeBatch request. gRPC copies a received message into Python bytes on
the event loop before any of our code runs, at 0.3-0.8 s per 191 MiB on a loaded host: a larger
message stalls every other call for that long. `grader.client.GraderClient` sends a batch of any
size in calls under this."""


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    max_connections: int = 1000
    """Client connections open at once; more are closed as soon as they are accepted."""
    max_streams: int = 100
    """Calls at once on one connection."""
    handshake_timeout_s: float = 5.0
    """A connection that has not finished its HTTP/2 (and TLS) handshake by then is closed."""
    idle_timeout_s: float = 300.0
    """A connection without a call for this long is closed (GOAWAY); 0: never."""
    keepalive_s: float = 60.0
    """The server pings a connection silent for this long, and closes it without an answer within
    `keepalive_timeout_s`."""
    keepalive_timeout_s: float = 20.0
    min_client_ping_s: float = 10.0
    """Clients pinging more often than this (twice) are sent away (GOAWAY too_many_pings)."""

    def options(self) -> list[tuple[str, int]]:
        """The gRPC core arguments that enforce these limits."""
        options = [
            ("grpc.max_allowed_incoming_connections", self.max_connections),
            ("grpc.max_concurrent_streams", self.max_streams),
            ("grpc.server_handshake_timeout_ms", _ms(self.handshake_timeout_s)),
            ("grpc.keepalive_time_ms", _ms(self.keepalive_s)),
            ("grpc.keepalive_timeout_ms", _ms(self.keepalive_timeout_s)),
            ("grpc.keepalive_permit_without_calls", 1),
            ("grpc.http2.min_ping_interval_without_data_ms", _ms(self.min_client_ping_s)),
            ("grpc.http2.max_ping_strikes", 2),
        ]
        if self.idle_timeout_s > 0:
            options.append(("grpc.max_connection_idle_ms", _ms(self.idle_timeout_s)))
        return options


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def raise_fd_limit() -> int:
    """Raises the soft limit on open files to the hard one; returns the soft limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("fd_limit_not_raised", soft=soft, hard=hard, reason=str(exc))
    return soft


class ConnectionCapError(ValueError):
    """A descriptor limit too low to serve anyone with FD_RESERVE left for the server."""


MIN_CONNECTIONS = 16


def fit_to_fd_limit(limits: ConnectionLimits, fd_limit: int) -> ConnectionLimits:
    """`limits` with its connection cap lowered, if need be, to leave FD_RESERVE descriptors free
    (logged); raises ConnectionCapError when not even MIN_CONNECTIONS would be left."""
    room = fd_limit - FD_RESERVE
    if limits.max_connections <= room:
        return limits
    if room < MIN_CONNECTIONS:
        raise ConnectionCapError(
            f"this process may open {fd_limit} file descriptors (ulimit -n): {FD_RESERVE} are kept"
            f" for the bank and the sandboxes, which leaves fewer than {MIN_CONNECTIONS} connections;"
            " raise the limit"
        )
    log.warning(
        "max_connections_lowered",
        asked=limits.max_connections,
        used=room,
        fd_limit=fd_limit,
        reason=f"{FD_RESERVE} descriptors are kept for the bank and the sandboxes",
    )
    return dataclasses.replace(limits, max_connections=room)


def message_limits(max_code_bytes: int, max_batch_bytes: int) -> dict[str, int]:
    """The largest request each Grader method accepts, in bytes; other methods get
    SMALL_MESSAGE_BYTES. A Grade just over the code limit still fits, so that it gets the
    service's own clear INVALID_ARGUMENT."""
    return {
        "/grader.v1.Grader/Grade": 2 * max_code_bytes + GRADE_OVERHEAD_BYTES,
        "/grader.v1.Grader/GradeBatch": max_batch_bytes,
    }


@dataclass(frozen=True, slots=True)
class _Oversized:
    """Stands for a request too large to decode."""

    size: int
    limit: int


Context = grpc.aio.ServicerContext[Any, Any]


class MessageSizeInterceptor(HandlerInterceptor):
    """Refuses a request larger than its method's limit with INVALID_ARGUMENT, without decoding it."""

    def __init__(self, limits: Mapping[str, int], default: int = SMALL_MESSAGE_BYTES) -> None:
        self.limits = dict(limits)
        self.default = default

    def limit_of(self, method: str) -> int:
        return self.limits.get(method, self.default)

    def rebuild(
        self, handler: grpc.RpcMethodHandler[Any, Any], call: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any]:
        limit = self.limit_of(call.method)
        decode = handler.request_deserializer

        def deserialize(data: bytes) -> Any:
            if len(data) > limit:
                return _Oversized(len(data), limit)
            return decode(data) if decode is not None else data

        if handler.request_streaming:

            def deserialize_streamed(data: bytes) -> Any:
                # A stream's messages reach the behaviour through gRPC's iterator, which has no
                # place for a refusal: an exception ends the call.
                if len(data) > limit:
                    raise ValueError(f"a message of {len(data)} bytes; at most {limit}")
                return decode(data) if decode is not None else data

            return _with_deserializer(handler, deserialize_streamed)

        inner: Any = handler.unary_unary or handler.unary_stream

        async def single(request: Any, context: Context) -> Any:
            if isinstance(request, _Oversized):
                await context.abort(grpc.StatusCode.INVALID_ARGUMENT, _too_large(request))
            return await inner(request, context)

        async def streaming(request: Any, context: Context) -> Any:
            if isinstance(request, _Oversized):
                context.set_code(grpc.StatusCode.INVALID_ARGUMENT)
                context.set_details(_too_large(request))
                return
            result = inner(request, context)
            if isinstance(result, Awaitable):
                await result
                return
            async for response in result:
                yield response

        if handler.response_streaming:
            return grpc.unary_stream_rpc_method_handler(
                streaming, request_deserializer=deserialize, response_serializer=handler.response_serializer
            )
        return grpc.unary_unary_rpc_method_handler(
            single, request_deserializer=deserialize, response_serializer=handler.response_serializer
        )


def _too_large(request: _Oversized) -> str:
    return f"request of {request.size} bytes; this method takes at most {request.limit}"


def _with_deserializer(
    handler: grpc.RpcMethodHandler[Any, Any], deserialize: Callable[[bytes], Any]
) -> grpc.RpcMethodHandler[Any, Any]:
    make = (
        grpc.stream_stream_rpc_method_handler
        if handler.response_streaming
        else grpc.stream_unary_rpc_method_handler
    )
    behaviour: Any = handler.stream_stream or handler.stream_unary
    return make(behaviour, request_deserializer=deserialize, response_serializer=handler.response_serializer)
