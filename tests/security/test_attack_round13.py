"""Attack round 13: the request path as the refactor left it (GraderService under the servicer,
the bank reader split into schema/writer/store), read and attacked by a hostile client.

A listing or lookup reaches SQL only as bound parameters; every malformed page token, size, date
or id ends in INVALID_ARGUMENT or NOT_FOUND (never INTERNAL, never a traceback), and nothing
private crosses: a listing carries no tests, a lookup only the public ones.
"""

from __future__ import annotations

import base64

import grpc
import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_STDIN, SECRET_INPUTS, SECRETS
from tests.support.attacks import attack
from tests.support.server import RunningServer, grade


def token(after: bytes) -> str:
    """A page token as the bank spells them, after an id of our choosing."""
    return base64.urlsafe_b64encode(b"after:" + after).decode("ascii")


def assert_nothing_private(message: object) -> None:
    text = str(message)
    for secret in (*SECRETS, *(t.strip() for t in SECRET_INPUTS)):
        assert secret not in text


HOSTILE_TOKENS = (
    token(b"\xff\xfe"),  # not UTF-8
    "%%%not-base64%%%",
    base64.urlsafe_b64encode(b"before:sec/stdin").decode(),  # not our prefix
    "YWZ0ZXI",  # "after" cut short of its padding
    "\u00e9",  # not ASCII
)


class TestHostileListings:
    @pytest.mark.parametrize("page_token", HOSTILE_TOKENS)
    def test_a_page_token_not_handed_out_is_invalid(self, target: RunningServer, page_token: str) -> None:
        with pytest.raises(grpc.RpcError) as caught:
            target.stub.ListQuestions(pb.ListQuestionsRequest(page_token=page_token), timeout=30)
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
        assert "Traceback" not in (caught.value.details() or "")

    @pytest.mark.parametrize(
        "after", [b"' OR 1=1 --", b"\x00", b"sec/", b"zzzz" * 200, b"%", b"sec/stdin' UNION SELECT 1 --"]
    )
    def test_a_forged_token_is_only_a_starting_id(self, target: RunningServer, after: bytes) -> None:
        """A well-formed token of any id lists the questions after it, in order, and nothing else."""
        everything = target.stub.ListQuestions(pb.ListQuestionsRequest(page_size=1000), timeout=30)
        response = target.stub.ListQuestions(pb.ListQuestionsRequest(page_token=token(after)), timeout=30)
        expected = [q.id for q in everything.questions if q.id > after.decode()]
        assert [q.id for q in response.questions] == expected
        assert_nothing_private(response)

    @pytest.mark.parametrize("page_size", [2**31 - 1, 1, 0])
    def test_page_sizes_are_capped(self, target: RunningServer, page_size: int) -> None:
        response = target.stub.ListQuestions(pb.ListQuestionsRequest(page_size=page_size), timeout=30)
        assert 0 < len(response.questions) <= min(page_size or 100, 1000)
        assert response.bank_size >= len(response.questions)
        assert_nothing_private(response)

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("page_size", -1),
            ("page_size", -(2**31)),
            ("release_date_start", "2024-W23-1"),
            ("release_date_end", "' OR ''='"),
            ("release_date_start", "9" * 5000),
        ],
    )
    def test_malformed_windows_are_invalid(self, target: RunningServer, field: str, value: object) -> None:
        with pytest.raises(grpc.RpcError) as caught:
            target.stub.ListQuestions(pb.ListQuestionsRequest(**{field: value}), timeout=30)  # type: ignore[arg-type]
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT, caught.value.details()
        assert len(caught.value.details() or "") <= 1024


class TestHostileLookups:
    def test_a_question_shows_its_public_tests_only(self, target: RunningServer) -> None:
        for question_id in ("sec/stdin", "sec/call", "sec/batched"):
            question = target.stub.GetQuestion(pb.GetQuestionRequest(question_id=question_id), timeout=30)
            assert question.public_tests, question_id
            assert_nothing_private(question)

    @pytest.mark.parametrize(
        "question_id", ["sec/stdin' OR '1'='1", "sec/%", "SEC/STDIN", "sec/stdin\x00", "x" * 20000]
    )
    def test_an_id_is_only_an_id(self, target: RunningServer, question_id: str) -> None:
        with pytest.raises(grpc.RpcError) as caught:
            target.stub.GetQuestion(pb.GetQuestionRequest(question_id=question_id), timeout=30)
        assert caught.value.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT)
        assert len(caught.value.details() or "") <= 1024
        assert grade(target.stub, "sec/stdin", CORRECT_STDIN).verdict == pb.ACCEPTED


# The worker's last line of defence is forks()'s `finally: os._exit(...)` (runner/child.py): with
# os._exit made a no-op, the worker falls back into the fork server's loop, in its own process:
# it closes the descriptors it was given, writes to a control socket it closed, and may reach the
# root zygote's loop above it. Whatever it does there is its own process's doing: its answer is
# still only what it wrote, and its exit is measured by its zygote.
FALL_THROUGH = """
import os, sys
os._exit = lambda code: None
sys.exit = lambda *args: None
print({answer!r})
"""


class TestWorkerFallsBackIntoTheForkServer:
    @pytest.mark.parametrize("answer", ["MARKER-0000000000000000", ""])
    def test_stdin(self, target: RunningServer, answer: str) -> None:
        response = attack(target, "sec/stdin", FALL_THROUGH.format(answer=answer))
        assert response.verdict != pb.ACCEPTED, [t.verdict for t in response.tests]

    def test_call(self, target: RunningServer) -> None:
        code = FALL_THROUGH.format(answer="") + "def marker(s):\n    return 'MARKER-0000000000000000'\n"
        response = attack(target, "sec/call", code)
        assert response.verdict != pb.ACCEPTED, [t.verdict for t in response.tests]
