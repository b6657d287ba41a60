"""TLS, mutual TLS and bearer tokens on a real server grading in the real Docker engine, with
certificates made at test time: the wrong client is refused at the handshake or with
UNAUTHENTICATED, the right one is graded, probes stay open, and no token is ever logged."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.certificates import Pair, Pki, make_pki
from tests.support.server import RunningServer, require_docker, start_server, write_jsonl

TOKEN = "evaluator-5f0c2a9e1d7b43c8a6e4"
WRONG_TOKEN = "intruder-0a1b2c3d4e5f60718293"
GOOD = "a, b = map(int, input().split())\nprint(a + b)\n"
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_server(
    bank_path: Path, server_log: io.StringIO, pki: Pki, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """TLS and bearer tokens: the production recommendation without client certificates."""
    require_docker()
    tokens = tmp_path_factory.mktemp("tokens") / "tokens"
    tokens.write_text(f"# evaluators\nbench-runner:{TOKEN}\n")
    running = start_server(
        bank_path,
        pool=PoolSettings(size=1),
        tls_cert=pki.server.cert,
        tls_key=pki.server.key,
        auth_tokens_file=tokens,
    )
    yield running
    running.stop()


@pytest.fixture(scope="module")
def mtls_server(bank_path: Path, server_log: io.StringIO, pki: Pki) -> Iterator[RunningServer]:
    require_docker()
    running = start_server(
        bank_path,
        pool=PoolSettings(size=1),
        tls_cert=pki.server.cert,
        tls_key=pki.server.key,
        tls_client_ca=pki.ca,
    )
    yield running
    running.stop()


def tls_channel(server: RunningServer, ca: Path, client: Pair | None = None) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(
        root_certificates=ca.read_bytes(),
        private_key=client.key.read_bytes() if client else None,
        certificate_chain=client.cert.read_bytes() if client else None,
    )
    return grpc.secure_channel(server.address, credentials)


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


def grade_status(channel: grpc.Channel, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.StatusCode:
    """The status of a Grade call; a graded call must be ACCEPTED."""
    try:
        response = pb_grpc.GraderStub(channel).Grade(
            pb.GradeRequest(question_id="it/add", code=GOOD), timeout=300, metadata=metadata
        )
    except grpc.RpcError as exc:
        return exc.code()  # type: ignore[attr-defined, no-any-return]
    assert response.verdict == pb.ACCEPTED, response
    return grpc.StatusCode.OK


def batch_status(channel: grpc.Channel, metadata: tuple[tuple[str, str], ...] = ()) -> grpc.StatusCode:
    """The status of a GradeBatch stream of two submissions; a graded one must be all ACCEPTED."""
    request = pb.GradeBatchRequest(submissions=[pb.GradeRequest(question_id="it/add", code=GOOD)] * 2)
    try:
        messages = list(pb_grpc.GraderStub(channel).GradeBatch(request, timeout=300, metadata=metadata))
    except grpc.RpcError as exc:
        return exc.code()  # type: ignore[attr-defined, no-any-return]
    results = [m.result for m in messages if m.HasField("result")]
    assert [r.verdict for r in results] == [pb.ACCEPTED] * 2, messages
    return grpc.StatusCode.OK


def health_status(channel: grpc.Channel) -> int:
    response = health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=30)
    return int(response.status)


class TestTls:
    """Only a client that verifies the server's certificate gets through."""

    def test_plaintext_client_is_refused(self, tls_server: RunningServer) -> None:
        with grpc.insecure_channel(tls_server.address) as channel:
            assert grade_status(channel, bearer(TOKEN)) == grpc.StatusCode.UNAVAILABLE

    def test_client_trusting_another_ca_is_refused(self, tls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(tls_server, pki.other_ca) as channel:
            assert grade_status(channel, bearer(TOKEN)) == grpc.StatusCode.UNAVAILABLE

    def test_right_ca_grades(self, tls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(tls_server, pki.ca) as channel:
            assert grade_status(channel, bearer(TOKEN)) == grpc.StatusCode.OK


class TestBearerTokens:
    """No or a wrong token is UNAUTHENTICATED on unary and streaming calls; probes need none;
    the token is never logged nor echoed."""

    def test_unary(self, tls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(tls_server, pki.ca) as channel:
            assert grade_status(channel) == grpc.StatusCode.UNAUTHENTICATED
            assert grade_status(channel, bearer(WRONG_TOKEN)) == grpc.StatusCode.UNAUTHENTICATED
            assert grade_status(channel, (("authorization", TOKEN),)) == grpc.StatusCode.UNAUTHENTICATED
            assert grade_status(channel, bearer(TOKEN)) == grpc.StatusCode.OK

    def test_streaming(self, tls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(tls_server, pki.ca) as channel:
            assert batch_status(channel) == grpc.StatusCode.UNAUTHENTICATED
            assert batch_status(channel, bearer(WRONG_TOKEN)) == grpc.StatusCode.UNAUTHENTICATED
            assert batch_status(channel, bearer(TOKEN)) == grpc.StatusCode.OK

    def test_other_methods(self, tls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(tls_server, pki.ca) as channel:
            stub = pb_grpc.GraderStub(channel)
            with pytest.raises(grpc.RpcError) as info:
                stub.ListQuestions(pb.ListQuestionsRequest(), timeout=30)
            assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED  # type: ignore[attr-defined]
            listed = stub.ListQuestions(pb.ListQuestionsRequest(), timeout=30, metadata=bearer(TOKEN))
            assert listed.bank_size > 0

    def test_probes_need_no_token(self, tls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(tls_server, pki.ca) as channel:
            assert health_status(channel) == health_pb2.HealthCheckResponse.SERVING
            reflection = reflection_pb2_grpc.ServerReflectionStub(channel)
            answers = list(
                reflection.ServerReflectionInfo(
                    iter([reflection_pb2.ServerReflectionRequest(list_services="")]), timeout=30
                )
            )
            names = {s.name for s in answers[0].list_services_response.service}
            assert "grader.v1.Grader" in names

    def test_token_is_never_echoed_nor_logged(
        self, tls_server: RunningServer, pki: Pki, server_log: io.StringIO
    ) -> None:
        with tls_channel(tls_server, pki.ca) as channel:
            with pytest.raises(grpc.RpcError) as info:
                pb_grpc.GraderStub(channel).Grade(
                    pb.GradeRequest(question_id="it/add", code=GOOD), timeout=30, metadata=bearer(WRONG_TOKEN)
                )
            assert WRONG_TOKEN not in str(info.value.details())  # type: ignore[attr-defined]
            assert grade_status(channel, bearer(TOKEN)) == grpc.StatusCode.OK
        log = server_log.getvalue()
        assert TOKEN not in log and WRONG_TOKEN not in log
        lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
        assert any(e.get("event") == "graded" and e.get("caller") == "bench-runner" for e in lines)
        assert any(e.get("event") == "rpc_refused" and e.get("status") == "UNAUTHENTICATED" for e in lines)

    def test_grader_eval_with_tls_ca_and_token_from_env(
        self, tls_server: RunningServer, pki: Pki, tmp_path: Path
    ) -> None:
        samples = write_jsonl(
            tmp_path / "s.jsonl",
            [{"question_id": "it/add", "code": GOOD}, {"question_id": "it/add", "code": "print(0)\n"}],
        )
        out = tmp_path / "results.jsonl"
        command = [sys.executable, "-m", "grader.cli", "eval", "--server", tls_server.address, str(samples),
                   "--out", str(out), "--no-progress", "--tls-ca", str(pki.ca)]  # fmt: skip
        environ = {k: v for k, v in os.environ.items() if k != "GRADER_TOKEN"}
        refused = subprocess.run(command, capture_output=True, text=True, cwd=REPO, env=environ,
                                 timeout=600, check=False)  # fmt: skip
        assert [json.loads(line)["verdict"] for line in out.read_text().splitlines()] == [
            "ERROR_UNAUTHENTICATED"
        ] * 2, refused.stderr
        result = subprocess.run(command, capture_output=True, text=True, cwd=REPO,
                                env={**environ, "GRADER_TOKEN": TOKEN}, timeout=600, check=False)  # fmt: skip
        assert result.returncode == 0, result.stderr
        verdicts = [json.loads(line)["verdict"] for line in out.read_text().splitlines()]
        assert verdicts == ["ACCEPTED", "WRONG_ANSWER"]
        assert TOKEN not in result.stdout + result.stderr


class TestMutualTls:
    """Only a client certificate signed by --tls-client-ca gets through; its name is logged."""

    def test_no_client_certificate_is_refused(self, mtls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(mtls_server, pki.ca) as channel:
            assert grade_status(channel) == grpc.StatusCode.UNAVAILABLE

    def test_certificate_of_another_ca_is_refused(self, mtls_server: RunningServer, pki: Pki) -> None:
        with tls_channel(mtls_server, pki.ca, pki.stranger) as channel:
            assert grade_status(channel) == grpc.StatusCode.UNAVAILABLE

    def test_right_certificate_grades(
        self, mtls_server: RunningServer, pki: Pki, server_log: io.StringIO
    ) -> None:
        with tls_channel(mtls_server, pki.ca, pki.client) as channel:
            assert grade_status(channel) == grpc.StatusCode.OK
            assert batch_status(channel) == grpc.StatusCode.OK
        lines = [json.loads(line) for line in server_log.getvalue().splitlines() if line.startswith("{")]
        assert any(e.get("event") == "graded" and e.get("caller") == "evaluator" for e in lines)
