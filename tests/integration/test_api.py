"""The gRPC surface: bad input gets the right status and the server keeps serving; listing,
public question views, health and reflection."""

from __future__ import annotations

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.server import RunningServer, grade

GOOD = "a, b = map(int, input().split())\nprint(a + b)\n"


def status_of(call: object) -> grpc.StatusCode:
    with pytest.raises(grpc.RpcError) as info:
        call()  # type: ignore[operator]
    return info.value.code()  # type: ignore[no-any-return, attr-defined]


class TestBadInput:
    """Each malformed request gets a clear status, and the next good request is still graded."""

    @pytest.mark.parametrize(
        ("request_fields", "code", "words"),
        [
            ({"question_id": "no/such", "code": GOOD}, grpc.StatusCode.NOT_FOUND, "no question"),
            ({"question_id": "", "code": GOOD}, grpc.StatusCode.INVALID_ARGUMENT, "question_id"),
            ({"question_id": "it/add", "code": ""}, grpc.StatusCode.INVALID_ARGUMENT, "code"),
            ({"question_id": "it/add", "code": "  \n"}, grpc.StatusCode.INVALID_ARGUMENT, "code"),
            ({"question_id": "it/add", "code": GOOD, "language": "cobol"},
             grpc.StatusCode.INVALID_ARGUMENT, "language"),
            ({"question_id": "it/add", "code": "#" * (1 << 20) + "\n" + GOOD},
             grpc.StatusCode.INVALID_ARGUMENT, "limit"),
        ],
    )  # fmt: skip
    def test_status_and_recovery(
        self, stub: pb_grpc.GraderStub, request_fields: dict[str, str], code: grpc.StatusCode, words: str
    ) -> None:
        with pytest.raises(grpc.RpcError) as info:
            stub.Grade(pb.GradeRequest(**request_fields), timeout=60)  # type: ignore[arg-type]
        assert info.value.code() == code  # type: ignore[attr-defined]
        assert words in info.value.details()  # type: ignore[attr-defined]
        assert grade(stub, "it/add", GOOD).verdict == pb.ACCEPTED

    def test_get_question_errors(self, stub: pb_grpc.GraderStub) -> None:
        assert status_of(lambda: stub.GetQuestion(pb.GetQuestionRequest(question_id="nope"))) == (
            grpc.StatusCode.NOT_FOUND
        )
        assert (
            status_of(lambda: stub.GetQuestion(pb.GetQuestionRequest())) == grpc.StatusCode.INVALID_ARGUMENT
        )

    def test_list_errors(self, stub: pb_grpc.GraderStub) -> None:
        for bad in (
            pb.ListQuestionsRequest(release_date_start="March 2026"),
            # Parsed by Python as ISO 8601, but they would compare wrongly with stored dates.
            pb.ListQuestionsRequest(release_date_start="2026-W10-1"),
            pb.ListQuestionsRequest(release_date_end="20260301"),
            pb.ListQuestionsRequest(page_token="%%%not-a-token"),  # noqa: S106
            pb.ListQuestionsRequest(page_size=-1),
        ):
            assert status_of(lambda bad=bad: stub.ListQuestions(bad)) == grpc.StatusCode.INVALID_ARGUMENT


class TestListAndGet:
    """Listing filters by release date and paginates; GetQuestion shows the public part only."""

    def test_pagination_covers_the_bank_once(self, stub: pb_grpc.GraderStub) -> None:
        seen: list[str] = []
        token = ""
        while True:
            page = stub.ListQuestions(pb.ListQuestionsRequest(page_size=7, page_token=token))
            assert len(page.questions) <= 7
            seen += [q.id for q in page.questions]
            token = page.next_page_token
            if not token:
                break
        assert len(seen) == len(set(seen)) == page.bank_size == 22
        assert seen == sorted(seen)

    def test_release_window(self, stub: pb_grpc.GraderStub) -> None:
        page = stub.ListQuestions(
            pb.ListQuestionsRequest(release_date_start="2026-03-01", release_date_end="2026-03-31")
        )
        ids = {q.id for q in page.questions}
        assert "it/add" in ids and "it/twice" not in ids
        assert all("2026-03-01" <= q.release_date <= "2026-03-31" for q in page.questions)

    def test_summary_counts(self, stub: pb_grpc.GraderStub) -> None:
        page = stub.ListQuestions(pb.ListQuestionsRequest(page_size=1000))
        add = next(q for q in page.questions if q.id == "it/add")
        assert (add.kind, add.num_public_tests, add.num_private_tests) == ("stdin", 1, 3)

    def test_get_question_public_part(self, stub: pb_grpc.GraderStub) -> None:
        q = stub.GetQuestion(pb.GetQuestionRequest(question_id="it/twice"))
        assert q.kind == "call" and q.entry_point == "twice"
        assert "class Solution" in q.starter_code
        assert [(t.input, t.output) for t in q.public_tests] == [("2", "4")]
        assert q.num_private_tests == 1
        assert q.limits.time_limit_s == 2 and q.limits.memory_limit_mb == 256


class TestHealthAndReflection:
    """Health says SERVING while the engine answers; reflection lists the services."""

    def test_health_serving(self, server: RunningServer) -> None:
        health = health_pb2_grpc.HealthStub(server.channel)
        for name in ("", "grader.v1.Grader"):
            reply = health.Check(health_pb2.HealthCheckRequest(service=name), timeout=10)
            assert reply.status == health_pb2.HealthCheckResponse.SERVING

    def test_reflection_lists_services(self, server: RunningServer) -> None:
        stub = reflection_pb2_grpc.ServerReflectionStub(server.channel)
        replies = stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]))
        names = {s.name for r in replies for s in r.list_services_response.service}
        assert {"grader.v1.Grader", "grpc.health.v1.Health"} <= names
