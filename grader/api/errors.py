"""The one place where domain errors become gRPC statuses.

A candidate's crash, timeout or OOM is not an RPC error: it is a verdict in an OK response. These
are errors the caller can act on.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, TypeVar

import grpc
import structlog

from grader.admission import OverloadedError
from grader.bank.store import BankOpenError
from grader.grading import InvalidSubmissionError, QuestionNotFoundError, SandboxUnavailableError
from grader.metrics import Metrics
from grader.service import InvalidQueryError

log = structlog.get_logger(__name__)


STATUS_OF: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (InvalidSubmissionError, grpc.StatusCode.INVALID_ARGUMENT),
    (InvalidQueryError, grpc.StatusCode.INVALID_ARGUMENT),
    (QuestionNotFoundError, grpc.StatusCode.NOT_FOUND),
    (OverloadedError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (SandboxUnavailableError, grpc.StatusCode.UNAVAILABLE),
    (BankOpenError, grpc.StatusCode.UNAVAILABLE),
)

Request = TypeVar("Request")
Response = TypeVar("Response")
Handler = Callable[[Any, Request, grpc.aio.ServicerContext[Any, Any]], Awaitable[Response]]
StreamHandler = Callable[[Any, Request, grpc.aio.ServicerContext[Any, Any]], AsyncIterator[Response]]


MAX_MESSAGE_CHARS = 1024
"""Status messages travel in a header (grpc-message) that clients cap at 16 KiB: a message quoting
a huge client value (a 1 MiB question id) would turn the status into a client-side
RESOURCE_EXHAUSTED, so messages are cut to this length."""


def status_message(exc: BaseException) -> str:
    """The exception's message, cut to `MAX_MESSAGE_CHARS`."""
    text = str(exc)
    if len(text) <= MAX_MESSAGE_CHARS:
        return text
    return text[: MAX_MESSAGE_CHARS - 40] + f"... ({len(text)} characters in all)"


def status_of(exc: BaseException) -> grpc.StatusCode | None:
    for kind, code in STATUS_OF:
        if isinstance(exc, kind):
            return code
    return None


def record_rpc(servicer: object, rpc: str, code: grpc.StatusCode, started: float) -> None:
    """Counts an answered RPC in the servicer's metrics, when it has them."""
    metrics = getattr(servicer, "metrics", None)
    if isinstance(metrics, Metrics):
        metrics.rpc_finished(rpc, code.name, time.monotonic() - started)


def aborted_code(context: grpc.aio.ServicerContext[Any, Any]) -> grpc.StatusCode:
    """The status an aborted call ended with."""
    code = context.code()
    return code if isinstance(code, grpc.StatusCode) else grpc.StatusCode.UNKNOWN


def rpc_errors(handler: Handler[Request, Response]) -> Handler[Request, Response]:
    """Turns the domain errors a handler raises into statuses; anything else is INTERNAL with a
    message that names no test data. Counts every call by its final status."""

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Request, context: grpc.aio.ServicerContext[Any, Any]) -> Response:
        started = time.monotonic()
        code = grpc.StatusCode.UNKNOWN
        try:
            response = await handler(self, request, context)
            code = grpc.StatusCode.OK
            return response
        except grpc.aio.AbortError:
            code = aborted_code(context)
            raise
        except asyncio.CancelledError:
            code = grpc.StatusCode.CANCELLED  # the client went away or its deadline passed
            raise
        except Exception as exc:
            mapped = status_of(exc)
            if mapped is None:
                code = grpc.StatusCode.INTERNAL
                log.exception("rpc_failed")
                await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
                raise  # abort raised already; this line only tells the type checker
            code = mapped
            message = status_message(exc)
            log.info("rpc_rejected", status=code.name, reason=message)
            if isinstance(exc, OverloadedError):
                context.set_trailing_metadata((("retry-after-ms", str(int(exc.retry_after_s * 1000))),))
            await context.abort(code, message)
            raise
        finally:
            record_rpc(self, handler.__name__, code, started)

    return wrapper


def counted_stream(handler: StreamHandler[Request, Response]) -> StreamHandler[Request, Response]:
    """Counts a response-streaming call by its final status, as `rpc_errors` does for unary ones."""

    @functools.wraps(handler)
    async def wrapper(
        self: Any, request: Request, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[Response]:
        started = time.monotonic()
        code = grpc.StatusCode.UNKNOWN  # what grpc answers for an exception it did not expect
        try:
            async for message in handler(self, request, context):
                yield message
            code = grpc.StatusCode.OK
        except grpc.aio.AbortError:
            code = aborted_code(context)
            raise
        except (asyncio.CancelledError, GeneratorExit):
            code = grpc.StatusCode.CANCELLED
            raise
        finally:
            record_rpc(self, handler.__name__, code, started)

    return wrapper
