"""TLS credentials for the server and its clients, checked when they are loaded.

Every file is read and parsed at start (Python's ssl module checks the PEM and that the key
matches the certificate), so a wrong path or a mismatched pair is a clear error then, not an
obscure handshake failure at the first call. Messages name the file, never its content.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import grpc


class SecurityConfigError(Exception):
    """A TLS or token setting that cannot work; the message names the flag and the file."""


def read_file(path: Path, flag: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise SecurityConfigError(f"{flag} {path}: cannot read it ({exc.strerror or exc})") from exc


class _EncryptedKeyError(Exception):
    pass


def _no_passphrase() -> bytes:
    raise _EncryptedKeyError


def _check_pair(cert: Path, key: Path, cert_flag: str, key_flag: str) -> None:
    """The certificate chain and key are PEM, the key is not encrypted and belongs to the cert."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_cert_chain(cert, key, password=_no_passphrase)
    except _EncryptedKeyError as exc:
        raise SecurityConfigError(f"{key_flag} {key}: the key is encrypted; give it unencrypted") from exc
    except ssl.SSLError as exc:
        raise SecurityConfigError(
            f"{cert_flag} {cert} / {key_flag} {key}: not a PEM certificate and its unencrypted"
            f" private key ({exc.reason or exc})"
        ) from exc


def _check_ca(pem: bytes, path: Path, flag: str) -> None:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    try:
        context.load_verify_locations(cadata=pem.decode("ascii", errors="replace"))
    except (ssl.SSLError, ValueError) as exc:
        raise SecurityConfigError(f"{flag} {path}: not PEM CA certificates ({exc})") from exc


def _pair(cert: Path | None, key: Path | None, cert_flag: str, key_flag: str) -> tuple[bytes, bytes] | None:
    if cert is None and key is None:
        return None
    if cert is None or key is None:
        raise SecurityConfigError(f"{cert_flag} and {key_flag} go together: give both or neither")
    cert_pem, key_pem = read_file(cert, cert_flag), read_file(key, key_flag)
    _check_pair(cert, key, cert_flag, key_flag)
    return cert_pem, key_pem


def server_credentials(
    cert: Path | None, key: Path | None, client_ca: Path | None
) -> grpc.ServerCredentials | None:
    """TLS with `cert`/`key`; with `client_ca`, clients must present a certificate it signed
    (mutual TLS). None when neither is set: plaintext."""
    pair = _pair(cert, key, "--tls-cert", "--tls-key")
    if pair is None:
        if client_ca is not None:
            raise SecurityConfigError(
                "--tls-client-ca needs --tls-cert and --tls-key: mutual TLS is TLS first"
            )
        return None
    ca_pem = None
    if client_ca is not None:
        ca_pem = read_file(client_ca, "--tls-client-ca")
        _check_ca(ca_pem, client_ca, "--tls-client-ca")
    cert_pem, key_pem = pair
    return grpc.ssl_server_credentials(
        [(key_pem, cert_pem)], root_certificates=ca_pem, require_client_auth=ca_pem is not None
    )


def channel_credentials(ca: Path | None, cert: Path | None, key: Path | None) -> grpc.ChannelCredentials:
    """TLS for a client: the server verified against `ca` (the system's roots when None), and a
    client certificate for mutual TLS when `cert`/`key` are given."""
    ca_pem = None
    if ca is not None:
        ca_pem = read_file(ca, "--tls-ca")
        _check_ca(ca_pem, ca, "--tls-ca")
    pair = _pair(cert, key, "--tls-cert", "--tls-key")
    return grpc.ssl_channel_credentials(
        root_certificates=ca_pem,
        private_key=pair[1] if pair else None,
        certificate_chain=pair[0] if pair else None,
    )
