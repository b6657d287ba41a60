"""--max-connection-age-s: the server closes old client connections so clients rebalance across
replicas; calls running on a closed connection get a grace (default an hour) to finish."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from grader import config
from grader.api.server import GraderServer, ServerSettings, connection_age_options
from grader.bank.store import BankStore
from grader.cli import build_parser
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.fake_sandbox import FakeSandbox, GatedSandbox
from tests.support.questions import question


def serve_args(environ: dict[str, str], *flags: str) -> float:
    args = build_parser().parse_args(["serve", "--bank", "bank.db", *flags])
    config.resolve_env(args, environ)
    age: float = args.max_connection_age_s
    return age


@contextlib.asynccontextmanager
async def young_connections(tmp_path: Path, sandbox: FakeSandbox) -> AsyncIterator[GraderServer]:
    """A real server whose connections live 0.2 s, then get 0.2 s of grace."""
    bank = tmp_path / "bank.db"
    BankStore.create(bank, [question("echo")])
    settings = ServerSettings(
        bank=bank,
        host="127.0.0.1",
        port=0,
        pool=None,
        metrics_port=None,
        health_interval_s=60,
        max_connection_age_s=0.2,
        max_connection_age_grace_s=0.2,
    )
    server = GraderServer(settings, sandbox=sandbox)  # type: ignore[arg-type]
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


class TestSetting:
    """The flag, its environment variable and the gRPC options they become."""

    def test_default_flag_and_environment(self) -> None:
        assert serve_args({}) == 300
        assert serve_args({"GRADER_MAX_CONNECTION_AGE_S": "42.5"}) == 42.5
        assert serve_args({"GRADER_MAX_CONNECTION_AGE_S": "42"}, "--max-connection-age-s", "7") == 7

    def test_options_bound_age_and_grace(self) -> None:
        settings = ServerSettings(bank=Path("bank.db"), max_connection_age_s=300)
        assert dict(connection_age_options(settings)) == {
            "grpc.max_connection_age_ms": 300_000,
            "grpc.max_connection_age_grace_ms": 3_600_000,
        }

    @pytest.mark.parametrize("value", ["-1", "-0.5"])
    def test_negative_age_is_refused(self, value: str) -> None:
        from grader.cli.serve import checked_settings

        args = build_parser().parse_args(["serve", "--bank", "bank.db", "--max-connection-age-s", value])
        config.resolve_env(args, {})
        with pytest.raises(SystemExit, match="max-connection-age-s"):
            checked_settings(args, Path("bank.db"), "127.0.0.1", 0)

    def test_zero_means_unlimited(self) -> None:
        assert connection_age_options(ServerSettings(bank=Path("bank.db"), max_connection_age_s=0)) == []


class TestServer:
    """A real server over a fake sandbox closes a connection once it is old enough."""

    async def test_old_connection_is_closed_and_client_reconnects(self, tmp_path: Path) -> None:
        async with (
            young_connections(tmp_path, FakeSandbox()) as server,
            grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel,
        ):
            stub = pb_grpc.GraderStub(channel)
            first = await stub.ListQuestions(pb.ListQuestionsRequest(), timeout=30)
            # A connection stays READY after a call unless the server closes it (GOAWAY), which may
            # already have happened on a slow machine: no clock is asserted on.
            if channel.get_state() == grpc.ChannelConnectivity.READY:
                ready = grpc.ChannelConnectivity.READY
                await asyncio.wait_for(channel.wait_for_state_change(ready), timeout=60)
            assert channel.get_state() != grpc.ChannelConnectivity.READY
            again = await stub.ListQuestions(pb.ListQuestionsRequest(), timeout=30)
            assert [q.id for q in again.questions] == [q.id for q in first.questions] == ["echo"]

    async def test_call_outliving_age_and_grace_is_unavailable(self, tmp_path: Path) -> None:
        """A call still running when the grace ends fails UNAVAILABLE: a status clients retry."""
        # The gate never opens: the grading waits for its sandbox until the connection closes.
        async with (
            young_connections(tmp_path, GatedSandbox()) as server,
            grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel,
        ):
            call = pb_grpc.GraderStub(channel).Grade(
                pb.GradeRequest(question_id="echo", code="print(input().upper())"), timeout=60
            )
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await call
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
