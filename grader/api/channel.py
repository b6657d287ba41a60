"""The client's side of the server's security: plaintext, TLS or mutual TLS, and a bearer token.

The one place clients (`grader eval`, `GraderClient`, scripts) get their channel or its
credentials, so that they all speak every mode the server can be configured in.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import grpc

from grader.api.credentials import SecurityConfigError, channel_credentials

_TOKEN = re.compile(r"[\x21-\x7e]+")


def client_credentials(
    tls_ca: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    token: str | None = None,
    *,
    tls: bool = False,
) -> grpc.ChannelCredentials | None:
    """What `make_channel` connects with; None for plaintext without a token.

    TLS when `tls` or any TLS file is given: the server's certificate is checked against `tls_ca`
    (the system's roots without it); `tls_cert`/`tls_key` are the client's certificate for mutual
    TLS. `token` is sent as `authorization: Bearer <token>` on every call. Without TLS, a token
    goes only to a loopback address (gRPC's local credentials refuse any other), never in clear
    text across a network.

    Raises SecurityConfigError for an unreadable or malformed file or token."""
    if token is not None and not _TOKEN.fullmatch(token):
        raise SecurityConfigError("the token must be printable ASCII without spaces")
    credentials: grpc.ChannelCredentials
    if tls or tls_ca is not None or tls_cert is not None or tls_key is not None:
        credentials = channel_credentials(tls_ca, tls_cert, tls_key)
    elif token is not None:
        credentials = grpc.local_channel_credentials(grpc.LocalConnectionType.LOCAL_TCP)
    else:
        return None
    if token is not None:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.access_token_call_credentials(token)
        )
    return credentials


def make_channel(
    address: str,
    tls_ca: Path | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    token: str | None = None,
    *,
    tls: bool = False,
    options: Sequence[tuple[str, Any]] = (),
) -> grpc.aio.Channel:
    """A channel to `address` (HOST:PORT), made in the event loop that uses it; the arguments
    are those of `client_credentials`."""
    credentials = client_credentials(tls_ca, tls_cert, tls_key, token, tls=tls)
    if credentials is None:
        return grpc.aio.insecure_channel(address, options=list(options))
    return grpc.aio.secure_channel(address, credentials, options=list(options))
