"""Throwaway certificate authorities for TLS tests, made with the `openssl` CLI (EC P-256 keys:
fast to generate). Nothing here is secret: every file lives in a test's tmp_path."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Pair:
    cert: Path
    key: Path


@dataclass(frozen=True)
class Pki:
    ca: Path
    """The CA that signed `server` and `client`."""
    server: Pair
    """For 127.0.0.1 and localhost."""
    client: Pair
    other_ca: Path
    stranger: Pair
    """A client certificate signed by `other_ca`, not by `ca`."""


def _openssl(*args: str | Path) -> None:
    subprocess.run(["openssl", *map(str, args)], check=True, capture_output=True, timeout=60)


def _authority(directory: Path, name: str) -> Pair:
    pair = Pair(directory / f"{name}.pem", directory / f"{name}.key")
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", pair.key)
    _openssl(
        "req", "-x509", "-new", "-key", pair.key, "-out", pair.cert, "-days", "2", "-subj", f"/CN={name}"
    )
    return pair


def _leaf(directory: Path, name: str, ca: Pair, alt_names: str) -> Pair:
    pair = Pair(directory / f"{name}.pem", directory / f"{name}.key")
    csr, extensions = directory / f"{name}.csr", directory / f"{name}.ext"
    _openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", pair.key)
    _openssl("req", "-new", "-key", pair.key, "-out", csr, "-subj", f"/CN={name}")
    extensions.write_text(f"subjectAltName={alt_names}\nbasicConstraints=CA:FALSE\n")
    _openssl("x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-CAcreateserial",
             "-out", pair.cert, "-days", "2", "-extfile", extensions)  # fmt: skip
    return pair


def make_pki(directory: Path) -> Pki:
    directory.mkdir(parents=True, exist_ok=True)
    ca, other_ca = _authority(directory, "test-ca"), _authority(directory, "other-ca")
    return Pki(
        ca=ca.cert,
        server=_leaf(directory, "server", ca, "IP:127.0.0.1,DNS:localhost"),
        client=_leaf(directory, "evaluator", ca, "DNS:evaluator"),
        other_ca=other_ca.cert,
        stranger=_leaf(directory, "stranger", other_ca, "DNS:stranger"),
    )
