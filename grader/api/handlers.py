"""What the interceptors share: rebuilding a gRPC method handler around a wrapped behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
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


class HandlerInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[type-arg]
    """An interceptor that rebuilds the handler of every method the server has (`rebuild`); a
    method it does not have (no handler) is passed on untouched, for gRPC to answer UNIMPLEMENTED."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        return self.rebuild(handler, handler_call_details)

    def rebuild(
        self, handler: grpc.RpcMethodHandler[Any, Any], call: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any]:
        raise NotImplementedError
