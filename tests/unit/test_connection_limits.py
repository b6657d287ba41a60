"""Connection limits: the gRPC arguments they become, the descriptor budget, and their flags."""

from __future__ import annotations

import resource

import pytest

from grader import cli, config
from grader.api.limits import (
    FD_RESERVE,
    MIN_CONNECTIONS,
    ConnectionCapError,
    ConnectionLimits,
    fit_to_fd_limit,
    message_limits,
    raise_fd_limit,
)
from grader.cli.serve import checked_settings


def test_options() -> None:
    options = dict(ConnectionLimits().options())
    assert options["grpc.max_allowed_incoming_connections"] == 1000
    assert options["grpc.max_concurrent_streams"] == 100
    assert options["grpc.server_handshake_timeout_ms"] == 5000
    assert options["grpc.max_connection_idle_ms"] == 300_000
    assert options["grpc.keepalive_time_ms"] == 60_000
    assert options["grpc.http2.max_ping_strikes"] == 2
    assert "grpc.max_connection_idle_ms" not in dict(ConnectionLimits(idle_timeout_s=0).options())


def test_cap_is_lowered_to_leave_the_reserve() -> None:
    limits = ConnectionLimits(max_connections=1000)
    assert fit_to_fd_limit(limits, 1 << 16) is limits
    assert fit_to_fd_limit(limits, 1024).max_connections == 1024 - FD_RESERVE
    with pytest.raises(ConnectionCapError, match="raise the limit"):
        fit_to_fd_limit(limits, FD_RESERVE + MIN_CONNECTIONS - 1)


def test_fd_limit_raised_to_hard() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    assert raise_fd_limit() == resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if hard != resource.RLIM_INFINITY:
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == hard
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_message_limits() -> None:
    limits = message_limits(1 << 20, 256 << 20)
    assert limits["/grader.v1.Grader/Grade"] == (2 << 20) + (64 << 10)
    assert limits["/grader.v1.Grader/GradeBatch"] == 256 << 20


def settings_of(environ: dict[str, str], *flags: str):  # type: ignore[no-untyped-def]
    args = cli.build_parser().parse_args(["serve", "--bank", "bank.db", *flags])
    config.resolve_env(args, environ)
    return checked_settings(args, args.bank, "127.0.0.1", 0)


def test_flags_and_variables() -> None:
    settings = settings_of(
        {"GRADER_MAX_CONNECTIONS": "50", "GRADER_IDLE_TIMEOUT_S": "0"},
        "--handshake-timeout-s", "2", "--max-streams-per-connection", "8", "--keepalive-s", "30",
        "--max-batch-bytes", "1000000",
    )  # fmt: skip
    assert settings.connections == ConnectionLimits(
        max_connections=50, max_streams=8, handshake_timeout_s=2.0, idle_timeout_s=0.0, keepalive_s=30.0
    )
    assert settings.max_batch_bytes == 1_000_000


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--max-connections", "0", "must be positive"),
        ("--handshake-timeout-s", "0", "must be positive"),
        ("--idle-timeout-s", "-1", "must not be negative"),
        ("--max-batch-bytes", "0", "must be positive"),
    ],
)
def test_bad_values(flag: str, value: str, words: str) -> None:
    with pytest.raises(SystemExit, match=words):
        settings_of({}, flag, value)
