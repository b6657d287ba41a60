"""What every request goes through before its handler: its bytes are counted against a server-wide
budget before they are parsed, bytes that do not parse are the caller's error, and a large request
is parsed in steps that let the event loop serve other calls (health checks) in between.

gRPC parses a request with the deserializer its method handler names, before any handler or
interceptor code sees the call; a deserializer that raises makes the call end UNKNOWN. So the
deserializer is wrapped to never raise: it answers a `Refusal` (INVALID_ARGUMENT for undecodable
bytes, RESOURCE_EXHAUSTED with `retry-after-ms` when the budget is spent), which the wrapped
handler turns into the status. Grader requests also carry their share of the budget (`Admitted`)
until the call ends: a GradeBatch holds its request for its whole run.

Parsing 190 MiB of GradeBatch at once holds the interpreter for 0.2 s. A serialized message is the
concatenation of its top-level fields, and parsing a concatenation is merging its parts, so a large
request is merged into its message one ~1 MiB run of whole fields at a time, on the loop, with a
yield between runs. What no code here can split is gRPC's own copy of the received message into
`bytes`, on the loop thread before the deserializer is called (0.3-0.8 s for 191 MiB on a loaded
2-core machine): only the message size limit bounds that.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import grpc
import structlog

from grader.api.errors import MAX_MESSAGE_CHARS
from grader.api.handlers import HANDLER_OF_KIND, HandlerInterceptor, responses
from grader.metrics import Metrics

log = structlog.get_logger(__name__)

Context = grpc.aio.ServicerContext[Any, Any]

BUDGETED_PREFIX = "/grader.v1.Grader/"
"""Methods whose requests count against the budget; health and reflection never wait on it."""

RETRY_AFTER_S = 1.0
STEP_BYTES = 1 << 20
"""Requests larger than this are parsed in steps of about this many bytes."""
WALKED_FIELDS = 1 << 16
"""Top-level fields located one by one (in Python) before the rest is parsed at once: a request of
millions of tiny fields would cost more to step through than to parse."""
FIELDS_PER_YIELD = 4096


class ByteBudget:
    """Bytes of requests held at once, at most `limit`. Used on the event loop only."""

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("the byte budget must be positive")
        self.limit = limit
        self.held = 0

    def reserve(self, size: int) -> Reservation | None:
        if self.held + size > self.limit:
            return None
        self.held += size
        return Reservation(self, size)


class Reservation:
    """`size` bytes of a budget, given back once: by `release`, or when the request is dropped
    unanswered by us (an interceptor before ours refused the call)."""

    __slots__ = ("_budget", "size")

    def __init__(self, budget: ByteBudget, size: int) -> None:
        self._budget: ByteBudget | None = budget
        self.size = size

    def release(self) -> None:
        if self._budget is not None:
            self._budget.held -= self.size
            self._budget = None

    def __del__(self) -> None:
        self.release()


@dataclass(frozen=True, slots=True)
class Refusal:
    """What a request gets instead of its handler."""

    code: grpc.StatusCode
    message: str
    retry_after_s: float | None = None


@dataclass(frozen=True, slots=True)
class Admitted:
    """A parsed request and the budget it holds until its call ends."""

    message: Any
    reservation: Reservation


@dataclass(frozen=True, slots=True)
class Deferred:
    """A large request, parsed by the handler in steps (`parse_in_steps`)."""

    raw: bytes
    kind: Any
    """The message class."""
    reservation: Reservation | None


def field_ends(raw: bytes | memoryview, start: int = 0) -> Iterator[int]:
    """The offset just after each top-level field of a serialized protobuf message, from `start`;
    ValueError where it is malformed (groups, the deprecated wire types, are refused too)."""
    pos, end = start, len(raw)
    while pos < end:
        key, pos = _varint(raw, pos)
        wire = key & 7
        if key >> 3 == 0:
            raise ValueError("field number 0")
        if wire == 0:
            _, pos = _varint(raw, pos)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _varint(raw, pos)
            pos += length
        elif wire == 5:
            pos += 4
        else:
            raise ValueError(f"wire type {wire} at top level")
        if pos > end:
            raise ValueError("a field runs past the end")
        yield pos


def _varint(raw: bytes | memoryview, pos: int) -> tuple[int, int]:
    value = shift = 0
    for offset in range(10):
        if pos + offset >= len(raw):
            break
        byte = raw[pos + offset]
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos + offset + 1
        shift += 7
    raise ValueError("a malformed varint")


async def parse_in_steps(raw: bytes, kind: Any) -> Any:
    """`kind.FromString(raw)`, merged a run of whole top-level fields at a time with a yield to the
    event loop between runs; raises what the parser raises, or ValueError."""
    message = kind()
    view = memoryview(raw)
    start = 0
    for walked, end in enumerate(field_ends(view), 1):
        if end - start >= STEP_BYTES:
            message.MergeFromString(view[start:end])
            start = end
            await asyncio.sleep(0)
        elif walked % FIELDS_PER_YIELD == 0:
            await asyncio.sleep(0)
        if walked >= WALKED_FIELDS:
            break
    message.MergeFromString(view[start:])
    return message


def _type_name(deserializer: Callable[[bytes], Any]) -> str:
    owner = getattr(deserializer, "__self__", None)
    descriptor = getattr(owner, "DESCRIPTOR", None)
    return str(getattr(descriptor, "full_name", "request"))


def safe_deserializer(
    deserializer: Callable[[bytes], Any], budget: ByteBudget | None
) -> Callable[[bytes], Any]:
    """`deserializer` that answers a Refusal instead of raising, and, with a budget, an Admitted
    (after reserving the raw size, before parsing: a refused request is never parsed)."""
    name = _type_name(deserializer)
    kind = getattr(deserializer, "__self__", None)
    steps = kind is not None and hasattr(kind, "MergeFromString")

    def decode(raw: bytes) -> Any:
        reservation = None
        if budget is not None:
            if len(raw) > budget.limit:
                return Refusal(
                    grpc.StatusCode.INVALID_ARGUMENT,
                    f"the request is {len(raw)} bytes, over the server's request budget of"
                    f" {budget.limit} bytes (--max-queued-bytes); split it",
                )
            reservation = budget.reserve(len(raw))
            if reservation is None:
                return Refusal(
                    grpc.StatusCode.RESOURCE_EXHAUSTED,
                    f"server busy: requests in progress hold {budget.held} of {budget.limit} bytes;"
                    f" retry in {RETRY_AFTER_S:g} s",
                    RETRY_AFTER_S,
                )
        if steps and len(raw) > STEP_BYTES:
            return Deferred(raw, kind, reservation)
        try:
            message = deserializer(raw)
        except Exception as exc:  # noqa: BLE001 - whatever the parser raises, the bytes are at fault
            if reservation is not None:
                reservation.release()
            reason = str(exc)[: MAX_MESSAGE_CHARS // 2]
            return Refusal(grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a valid {name}: {reason}")
        return message if reservation is None else Admitted(message, reservation)

    return decode


class IntakeInterceptor(HandlerInterceptor):
    """Wraps every method's deserializer with `safe_deserializer`, and its behaviour so that a
    Refusal ends the call with its status and an Admitted call gives its budget back at the end.
    Refused Grader calls are counted in `metrics` by method and status."""

    def __init__(self, max_request_bytes: int, metrics: Metrics | None = None) -> None:
        self.budget = ByteBudget(max_request_bytes)
        self.metrics = metrics

    def rebuild(
        self, handler: grpc.RpcMethodHandler[Any, Any], call: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any]:
        if handler.request_deserializer is None:
            return handler
        method = call.method
        budgeted = method.startswith(BUDGETED_PREFIX)
        rpc = method.removeprefix(BUDGETED_PREFIX) if budgeted else None

        async def refuse(refusal: Refusal, context: Context, streaming: bool) -> None:
            log.info("rpc_rejected", method=method, status=refusal.code.name, reason=refusal.message)
            if self.metrics is not None and rpc is not None:
                self.metrics.rpc_finished(rpc, refusal.code.name, 0.0)
            if refusal.retry_after_s is not None:
                retry_ms = str(int(refusal.retry_after_s * 1000))
                context.set_trailing_metadata((("retry-after-ms", retry_ms),))
            if streaming:
                # As in auth: a response stream ends with its status set rather than by abort().
                context.set_code(refusal.code)
                context.set_details(refusal.message)
                return
            await context.abort(refusal.code, refusal.message)

        deserializer = safe_deserializer(handler.request_deserializer, self.budget if budgeted else None)
        return _wrapped(handler, deserializer, refuse)


Refuse = Callable[[Refusal, Context, bool], Awaitable[None]]


async def _opened(request: Any) -> tuple[Any, Reservation | None] | Refusal:
    """What `safe_deserializer` answered, as (message, the budget it holds) or a Refusal."""
    if isinstance(request, Refusal):
        return request
    if isinstance(request, Admitted):
        return request.message, request.reservation
    if not isinstance(request, Deferred):
        return request, None
    try:
        message = await parse_in_steps(request.raw, request.kind)
    except Exception as exc:  # noqa: BLE001 - whatever the parser raises, the bytes are at fault
        if request.reservation is not None:
            request.reservation.release()
        name = request.kind.DESCRIPTOR.full_name
        reason = str(exc)[: MAX_MESSAGE_CHARS // 2]
        return Refusal(grpc.StatusCode.INVALID_ARGUMENT, f"the request is not a valid {name}: {reason}")
    return message, request.reservation


def _wrapped(
    handler: grpc.RpcMethodHandler[Any, Any], deserializer: Callable[[bytes], Any], refuse: Refuse
) -> grpc.RpcMethodHandler[Any, Any]:
    inner: Any = handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream

    async def checked(requests: AsyncIterator[Any], context: Context) -> AsyncIterator[Any]:
        async for request in requests:
            opened = await _opened(request)
            if isinstance(opened, Refusal):
                await refuse(opened, context, False)
                return
            yield opened[0]

    async def single(request: Any, context: Context) -> Any:
        if handler.request_streaming:
            return await inner(checked(request, context), context)
        opened = await _opened(request)
        if isinstance(opened, Refusal):
            await refuse(opened, context, False)
            return None
        message, reservation = opened
        try:
            return await inner(message, context)
        finally:
            if reservation is not None:
                reservation.release()

    async def streaming(request: Any, context: Context) -> AsyncIterator[Any]:
        if handler.request_streaming:
            async for response in responses(inner(checked(request, context), context)):
                yield response
            return
        opened = await _opened(request)
        if isinstance(opened, Refusal):
            await refuse(opened, context, True)
            return
        message, reservation = opened
        try:
            async for response in responses(inner(message, context)):
                yield response
        finally:
            if reservation is not None:
                reservation.release()

    make = HANDLER_OF_KIND[handler.request_streaming, handler.response_streaming]
    return make(
        streaming if handler.response_streaming else single,
        request_deserializer=deserializer,
        response_serializer=handler.response_serializer,
    )
