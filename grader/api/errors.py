"""The one place where domain errors become gRPC statuses.

A candidate's crash, timeout or OOM is not an RPC error: it is a verdict in an OK response. These
are errors the caller can act on.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import grpc
import structlog

from grader.bank.store import BankOpenError
from grader.grading import InvalidSubmissionError, OverloadedError, QuestionNotFoundError
from grader.sandbox.interface import SandboxUnavailableError

log = structlog.get_logger(__name__)

STATUS_OF: tuple[tuple[type[BaseException], grpc.StatusCode], ...] = (
    (InvalidSubmissionError, grpc.StatusCode.INVALID_ARGUMENT),
    (QuestionNotFoundError, grpc.StatusCode.NOT_FOUND),
    (OverloadedError, grpc.StatusCode.RESOURCE_EXHAUSTED),
    (SandboxUnavailableError, grpc.StatusCode.UNAVAILABLE),
    (BankOpenError, grpc.StatusCode.UNAVAILABLE),
)

Request = TypeVar("Request")
Response = TypeVar("Response")
Handler = Callable[[Any, Request, grpc.aio.ServicerContext[Any, Any]], Awaitable[Response]]


def status_of(exc: BaseException) -> grpc.StatusCode | None:
    for kind, code in STATUS_OF:
        if isinstance(exc, kind):
            return code
    return None


def rpc_errors(handler: Handler[Request, Response]) -> Handler[Request, Response]:
    """Turns the domain errors a handler raises into statuses; anything else is INTERNAL with a
    message that names no test data."""

    @functools.wraps(handler)
    async def wrapper(self: Any, request: Request, context: grpc.aio.ServicerContext[Any, Any]) -> Response:
        try:
            return await handler(self, request, context)
        except grpc.aio.AbortError:
            raise
        except Exception as exc:
            code = status_of(exc)
            if code is None:
                log.exception("rpc_failed")
                await context.abort(grpc.StatusCode.INTERNAL, "internal error; see the server log")
                raise  # abort raised already; this line only tells the type checker
            log.info("rpc_rejected", status=code.name, reason=str(exc))
            if isinstance(exc, OverloadedError):
                context.set_trailing_metadata((("retry-after-ms", str(int(exc.retry_after_s * 1000))),))
            await context.abort(code, str(exc))
            raise

    return wrapper
