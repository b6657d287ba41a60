"""Fuzzing the gRPC API against a real server (real Docker engine): arbitrary request fields get
either an OK response with a valid verdict or a clear status (INVALID_ARGUMENT, NOT_FOUND,
RESOURCE_EXHAUSTED) — never INTERNAL, UNKNOWN, a hang or a crash. Afterwards the server still
grades a correct submission ACCEPTED and holds no more containers than its pool."""

from __future__ import annotations

import io
import os
import subprocess
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.sandbox.command import OWNER_LABEL
from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.support.integration_bank import SECRET_INPUT, SECRET_OUTPUT
from tests.support.server import RunningServer, require_docker, start_server

POOL_SIZE = 2
MAX_BATCH = 12
CODE_LIMIT = 64 * 1024
DEADLINE_S = 120.0
"""A call that takes longer has hung: every fuzzed call is cheap (no candidate code loops)."""
CLEAR = frozenset(
    {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND, grpc.StatusCode.RESOURCE_EXHAUSTED}
)
CLEAR_CODES = frozenset(code.value[0] for code in CLEAR)
GRADED = frozenset(set(pb.Verdict.values()) - {pb.VERDICT_UNSPECIFIED, pb.INTERNAL_ERROR, pb.SKIPPED})

EXAMPLES = int(os.environ.get("GRADER_FUZZ_API_EXAMPLES", "60"))
"""Examples per property; raise it for a deeper run (GRADER_FUZZ_API_EXAMPLES=1000)."""
API_FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,  # each call has its own gRPC deadline (DEADLINE_S): passing it is the failure
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
    derandomize=EXAMPLES <= 60,  # CI runs are reproducible; deeper runs explore afresh
)

QUESTION_IDS = ["it/add", "it/twice", "demo/visible-crates", "demo/peak-hours", "demo/alternate-caps"]
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"

# Text as a client might send it: any Unicode scalar (protobuf strings cannot carry surrogates),
# NUL and control characters included, plus a few sizes around the limits.
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=["Cs"]), max_size=40)
OUTCOMES: Counter[str] = Counter()
"""What the fuzzed calls ended in, so the last test can check that grading itself was reached."""
HUGE = st.sampled_from([0, 1, 4096, CODE_LIMIT, CODE_LIMIT + 1, 4 * CODE_LIMIT]).map(lambda n: "x" * n)
BINARYISH = st.binary(max_size=200).map(lambda b: b.decode("latin-1"))
IDS = st.one_of(
    st.sampled_from(QUESTION_IDS), TEXT, HUGE, st.sampled_from(["", "\x00", "it/add\x00", "IT/ADD"])
)
CODE = st.one_of(
    st.sampled_from([ADD, "print(0)\n", "", "   \n", "\x00", "def f(:\n", "import sys\nsys.exit(3)\n"]),
    TEXT,
    BINARYISH,
    HUGE.map(lambda s: "#" + s),
)
LANGUAGES = st.one_of(st.sampled_from(["", "python", "Python", "python3", "c++"]), TEXT)
INT32 = st.integers(-(2**31), 2**31 - 1)
TEST_SETS = st.one_of(st.sampled_from([0, 1, 2, 3, -1]), INT32)
DATES = st.one_of(
    st.sampled_from(["", "2026-03-01", "2026-02-30", "2026-1-1", "0001-01-01", "9999-12-31", "20260301"]),
    TEXT,
)


@st.composite
def grade_requests(draw: st.DrawFn) -> pb.GradeRequest:
    """Half wild (every field arbitrary), half plausible (a real question, a valid language and
    test set, arbitrary code), so that grading itself is reached, not only validation."""
    if draw(st.booleans()):
        question_id, language, test_set = draw(IDS), draw(LANGUAGES), draw(TEST_SETS)
    else:
        question_id = draw(st.sampled_from(QUESTION_IDS))
        language, test_set = draw(st.sampled_from(["", "python"])), draw(st.sampled_from([0, 1, 2]))
    return pb.GradeRequest(
        question_id=question_id,
        code=draw(CODE),
        language=language,
        stop_on_first_failure=draw(st.booleans()),
        request_id=draw(st.one_of(TEXT, HUGE)),
        test_set=test_set,  # type: ignore[arg-type]
    )


@pytest.fixture(scope="module")
def fuzz_target(bank_path: Path, server_log: io.StringIO) -> Iterator[RunningServer]:
    require_docker()
    running = start_server(
        bank_path,
        pool=PoolSettings(size=POOL_SIZE),
        max_batch=MAX_BATCH,
        max_code_bytes=CODE_LIMIT,
        max_queued=4,
    )
    yield running
    running.stop()


def assert_no_secret(text: str) -> None:
    assert SECRET_INPUT.strip() not in text and SECRET_OUTPUT.strip() not in text


def assert_clear_error(err: grpc.RpcError) -> None:
    code, details = err.code(), err.details() or ""
    OUTCOMES[code.name] += 1
    assert code in CLEAR, f"{code}: {details}"
    if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
        # The server's overload answer, not a limit of the transport (a header too large).
        trailing: tuple[tuple[str, str | bytes], ...] = err.trailing_metadata() or ()  # type: ignore[assignment]
        assert "retry-after-ms" in {key for key, _ in trailing}, details
    assert details, "an error status must say what is wrong"
    assert_no_secret(details)


def assert_valid_result(response: pb.GradeResponse) -> None:
    OUTCOMES[pb.Verdict.Name(response.verdict)] += 1
    assert response.verdict in GRADED, pb.Verdict.Name(response.verdict)
    assert 0 <= response.tests_passed <= response.tests_total == len(response.tests)
    assert all(t.verdict in set(pb.Verdict.values()) - {pb.VERDICT_UNSPECIFIED} for t in response.tests)
    for test in response.tests:
        assert test.public or not test.detail
        assert_no_secret(test.detail)


class TestApiFuzzed:
    """Arbitrary requests end in a valid answer or a clear status; the server survives them all."""

    @API_FUZZ
    @given(grade_requests())
    def test_grade(self, fuzz_target: RunningServer, request: pb.GradeRequest) -> None:
        try:
            response = fuzz_target.stub.Grade(request, timeout=DEADLINE_S)
        except grpc.RpcError as err:
            assert_clear_error(err)
            return
        assert_valid_result(response)
        assert response.question_id == request.question_id
        assert response.request_id == (request.request_id or response.request_id) != ""

    @API_FUZZ
    @given(st.one_of(st.sampled_from(QUESTION_IDS), IDS))
    def test_get_question(self, fuzz_target: RunningServer, question_id: str) -> None:
        try:
            question = fuzz_target.stub.GetQuestion(
                pb.GetQuestionRequest(question_id=question_id), timeout=60
            )
        except grpc.RpcError as err:
            assert_clear_error(err)
            return
        assert question.id == question_id
        assert_no_secret(str(question))

    @API_FUZZ
    @given(
        st.one_of(INT32, st.sampled_from([0, 1, -1, 1000, 1001])),
        st.one_of(TEXT, BINARYISH, st.sampled_from(["", "AAAA", "cGFnZQ==", "%%%"])),
        DATES,
        DATES,
    )
    def test_list_questions(
        self, fuzz_target: RunningServer, page_size: int, page_token: str, start: str, end: str
    ) -> None:
        request = pb.ListQuestionsRequest(
            page_size=page_size, page_token=page_token, release_date_start=start, release_date_end=end
        )
        try:
            response = fuzz_target.stub.ListQuestions(request, timeout=60)
        except grpc.RpcError as err:
            assert_clear_error(err)
            return
        assert len(response.questions) <= min(page_size or 100, 1000)
        assert response.bank_size >= len(response.questions)

    @API_FUZZ
    @given(st.lists(grade_requests(), max_size=MAX_BATCH + 2), st.lists(INT32, max_size=4))
    def test_grade_batch(
        self, fuzz_target: RunningServer, items: list[pb.GradeRequest], ks: list[int]
    ) -> None:
        request = pb.GradeBatchRequest(submissions=items, ks=ks)
        refused: grpc.StatusCode | None = None
        try:
            messages = list(fuzz_target.stub.GradeBatch(request, timeout=DEADLINE_S))
        except grpc.RpcError as err:
            assert_clear_error(err)
            refused = err.code()
        if refused is not None:
            # Only the batch as a whole can be refused, and only for what the caller sent.
            assert refused == grpc.StatusCode.INVALID_ARGUMENT
            assert not items or len(items) > MAX_BATCH or any(k < 1 for k in ks)
            return
        *results, last = messages
        assert last.HasField("summary")
        assert sorted(m.index for m in results) == list(range(len(items)))
        for message in results:
            if message.HasField("error"):
                assert message.error.code in CLEAR_CODES, message.error
                assert_no_secret(message.error.message)
            else:
                assert_valid_result(message.result)
        assert last.summary.graded + last.summary.errors == len(items)

    def test_still_grades_and_holds_only_its_pool(self, fuzz_target: RunningServer) -> None:
        """Runs last: a correct submission is ACCEPTED and no container outlives the pool."""
        response = fuzz_target.stub.Grade(pb.GradeRequest(question_id="it/add", code=ADD), timeout=DEADLINE_S)
        assert response.verdict == pb.ACCEPTED
        owner = fuzz_target.server.docker.settings.owner
        listed = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={OWNER_LABEL}={owner}"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        assert len(listed.stdout.split()) <= POOL_SIZE
        if not OUTCOMES:
            return  # run alone, without the fuzzing above
        # The fuzzing reached grading, and validation: not only one side of the API.
        graded = sum(OUTCOMES[pb.Verdict.Name(v)] for v in pb.Verdict.values())
        assert graded >= 20, OUTCOMES
        assert OUTCOMES["INVALID_ARGUMENT"] >= 10 and OUTCOMES["NOT_FOUND"] >= 10, OUTCOMES
