"""LeetCodeDataset v0.3.1-test (read from ../shared) through the real server and Docker sandbox.

Every row's reference ``completion``, appended to the question's prompt as a client gets it from
GetQuestion (what ``grader eval`` does), is ACCEPTED; the reference with its return value changed
is not.

Grading all 23,129 usable tests takes about 7 minutes on a 2-core machine, so by default each
question keeps its first ``TESTS_PER_QUESTION`` usable tests (the bank is still built by the real
importer, from the dataset's own rows). ``GRADER_LEETCODE_ALL_TESTS=1`` grades every test.
``GRADER_SANDBOX_IMAGE`` selects the sandbox image, as it does for ``grader serve``.
"""

from __future__ import annotations

import gzip
import json
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from grader.bank.build import build_bank
from grader.bank.formats.leetcode import is_recorded_failure
from grader.v1 import grader_pb2 as pb
from tests.support.server import (
    IMAGE,
    RunningServer,
    docker_settings,
    grade,
    require_docker,
    start_server,
    write_jsonl,
)

pytestmark = pytest.mark.docker

DATASET = Path("leetcode") / "LeetCodeDataset-v0.3.1-test.jsonl.gz"
ALL_TESTS = os.environ.get("GRADER_LEETCODE_ALL_TESTS") == "1"
TESTS_PER_QUESTION = 6

# References that legitimately fail some test when every test is graded, with the evidence.
SLOW_REFERENCES = {
    # An O(n * max(nums)^2) DP in pure Python: its tests 24 and 83 (1-based, of the usable ones)
    # need 7.8 s and 9.8 s of CPU on this 2-core machine, past the 6 s limit (LiveCodeBench's, our
    # default); the dataset recorded answers for them, and "Execution timed out" for five others.
    # A verdict that depends on machine speed, not an importer or runner error.
    "find-the-number-of-subsequences-with-equal-gcd",
}


def _usable(test: dict[str, str]) -> bool:
    """Tests the importer keeps: not a recorded failure of the reference, not an infinity."""
    return not is_recorded_failure(test["output"]) and test["output"].strip() not in ("inf", "-inf")


@pytest.fixture(scope="module")
def rows(datasets: Path) -> list[dict[str, Any]]:
    with gzip.open(datasets / DATASET, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


@pytest.fixture(scope="module")
def leetcode_server(
    tmp_path_factory: pytest.TempPathFactory, datasets: Path, rows: list[dict[str, Any]]
) -> Iterator[RunningServer]:
    require_docker()
    tmp = tmp_path_factory.mktemp("leetcode")
    source = datasets / DATASET
    if not ALL_TESTS:
        trimmed = [
            {**row, "input_output": [t for t in row["input_output"] if _usable(t)][:TESTS_PER_QUESTION]}
            for row in rows
        ]
        source = write_jsonl(tmp / "leetcode.jsonl", trimmed)
    report = build_bank(tmp / "bank.db", [source])
    assert report.total_questions == len(rows) == 228
    image = os.environ.get("GRADER_SANDBOX_IMAGE", IMAGE)
    running = start_server(tmp / "bank.db", docker_settings(image=image))
    yield running
    running.stop()


def _graded(server: RunningServer, programs: list[tuple[str, str]]) -> list[pb.GradeResponse]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda p: grade(server.stub, p[0], p[1]), programs))


def _prompt(server: RunningServer, question_id: str) -> str:
    return server.stub.GetQuestion(pb.GetQuestionRequest(question_id=question_id), timeout=30).prompt


def _failures(response: pb.GradeResponse) -> str:
    bad = [t for t in response.tests if t.verdict != pb.ACCEPTED]
    shown = [f"test {t.index} {pb.Verdict.Name(t.verdict)} {t.detail[:300]!r}" for t in bad[:3]]
    return f"{pb.Verdict.Name(response.verdict)} {response.tests_passed}/{response.tests_total}: {shown}"


# Appended to a reference: the same class under the same name, with every answer changed.
WRONG = """

def _changed(value):
    if isinstance(value, bool):
        return not value
    if isinstance(value, (int, float)):
        return value + 1
    if isinstance(value, str):
        return value + "?"
    if isinstance(value, list):
        return [*value, value[0] if value else 0]
    return ["changed", value]


_Reference = Solution


class Solution(_Reference):
    def {method}(self, *args, **kwargs):
        return _changed(super().{method}(*args, **kwargs))
"""


class TestLeetCodeDataset:
    @pytest.mark.timeout(1800)  # 164 s on a loaded 2-core machine; every test (ALL_TESTS): 7 min
    def test_every_reference_completion_accepted(
        self, leetcode_server: RunningServer, rows: list[dict[str, Any]]
    ) -> None:
        """All 228 references pass their question's tests when graded as prompt + completion."""
        prompts = {r["task_id"]: _prompt(leetcode_server, r["task_id"]) for r in rows}
        adapted = sorted(qid for qid, p in prompts.items() if p != rows_by_id(rows)[qid]["prompt"])
        # Only the tree question gets an adapter after the dataset's header.
        assert adapted == ["k-th-largest-perfect-subtree-size-in-binary-tree"]
        assert all(p.startswith(rows_by_id(rows)[qid]["prompt"]) for qid, p in prompts.items())

        responses = _graded(
            leetcode_server, [(r["task_id"], prompts[r["task_id"]] + r["completion"]) for r in rows]
        )
        not_accepted = {
            r["task_id"]: _failures(x)
            for r, x in zip(rows, responses, strict=True)
            if x.verdict != pb.ACCEPTED
        }
        expected_failures = SLOW_REFERENCES if ALL_TESTS else set()
        unexpected = {qid: why for qid, why in not_accepted.items() if qid not in expected_failures}
        assert unexpected == {}, "\n".join(f"{qid}: {why}" for qid, why in unexpected.items())
        total = sum(x.tests_total for x in responses)
        assert total == (23129 if ALL_TESTS else sum(min(TESTS_PER_QUESTION, n) for n in usable_counts(rows)))

    @pytest.mark.parametrize(
        "task_id",
        [
            "shortest-distance-after-road-addition-queries-i",  # returns List[int]
            "convert-date-to-binary",  # returns str (stored unquoted in the dataset)
            "check-if-two-chessboard-squares-have-the-same-color",  # returns bool
            "separate-squares-i",  # returns float (judged within 1e-5)
            "k-th-largest-perfect-subtree-size-in-binary-tree",  # a TreeNode argument
        ],
    )
    def test_changed_return_value_rejected(
        self, leetcode_server: RunningServer, rows: list[dict[str, Any]], task_id: str
    ) -> None:
        """The reference with every answer changed fails every test; only the public test says how."""
        row = rows_by_id(rows)[task_id]
        method = row["entry_point"].removeprefix("Solution().")
        code = _prompt(leetcode_server, task_id) + row["completion"] + WRONG.replace("{method}", method)
        response = grade(leetcode_server.stub, task_id, code)
        assert response.verdict == pb.WRONG_ANSWER, _failures(response)
        assert response.tests_passed == 0
        public, *private = response.tests
        assert public.public
        assert public.detail
        assert private
        assert all(not t.public and t.detail == "" for t in private)


def rows_by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["task_id"]: r for r in rows}


def usable_counts(rows: list[dict[str, Any]]) -> list[int]:
    return [sum(_usable(t) for t in r["input_output"]) for r in rows]
