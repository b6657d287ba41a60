"""Each method's largest request, checked on the received bytes before they are decoded: a Grade
needs far less than a GradeBatch, a question look-up or a health check less still."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from grader.api.limits import GRADE_OVERHEAD_BYTES, SMALL_MESSAGE_BYTES
from grader.api.server import ServerSettings
from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer

MAX_CODE = ServerSettings(bank=Path()).max_code_bytes
GOOD = "a, b = map(int, input().split())\nprint(a + b)\n"


def refused_for_size(call: object) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT, info.value.details()  # type: ignore[attr-defined]
    return info.value


def test_grade_past_its_limit(server: RunningServer) -> None:
    code = "#" * (2 * MAX_CODE + GRADE_OVERHEAD_BYTES)
    error = refused_for_size(
        lambda: server.stub.Grade(pb.GradeRequest(question_id="it/add", code=code), timeout=60)
    )
    assert "this method takes at most" in error.details()  # type: ignore[attr-defined]


def test_code_just_over_its_limit_gets_the_clear_error(server: RunningServer) -> None:
    with pytest.raises(grpc.RpcError) as info:
        server.stub.Grade(pb.GradeRequest(question_id="it/add", code="#" * (MAX_CODE + 1)), timeout=60)
    assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
    assert "this method takes at most" not in info.value.details()  # type: ignore[attr-defined]


def test_small_methods(server: RunningServer) -> None:
    big = "q" * (SMALL_MESSAGE_BYTES + 1)
    refused_for_size(lambda: server.stub.GetQuestion(pb.GetQuestionRequest(question_id=big), timeout=30))
    health = health_pb2_grpc.HealthStub(server.channel)
    refused_for_size(lambda: health.Check(health_pb2.HealthCheckRequest(service=big), timeout=30))


def test_a_streamed_request_past_its_limit_ends_the_call(server: RunningServer) -> None:
    reflection = reflection_pb2_grpc.ServerReflectionStub(server.channel)
    request = reflection_pb2.ServerReflectionRequest(file_by_filename="f" * (SMALL_MESSAGE_BYTES + 1))
    with pytest.raises(grpc.RpcError) as info:
        list(reflection.ServerReflectionInfo(iter([request]), timeout=30))
    assert info.value.code() != grpc.StatusCode.OK  # type: ignore[attr-defined]


def test_within_the_limits_all_is_served(server: RunningServer) -> None:
    health = health_pb2_grpc.HealthStub(server.channel)
    assert (
        health.Check(health_pb2.HealthCheckRequest(), timeout=30).status
        == health_pb2.HealthCheckResponse.SERVING
    )
    assert server.stub.GetQuestion(pb.GetQuestionRequest(question_id="it/add"), timeout=30).id == "it/add"
    response = server.stub.Grade(
        pb.GradeRequest(question_id="it/add", code=GOOD + "#" * (MAX_CODE // 2)), timeout=300
    )
    assert response.verdict == pb.ACCEPTED
    batch = pb.GradeBatchRequest(submissions=[pb.GradeRequest(question_id="it/add", code=GOOD)] * 2)
    assert len(list(server.stub.GradeBatch(batch, timeout=300))) == 3
