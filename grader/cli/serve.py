"""`grader serve`: the gRPC API over a bank, with the settings of grader/cli/settings.py."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

import structlog

from grader import config, logs
from grader.api.server import ServerSettings
from grader.cli import settings
from grader.sandbox.router import SandboxConfigError, environments


def add_parser(sub: Any) -> None:
    serve = sub.add_parser("serve", help="serve the gRPC API")
    bank = settings.LISTEN[0]
    # Required unless its variable names a bank: argparse then takes the variable's value.
    bank.add_to(serve, type=str, required=not bank.in_env())
    config.add_settings(serve, settings.LISTEN[1:] + settings.GRADING + settings.SECURITY)
    serve.set_defaults(func=cmd_serve)


def start_logging(args: argparse.Namespace) -> None:
    """Logs at the command's level, starting with the settings it runs with (secrets masked)."""
    logs.configure(args.log_level)
    structlog.get_logger("grader.cli").info("effective_config", **config.effective(args))


def checked_settings(
    args: argparse.Namespace, bank: Path, host: str, port: int, metrics_port: int | None = None
) -> ServerSettings:
    """The server's settings from `args`; SystemExit naming the flag and the variable of the first
    value out of its bounds."""
    for setting, problem in config.out_of_bounds(settings.GRADING, args):
        value = getattr(args, setting.dest)
        raise SystemExit(f"grader: {setting.flag} ({setting.variable}) {problem}, got {value}")
    server = settings.server_settings(vars(args), bank, host, port, metrics_port)
    try:
        environments(server.docker, server.pool, server.images, server.image_pools)
    except SandboxConfigError as exc:
        raise SystemExit(f"grader: --images / --image-pools: {exc}") from None
    return server


def cmd_serve(args: argparse.Namespace) -> int:
    from grader.api.credentials import SecurityConfigError
    from grader.api.limits import ConnectionCapError
    from grader.api.server import GraderServer
    from grader.bank.store import BankOpenError
    from grader.metrics import MetricsPortError

    server_settings = checked_settings(
        args, Path(args.bank), args.host, args.port, metrics_port=args.metrics_port or None
    )
    start_logging(args)

    async def serve() -> int:
        # The gRPC server binds to the running loop, so it is made inside it.
        try:
            server = GraderServer(server_settings)
        except (BankOpenError, SecurityConfigError, ConnectionCapError, SandboxConfigError) as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return 2
        try:
            await server.run_until_signal()
        except MetricsPortError as exc:
            print(f"grader: {exc}", file=sys.stderr)
            return 2
        return 0

    return asyncio.run(serve())
