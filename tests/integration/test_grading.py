"""Grading through the real gRPC server and the real Docker engine."""

from __future__ import annotations

import io
import json

import pytest
from google.protobuf import text_format

from grader.demo import demo_path
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.integration_bank import SECRET_INPUT, SECRET_OUTPUT
from tests.support.server import grade

DEMO_SAMPLES = [json.loads(line) for line in demo_path("samples.jsonl").read_text().splitlines() if line]


class TestDemoSamples:
    """Every demo sample gets the verdict it was written to get: this covers every verdict kind,
    LiveCodeBench's false-negative patterns (all ACCEPTED) and the HumanEval forgeries (none)."""

    @pytest.mark.parametrize(
        "sample", DEMO_SAMPLES, ids=[f"{s['question_id']}:{s['label']}" for s in DEMO_SAMPLES]
    )
    def test_expected_verdict(self, stub: pb_grpc.GraderStub, sample: dict[str, str]) -> None:
        response = grade(stub, sample["question_id"], sample["code"])
        assert pb.Verdict.Name(response.verdict) == sample["expect"]
        assert response.tests_total == len(response.tests) > 0
        assert response.pass_rate == pytest.approx(response.tests_passed / response.tests_total)

    def test_every_verdict_kind_is_covered(self) -> None:
        """The demo samples exercise every candidate verdict."""
        kinds = {s["expect"] for s in DEMO_SAMPLES}
        assert kinds >= {
            "ACCEPTED", "WRONG_ANSWER", "TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED",
            "RUNTIME_ERROR", "COMPILE_ERROR", "OUTPUT_LIMIT_EXCEEDED",
        }  # fmt: skip


class TestVerdictRules:
    """The overall verdict, pass rate and per-test fields follow the contract."""

    def test_first_failing_test_decides(self, stub: pb_grpc.GraderStub) -> None:
        """A program right on tests 0-1 and wrong after gets WRONG_ANSWER with the right counts."""
        code = "a, b = map(int, input().split())\nprint(a + b if abs(a) < 100 else 0)\n"
        response = grade(stub, "it/add", code)
        assert response.verdict == pb.WRONG_ANSWER
        assert [t.verdict for t in response.tests] == [pb.ACCEPTED, pb.ACCEPTED, pb.WRONG_ANSWER, pb.ACCEPTED]
        assert (response.tests_passed, response.tests_total) == (3, 4)
        assert response.pass_rate == pytest.approx(0.75)

    def test_stop_on_first_failure_skips_the_rest(self, stub: pb_grpc.GraderStub) -> None:
        """Tests after the first failure are SKIPPED and count as not passed."""
        response = grade(stub, "it/add", "print(3)\n", stop_on_first_failure=True)
        assert [t.verdict for t in response.tests] == [pb.ACCEPTED, pb.WRONG_ANSWER, pb.SKIPPED, pb.SKIPPED]
        assert response.tests_passed == 1
        assert response.verdict == pb.WRONG_ANSWER

    def test_compile_error_is_found_once(self, stub: pb_grpc.GraderStub) -> None:
        """A SyntaxError makes every test COMPILE_ERROR and carries the compiler's message."""
        response = grade(stub, "it/add", "print(1 +\n")
        assert response.verdict == pb.COMPILE_ERROR
        assert {t.verdict for t in response.tests} == {pb.COMPILE_ERROR}
        assert "SyntaxError" in response.compile_output

    def test_measurements_are_reported(self, stub: pb_grpc.GraderStub) -> None:
        """Each public test reports wall time, CPU time and peak memory; a private test its verdict
        only (the default --private-test-metrics none)."""
        response = grade(stub, "it/add", "a, b = map(int, input().split())\nprint(a + b)\n")
        assert response.verdict == pb.ACCEPTED
        for test in response.tests:
            figures = (test.wall_time_ms, test.cpu_time_ms, test.peak_memory_kb)
            if test.public:
                assert test.wall_time_ms > 0 and test.cpu_time_ms > 0 and test.peak_memory_kb > 1000
            else:
                assert figures == (0, 0, 0) and not test.detail

    def test_call_based_solution_class_and_request_id(self, stub: pb_grpc.GraderStub) -> None:
        """A Solution method is called per test; the request id is echoed."""
        code = "class Solution:\n    def twice(self, x: int) -> int:\n        return 2 * x\n"
        response = grade(stub, "it/twice", code, request_id="my-request-1")
        assert response.verdict == pb.ACCEPTED
        assert response.request_id == "my-request-1"
        assert response.question_id == "it/twice"

    def test_request_id_generated_when_missing(self, stub: pb_grpc.GraderStub) -> None:
        response = grade(stub, "it/twice", "def twice(x):\n    return 2 * x\n")
        assert response.verdict == pb.ACCEPTED
        assert len(response.request_id) >= 16

    def test_public_details_only(self, stub: pb_grpc.GraderStub) -> None:
        """A public test's failure says what went wrong; a private test's says nothing."""
        response = grade(stub, "it/add", "print(-1)\n")
        public, private = response.tests[0], response.tests[1]
        assert public.public and "expected" in public.detail
        assert not private.public and private.detail == ""


class TestHiddenTestsStayHidden:
    """No private test's input or expected output appears in any response or log line."""

    CODES = (
        "a, b = map(int, input().split())\nprint(a + b)\n",  # right
        "print(input())\n",  # echoes the (private) input
        "a, b = map(int, input().split())\nprint(a + b + 1)\n",  # wrong
        "import sys\nraise ValueError(sys.stdin.read())\n",  # crashes with the input in its message
        "print(1 +\n",  # does not compile
    )

    @pytest.mark.parametrize("code", CODES)
    def test_not_in_response(self, stub: pb_grpc.GraderStub, code: str) -> None:
        response = grade(stub, "it/add", code)
        rendered = text_format.MessageToString(response) + response.SerializeToString().decode("latin-1")
        for secret in (SECRET_INPUT.strip(), SECRET_OUTPUT.strip()):
            assert secret not in rendered

    def test_not_in_public_question_views(self, stub: pb_grpc.GraderStub) -> None:
        question = stub.GetQuestion(pb.GetQuestionRequest(question_id="it/add"))
        listing = stub.ListQuestions(pb.ListQuestionsRequest(page_size=1000))
        rendered = text_format.MessageToString(question) + text_format.MessageToString(listing)
        assert SECRET_INPUT.strip() not in rendered and SECRET_OUTPUT.strip() not in rendered
        assert len(question.public_tests) == 1 and question.num_private_tests == 3

    def test_not_in_logs(self, stub: pb_grpc.GraderStub, server_log: io.StringIO) -> None:
        for code in self.CODES:
            grade(stub, "it/add", code)
        text = server_log.getvalue()
        assert '"event": "graded"' in text  # the capture works
        assert SECRET_INPUT.strip() not in text and SECRET_OUTPUT.strip() not in text
