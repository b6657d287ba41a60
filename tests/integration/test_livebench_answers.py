"""LiveBench end to end: LiveBench question rows -> bank -> real server -> `grader eval` on a LiveBench
model-answer file -> judgment rows in LiveBench's `ground_truth_judgment.jsonl` shape.

We hold no LiveBench question rows with their hidden tests, so the questions are our own, in the
row shape LiveBench publishes; the judgment rows are compared with a real LiveBench judgment row."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.bank.build import build_bank
from grader.v1 import grader_pb2 as pb
from tests.support.cli import grader
from tests.support.server import RunningServer, require_docker, start_server, write_jsonl

SUM_ID = "5a" * 32
PRODUCT_ID = "c0" * 32
MODEL = "test-model-7b"


def cases_json(cases: list[tuple[str, str]]) -> str:
    return json.dumps([{"input": i, "output": o, "testtype": "stdin"} for i, o in cases])


def original_json(title: str, platform_id: str) -> dict[str, str]:
    return {
        "question_title": title,
        "question_content": "...",
        "platform": "atcoder",
        "question_id": platform_id,
        "contest_id": platform_id.split("_")[0],
        "contest_date": "2024-05-04T00:00:00",
        "starter_code": "",
        "difficulty": "easy",
        "metadata": "{}",
    }


# An LCB_generation stdin question: print the sum of N integers.
SUM_ROW = {
    "question_id": SUM_ID,
    "category": "coding",
    "task": "LCB_generation",
    "turns": ["Read N and then N integers; print their sum."],
    "question_title": "Sum of N",
    "public_test_cases": cases_json([("3\n1 2 3\n", "6\n")]),
    "private_test_cases": cases_json(
        [("1\n-5\n", "-5\n"), ("4\n10 20 30 40\n", "100\n"), ("2\n0 0\n", "0\n")]
    ),
    "original_json": original_json("Sum of N", "abc999_a"),
    "release_date": "2024-06-24",
    "livebench_release_date": "2024-06-24",
    "livebench_removal_date": "",
}

# A coding_completion stdin question: the answer completes `partial_solution`.
PARTIAL = "import sys\n\n\ndef main():\n    a, b = map(int, sys.stdin.read().split())"
PRODUCT_ROW = {
    "question_id": PRODUCT_ID,
    "category": "coding",
    "task": "coding_completion",
    "turns": ["Complete the program that prints the product of A and B.\n\n```python\n" + PARTIAL + "\n```"],
    "question_title": "Product",
    "public_test_cases": cases_json([("3 4\n", "12\n")]),
    "private_test_cases": cases_json([("-2 5\n", "-10\n"), ("100000 100000\n", "10000000000\n")]),
    "original_json": json.dumps(original_json("Product", "abc998_a")),
    "release_date": "2024-07-26",
    "livebench_release_date": "2024-07-26",
    "livebench_removal_date": "",
    "partial_solution": PARTIAL,
    "remainder": "    print(a * b)\n\n\nmain()",
    "solution": PARTIAL + "\n    print(a * b)\n\n\nmain()",
}

SUM_RIGHT = "import sys\n\ndata = sys.stdin.read().split()\nprint(sum(map(int, data[1:])))"
# Reasoning with its own fenced draft, then two fenced blocks: the last one is the right code.
RIGHT_WITH_THINKING = (
    "<think>\nThe sum... maybe\n```python\nprint(sum(range(10)))\n```\nNo: read the input.\n</think>\n"
    "A first attempt:\n```python\nprint(6)\n```\nThat only passes the example. The real solution:\n"
    f"```python\n{SUM_RIGHT}\n```\nIt reads all the numbers after N and prints their sum."
)
SUM_WRONG = "Easy:\n```python\nn = int(input())\nprint(n * (n + 1) // 2)\n```"
# The body only: an IndentationError alone, right once the partial solution is prepended.
PRODUCT_BODY = "Here is the rest:\n```python\n    print(a * b)\n\n\nmain()\n```"
PRODUCT_WRONG_BODY = "```python\n    print(a + b)\n\n\nmain()\n```"


def answer(n: int, question_id: str, text: str) -> dict[str, object]:
    """A row of a LiveBench model_answer file."""
    return {
        "question_id": question_id,
        "answer_id": f"answer{n:02d}",
        "model_id": MODEL,
        "choices": [{"index": 0, "turns": [text]}],
        "tstamp": 1754992475.79 + n,
        "total_output_tokens": 100,
        "api_info": {"provider": "http://localhost:8000/v1", "api_name": MODEL, "api_kwargs": None},
    }


ANSWERS = [
    (answer(1, SUM_ID, RIGHT_WITH_THINKING), 1),
    (answer(2, SUM_ID, SUM_WRONG), 0),
    (answer(3, PRODUCT_ID, PRODUCT_BODY), 1),
    (answer(4, PRODUCT_ID, PRODUCT_WRONG_BODY), 0),
    (answer(5, PRODUCT_ID, "<think>Let me see... ```python\nprint(1)\n```"), 0),  # no code: LiveBench's 0
    (answer(6, "ff" * 32, SUM_WRONG), None),  # unknown question: no judgment
]


@pytest.fixture(scope="module")
def livebench_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    require_docker()
    tmp = tmp_path_factory.mktemp("livebench")
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "question.jsonl", [SUM_ROW, PRODUCT_ROW])])
    running = start_server(tmp / "bank.db")
    yield running
    running.stop()


class TestLiveBenchAnswers:
    """`grader eval --livebench-judgments` scores raw LiveBench answers as LiveBench does."""

    def test_judgments(self, livebench_server: RunningServer, tmp_path: Path, datasets: Path) -> None:
        answers = write_jsonl(tmp_path / f"{MODEL}.jsonl", [a for a, _ in ANSWERS])
        judgments, results = tmp_path / "ground_truth_judgment.jsonl", tmp_path / "results.jsonl"
        started = time.time()
        result = grader("eval", "--server", livebench_server.address, str(answers), "--no-progress",
                        "--out", str(results), "--livebench-judgments", str(judgments))  # fmt: skip
        finished = time.time()
        # One answer names an unknown question: it cannot be graded, so the command fails.
        assert result.returncode == 1, result.stderr
        assert "1 sample(s) could not be graded and have no judgment line" in result.stderr
        assert "line 6 (question 'ffff" in result.stderr and "ERROR_NOT_FOUND" in result.stderr

        rows = [json.loads(line) for line in judgments.read_text().splitlines()]
        expected = [(a["question_id"], a["answer_id"], score) for a, score in ANSWERS if score is not None]
        assert [(r["question_id"], r["answer_id"], r["score"]) for r in rows] == expected

        real = json.loads(
            (datasets / "lcb" / "LCB_generation_model_judgment_ground_truth_judgment.jsonl")
            .read_text()
            .splitlines()[0]
        )
        tasks = {SUM_ID: "LCB_generation", PRODUCT_ID: "coding_completion"}
        for row in rows:
            assert list(row) == list(real)  # same keys, same order
            assert {k: type(v) for k, v in row.items()} == {k: type(v) for k, v in real.items()}
            assert row["task"] == tasks[row["question_id"]]
            assert row["category"] == "coding"
            assert row["model"] == MODEL
            assert started <= row["tstamp"] <= finished  # when judged, not the answer's tstamp

        assert "wrote 5 LiveBench judgment(s)" in result.stdout
        assert "LCB_generation: 50.0 (2 answers)" in result.stdout
        assert "coding_completion: 33.3 (3 answers)" in result.stdout

        graded = [json.loads(line) for line in results.read_text().splitlines()]
        assert [g["verdict"] for g in graded] == [
            "ACCEPTED", "WRONG_ANSWER", "ACCEPTED", "WRONG_ANSWER", "NO_CODE", "ERROR_NOT_FOUND"
        ]  # fmt: skip
        # The wrong sum passes the example (1+2+3 = 3*4/2) and fails the first private test; LiveBench
        # stops there, and so does `--livebench-judgments`.
        assert graded[1]["test_verdicts"] == ["ACCEPTED", "WRONG_ANSWER", "SKIPPED", "SKIPPED"]
        assert graded[0]["answer_id"] == "answer01" and graded[0]["model_id"] == MODEL
        assert "choices" not in graded[0]

    def test_ungraded_score_zero(self, livebench_server: RunningServer, tmp_path: Path) -> None:
        """--ungraded-score-zero: every answer has a row; the ungraded one scores 0; exit 0."""
        answers = write_jsonl(tmp_path / f"{MODEL}.jsonl", [a for a, _ in ANSWERS])
        judgments = tmp_path / "ground_truth_judgment.jsonl"
        result = grader("eval", "--server", livebench_server.address, str(answers), "--no-progress",
                        "--livebench-judgments", str(judgments), "--ungraded-score-zero")  # fmt: skip
        assert result.returncode == 0, result.stderr
        rows = [json.loads(line) for line in judgments.read_text().splitlines()]
        assert [(r["answer_id"], r["score"]) for r in rows] == [
            (a["answer_id"], score or 0) for a, score in ANSWERS
        ]
        assert "scored 0 (--ungraded-score-zero)" in result.stderr

    def test_body_alone_fails_without_the_prefix(
        self, livebench_server: RunningServer, tmp_path: Path
    ) -> None:
        """The completion body is right only with the partial solution: alone it does not compile,
        and a whole program that already starts with the partial solution is taken as it is."""
        samples = write_jsonl(tmp_path / "s.jsonl", [
            {"question_id": SUM_ID, "code": "    print(a * b)\n\n\nmain()"},
            {"question_id": PRODUCT_ID, "code": PARTIAL + "\n    print(a * b)\n\n\nmain()"},
        ])  # fmt: skip
        out = tmp_path / "r.jsonl"
        result = grader("eval", "--server", livebench_server.address, str(samples), "--no-progress",
                        "--out", str(out))  # fmt: skip
        assert result.returncode == 0, result.stderr
        verdicts = [json.loads(line)["verdict"] for line in out.read_text().splitlines()]
        assert verdicts == ["COMPILE_ERROR", "ACCEPTED"]

    def test_get_question_names_task_and_category(self, livebench_server: RunningServer) -> None:
        for qid, task in ((SUM_ID, "LCB_generation"), (PRODUCT_ID, "coding_completion")):
            question = livebench_server.stub.GetQuestion(pb.GetQuestionRequest(question_id=qid), timeout=30)
            assert (question.task, question.category) == (task, "coding")
        listed = livebench_server.stub.ListQuestions(pb.ListQuestionsRequest(), timeout=30)
        assert {q.id for q in listed.questions} == {SUM_ID, PRODUCT_ID}
