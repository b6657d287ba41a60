"""EvalPlus banks built with base + plus inputs: the test set is chosen per request, and a task
whose canonical solution fails is left out of the build with a message that says why."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, require_docker, start_server

REPO = Path(__file__).resolve().parents[2]


def row(task_id: str, canonical: str, base: list[list[int]], plus: list[list[int]]) -> dict[str, object]:
    return {
        "task_id": task_id,
        "prompt": "def add(a, b):\n",
        "entry_point": "add",
        "canonical_solution": canonical,
        "base_input": base,
        "plus_input": plus,
        "atol": 0,
    }


ROWS = [
    row("HumanEval/900", "    return a + b\n", [[1, 2], [3, 4]], [[10**6, 5], [-7, 7]]),
    row("HumanEval/901", "    raise ValueError('broken reference')\n", [[1, 2]], [[3, 4]]),
]
# Right on small numbers only: passes the base inputs, fails a plus one.
SMALL_ONLY = "def add(a, b):\n    return a + b if abs(a) < 100 else 0\n"


def build(tmp: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    source = tmp / "plus.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", "bank", "build", "--out", str(tmp / "bank.db"),
         "--evalplus-tests", "plus", *flags, str(source)],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )  # fmt: skip


@pytest.fixture(scope="module")
def plus_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    require_docker()
    tmp = tmp_path_factory.mktemp("evalplus-sets")
    built = build(tmp)
    assert built.returncode == 0, built.stderr
    assert "left out" in built.stderr
    assert "HumanEval/901" in built.stderr
    assert "broken reference" in built.stderr or "ValueError" in built.stderr
    running = start_server(tmp / "bank.db")
    yield running
    running.stop()


def grade(server: RunningServer, code: str, test_set: pb.TestSet) -> pb.GradeResponse:
    request = pb.GradeRequest(question_id="HumanEval/900", code=code, test_set=test_set)
    response: pb.GradeResponse = server.stub.Grade(request, timeout=120)
    return response


class TestTestSets:
    def test_question_says_how_many_tests_are_base(self, plus_server: RunningServer) -> None:
        question = plus_server.stub.GetQuestion(
            pb.GetQuestionRequest(question_id="HumanEval/900"), timeout=30
        )
        assert question.num_base_tests == 2
        assert len(question.public_tests) + question.num_private_tests == 4

    def test_base_runs_the_base_inputs_only(self, plus_server: RunningServer) -> None:
        response = grade(plus_server, SMALL_ONLY, pb.TEST_SET_BASE)
        assert response.verdict == pb.ACCEPTED
        assert response.tests_total == 2

    @pytest.mark.parametrize("test_set", [pb.TEST_SET_PLUS, pb.TEST_SET_UNSPECIFIED])
    def test_plus_runs_every_input(self, plus_server: RunningServer, test_set: pb.TestSet) -> None:
        response = grade(plus_server, SMALL_ONLY, test_set)
        assert response.verdict == pb.WRONG_ANSWER
        assert response.tests_total == 4

    def test_a_right_answer_passes_both(self, plus_server: RunningServer) -> None:
        right = "def add(a, b):\n    return a + b\n"
        assert grade(plus_server, right, pb.TEST_SET_BASE).verdict == pb.ACCEPTED
        assert grade(plus_server, right, pb.TEST_SET_PLUS).verdict == pb.ACCEPTED

    def test_an_unknown_test_set_is_invalid(self, plus_server: RunningServer) -> None:
        import grpc

        with pytest.raises(grpc.RpcError) as caught:
            grade(plus_server, SMALL_ONLY, 7)  # type: ignore[arg-type]
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "test_set" in (caught.value.details() or "")

    def test_the_failed_task_is_not_in_the_bank(self, plus_server: RunningServer) -> None:
        import grpc

        with pytest.raises(grpc.RpcError) as caught:
            plus_server.stub.GetQuestion(pb.GetQuestionRequest(question_id="HumanEval/901"), timeout=30)
        assert caught.value.code() == grpc.StatusCode.NOT_FOUND


def test_strict_build_fails_on_a_failing_reference(tmp_path: Path) -> None:
    require_docker()
    built = build(tmp_path, "--strict")
    assert built.returncode == 1
    assert "HumanEval/901" in built.stderr
    assert not (tmp_path / "bank.db").exists()
