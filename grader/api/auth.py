"""Bearer-token authentication: who may call which method.

Off by default (the local demo is plaintext on loopback with no tokens). With
`--auth-tokens-file` and/or `--admin-tokens-file`, every call but health and reflection must
carry `authorization: Bearer <token>`; a missing or unknown token is UNAUTHENTICATED, an ordinary
token on an admin method PERMISSION_DENIED. Tokens are compared as SHA-256 digests with
`hmac.compare_digest` against every known token, so the time taken says nothing about how close a
guess was. A token never appears in a message or a log line: callers are named by their
`name:` prefix in the file (or `FILE:LINE`), bound as `caller` to every log line of the call.

Which methods need what is the table below. Default deny: a method in no table needs an admin
token, so an RPC added later is closed until it is listed. No RPC changes the bank (banks are
built offline with `grader bank build`): admin tokens are for the RPCs that would.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import hashlib
import hmac
import re
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import structlog

from grader.api.credentials import SecurityConfigError, read_file
from grader.api.handlers import HANDLER_OF_KIND, HandlerInterceptor, responses

log = structlog.get_logger(__name__)


class Access(enum.Enum):
    OPEN = "open"
    """No token: probes and tooling (health, reflection)."""
    CALLER = "caller"
    """Any valid token, ordinary or admin."""
    ADMIN = "admin"
    """An admin token."""


OPEN_SERVICES = (
    "/grpc.health.v1.Health/",
    "/grpc.reflection.v1alpha.ServerReflection/",
    "/grpc.reflection.v1.ServerReflection/",
)
CALLER_METHODS = frozenset(
    f"/grader.v1.Grader/{name}" for name in ("Grade", "GradeBatch", "ListQuestions", "GetQuestion")
)


def access_of(method: str) -> Access:
    """What `method` (`/package.Service/Method`) needs; anything not listed needs admin."""
    if method.startswith(OPEN_SERVICES):
        return Access.OPEN
    if method in CALLER_METHODS:
        return Access.CALLER
    return Access.ADMIN


MIN_TOKEN_CHARS = 16
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}")
_TOKEN = re.compile(r"[\x21-\x7e]+")  # printable ASCII, no spaces: what a metadata value can carry


@dataclass(frozen=True, slots=True)
class Token:
    name: str
    digest: bytes = field(repr=False)
    admin: bool


def digest(token: str | bytes) -> bytes:
    return hashlib.sha256(token.encode() if isinstance(token, str) else token).digest()


def parse_tokens(text: str, source: str, *, admin: bool) -> list[Token]:
    """One token a line, or `name:token`; blank lines and `#` comments are skipped. Errors name
    the file and line, never the token."""
    tokens: list[Token] = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"{source}:{number}"
        name, colon, secret = line.partition(":")
        if not colon:
            name, secret = f"{Path(source).name}:{number}", line
        elif not _NAME.fullmatch(name):
            raise SecurityConfigError(
                f"{where}: a caller name (before ':') is 1-64 letters, digits, '.', '_', '@' or '-'"
            )
        if not _TOKEN.fullmatch(secret):
            raise SecurityConfigError(f"{where}: a token is printable ASCII without spaces")
        if len(secret) < MIN_TOKEN_CHARS:
            raise SecurityConfigError(
                f"{where}: a token has at least {MIN_TOKEN_CHARS} characters (try `openssl rand -hex 32`)"
            )
        tokens.append(Token(name, digest(secret), admin))
    return tokens


class TokenTable:
    """The tokens a server accepts; `find` compares against every one of them."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        seen_names: set[str] = set()
        seen_digests: set[bytes] = set()
        for token in tokens:
            if token.name in seen_names:
                raise SecurityConfigError(f"caller name {token.name!r} is given to two tokens")
            if token.digest in seen_digests:
                raise SecurityConfigError(f"the token named {token.name!r} is listed twice")
            seen_names.add(token.name)
            seen_digests.add(token.digest)
        self.tokens = tuple(tokens)

    @property
    def has_admins(self) -> bool:
        return any(t.admin for t in self.tokens)

    @classmethod
    def load(cls, callers: Path | None, admins: Path | None) -> TokenTable | None:
        """The tokens of both files; None when neither is given (authentication off)."""
        tokens: list[Token] = []
        for path, flag, admin in (
            (callers, "--auth-tokens-file", False),
            (admins, "--admin-tokens-file", True),
        ):
            if path is None:
                continue
            try:
                text = read_file(path, flag).decode("utf-8")
            except UnicodeDecodeError as exc:
                raise SecurityConfigError(f"{flag} {path}: not UTF-8 text") from exc
            found = parse_tokens(text, str(path), admin=admin)
            if not found:
                raise SecurityConfigError(f"{flag} {path}: no token in it (every call would be refused)")
            tokens += found
        return cls(tokens) if callers is not None or admins is not None else None

    def find(self, presented: str) -> Token | None:
        wanted = digest(presented)
        match = None
        for token in self.tokens:  # no early exit: every token is compared
            if hmac.compare_digest(token.digest, wanted):
                match = token
        return match


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a call may go on: `code` is None when it may."""

    caller: str | None = None
    code: grpc.StatusCode | None = None
    message: str = ""


def _bearer(metadata: Iterable[tuple[str, Any]]) -> str | Decision | None:
    values = [value for key, value in metadata if key == "authorization"]
    if not values:
        return None
    scheme, _, token = str(values[0]).partition(" ")
    if len(values) > 1 or scheme.lower() != "bearer" or not token.strip():
        return Decision(
            code=grpc.StatusCode.UNAUTHENTICATED,
            message="send one 'authorization' metadata entry of the form 'Bearer <token>'",
        )
    return token.strip()


def decide(tokens: TokenTable | None, method: str, metadata: Iterable[tuple[str, Any]]) -> Decision:
    """The rule of this module, without gRPC's machinery (so it is unit-tested directly)."""
    access = access_of(method)
    if access is Access.OPEN:
        return Decision()
    if tokens is None or not tokens.has_admins:
        if access is Access.ADMIN:
            return Decision(
                code=grpc.StatusCode.PERMISSION_DENIED,
                message=f"{method} needs an admin token, and the server has no --admin-tokens-file",
            )
        if tokens is None:
            return Decision()
    presented = _bearer(metadata)
    if isinstance(presented, Decision):
        return presented
    if presented is None:
        return Decision(
            code=grpc.StatusCode.UNAUTHENTICATED,
            message="missing credentials: send metadata 'authorization: Bearer <token>'",
        )
    token = tokens.find(presented)
    if token is None:
        return Decision(code=grpc.StatusCode.UNAUTHENTICATED, message="the bearer token is not valid")
    if access is Access.ADMIN and not token.admin:
        return Decision(
            caller=token.name,
            code=grpc.StatusCode.PERMISSION_DENIED,
            message=f"{method} needs an admin token; caller {token.name!r} has an ordinary one",
        )
    return Decision(caller=token.name)


Context = grpc.aio.ServicerContext[Any, Any]


class AuthInterceptor(HandlerInterceptor):
    """Applies `decide` to every call, and binds the caller's name (the token's, else the client
    certificate's common name under mutual TLS) to the call's log lines."""

    def __init__(self, callers_file: Path | None = None, admins_file: Path | None = None) -> None:
        self.files = (callers_file, admins_file)
        self.tokens = TokenTable.load(callers_file, admins_file)

    def reload(self) -> None:
        """Rereads the token files (on SIGHUP); a file that fails keeps the tokens in force."""
        try:
            tokens = TokenTable.load(*self.files)
        except SecurityConfigError as exc:
            log.error("auth_tokens_reload_failed", reason=str(exc))
            return
        self.tokens = tokens
        log.info("auth_tokens_reloaded", tokens=len(tokens.tokens) if tokens else 0)

    def rebuild(
        self, handler: grpc.RpcMethodHandler[Any, Any], call: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any]:
        method = call.method
        if access_of(method) is Access.OPEN:
            return handler
        decision = decide(self.tokens, method, call.invocation_metadata)

        def bind_caller(context: Context) -> None:
            caller = decision.caller or _certificate_name(context)
            if caller:
                structlog.contextvars.bind_contextvars(caller=caller)

        if decision.code is not None:
            return _refusal(handler, decision, method, bind_caller)
        return _guarded(handler, bind_caller)


def _refusal(
    handler: grpc.RpcMethodHandler[Any, Any],
    decision: Decision,
    method: str,
    bind_caller: Callable[[Context], None],
) -> grpc.RpcMethodHandler[Any, Any]:
    """A handler that ends the call with the decision's status without decoding its request: it
    takes requests as a stream (a unary request would be received and decoded whole first).

    A unary request arrives with the client's half-close, and is never asked for. A streamed one
    is read as bytes, undecoded, until the client half-closes (`_until_half_closed`): a grpc.aio
    client whose request iterator is still writing when the status arrives has its failed write
    overwrite that status with INTERNAL "Internal error from Core" (grpc/grpc#36066), so ending the
    call first answered INTERNAL to about one refused stream-stream call in six."""
    code, message = decision.code or grpc.StatusCode.UNAUTHENTICATED, decision.message
    streamed = handler.request_streaming

    async def refuse(requests: Any, context: Context) -> AsyncIterator[Any]:
        bind_caller(context)
        log.warning("rpc_refused", method=method, status=code.name, reason=message)
        if streamed:
            await _until_half_closed(requests)
        context.set_code(code)
        context.set_details(message)
        return
        yield  # an async generator: a streamed response of nothing

    return grpc.stream_stream_rpc_method_handler(
        refuse,
        request_deserializer=None if streamed else handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )


REFUSED_STREAM_BYTES = 64 << 10
"""Undecoded request bytes a refused client-streaming call may send before its status: HTTP/2's
default initial window, what flow control lets in unasked anyway."""
REFUSED_STREAM_S = 1.0
"""How long a refused client-streaming call may take to half-close before its status."""


async def _until_half_closed(requests: AsyncIterator[bytes]) -> None:
    """Returns when the client has sent its last request, or has sent more than
    `REFUSED_STREAM_BYTES` or taken longer than `REFUSED_STREAM_S`: a client that streams more is
    answered at once, and may then see INTERNAL instead of the status (the bug above)."""
    taken = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(REFUSED_STREAM_S):
            async for request in requests:
                taken += len(request)
                if taken > REFUSED_STREAM_BYTES:
                    return


def _certificate_name(context: Context) -> str | None:
    names = list(context.auth_context().get("x509_common_name", ()))
    return names[0].decode(errors="replace") if names else None


def _guarded(
    handler: grpc.RpcMethodHandler[Any, Any], guard: Callable[[Context], None]
) -> grpc.RpcMethodHandler[Any, Any]:
    """`handler` with `guard` run first, of the same kind (unary or streaming either way)."""
    inner: Any = handler.unary_unary or handler.unary_stream or handler.stream_unary or handler.stream_stream

    async def single(request: Any, context: Context) -> Any:
        guard(context)
        return await inner(request, context)

    async def streaming(request: Any, context: Context) -> AsyncIterator[Any]:
        guard(context)
        async for response in responses(inner(request, context)):
            yield response

    make = HANDLER_OF_KIND[handler.request_streaming, handler.response_streaming]
    return make(
        streaming if handler.response_streaming else single,
        request_deserializer=handler.request_deserializer,
        response_serializer=handler.response_serializer,
    )
