"""What the interceptors share: rebuilding a gRPC method handler around a wrapped behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from typing import Any

import grpc


async def responses(result: Any) -> AsyncIterator[Any]:
    """A streaming behaviour is an async generator, or a coroutine that writes with context.write."""
    if isinstance(result, Awaitable):
        await result
        return
    async for response in result:
        yield response


HANDLER_OF_KIND = {  # (request streaming, response streaming) -> how to make such a handler
    (False, False): grpc.unary_unary_rpc_method_handler,
    (False, True): grpc.unary_stream_rpc_method_handler,
    (True, False): grpc.stream_unary_rpc_method_handler,
    (True, True): grpc.stream_stream_rpc_method_handler,
}
