"""A unittest question's suite is private: neither its source nor a method's name shows in
GetQuestion, ListQuestions or the server's log."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from grader.bank.build import build_bank
from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, require_docker, start_server, write_jsonl

SECRET = "SUITE-SECRET-4b2e"
METHODS = ("test_hidden_alpha_91c", "test_hidden_beta_5d0")
SUITE = f"""# {SECRET}
import unittest

class TestCases(unittest.TestCase):
    def {METHODS[1]}(self):
        self.assertEqual(task_func([1, 2]), 3)  # {SECRET}

    def {METHODS[0]}(self):
        self.assertEqual(task_func([]), 0)
"""
QUESTION = {
    "format": "grader.v1",
    "id": "private/suite",
    "title": "Sum with a hidden suite",
    "kind": "unittest",
    "prompt": "Sum the values.",
    "entry_point": "task_func",
    "code_prompt": "def task_func(values):\n",
    "suite": SUITE,
    "release_date": "2026-01-02",
}


@pytest.fixture(scope="module")
def suite_server(
    tmp_path_factory: pytest.TempPathFactory, server_log: io.StringIO
) -> Iterator[RunningServer]:
    require_docker()
    tmp = tmp_path_factory.mktemp("suite")
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "q.jsonl", [QUESTION])])
    running = start_server(tmp / "bank.db")
    yield running
    running.stop()


def assert_private(text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    for secret in (SECRET, *METHODS, "class TestCases", "assertEqual"):
        assert secret.encode() not in data


class TestSuitePrivacy:
    def test_get_question(self, suite_server: RunningServer) -> None:
        question = suite_server.stub.GetQuestion(pb.GetQuestionRequest(question_id="private/suite"))
        assert (question.kind, question.num_private_tests, len(question.public_tests)) == ("unittest", 2, 0)
        assert question.entry_point == "task_func"
        assert_private(question.SerializeToString())

    def test_list_questions(self, suite_server: RunningServer) -> None:
        page = suite_server.stub.ListQuestions(pb.ListQuestionsRequest(release_date_start="2026-01-01"))
        assert [q.id for q in page.questions] == ["private/suite"]
        assert_private(page.SerializeToString())

    def test_nothing_in_the_log(self, suite_server: RunningServer, server_log: io.StringIO) -> None:
        suite_server.stub.GetQuestion(pb.GetQuestionRequest(question_id="private/suite"))
        assert_private(server_log.getvalue())
