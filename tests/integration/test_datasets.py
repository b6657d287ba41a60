"""Banks built from public datasets (read from ../shared, never copied in), graded for real."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from grader.bank.build import build_bank
from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, grade, require_docker, start_server, write_jsonl


@pytest.fixture(scope="module")
def dataset_server(tmp_path_factory: pytest.TempPathFactory, datasets: Path) -> Iterator[RunningServer]:
    require_docker()
    tmp = tmp_path_factory.mktemp("datasets")
    fixture = json.loads((datasets / "lcb" / "lcb_1873_A_full_tests_fixture.json").read_text())
    lcb = write_jsonl(tmp / "lcb.jsonl", [fixture["lcb_code_generation_lite_row"]])
    build_bank(tmp / "bank.db", [datasets / "humaneval" / "HumanEval.jsonl", lcb])
    running = start_server(tmp / "bank.db")
    yield running
    running.stop()


def humaneval_rows(datasets: Path) -> list[dict[str, str]]:
    return [
        json.loads(line) for line in (datasets / "humaneval" / "HumanEval.jsonl").read_text().splitlines()
    ]


def grade_all(server: RunningServer, programs: list[tuple[str, str]]) -> list[pb.GradeResponse]:
    with ThreadPoolExecutor(max_workers=4) as pool:
        return list(pool.map(lambda p: grade(server.stub, p[0], p[1]), programs))


class TestHumanEval:
    """HumanEval's 164 canonical solutions are all ACCEPTED; `return None` bodies never are."""

    def test_canonical_solutions_accepted(self, dataset_server: RunningServer, datasets: Path) -> None:
        rows = humaneval_rows(datasets)
        assert len(rows) == 164
        responses = grade_all(
            dataset_server, [(r["task_id"], r["prompt"] + r["canonical_solution"]) for r in rows]
        )
        rejected = [(r["task_id"], pb.Verdict.Name(x.verdict)) for r, x in zip(rows, responses, strict=True)
                    if x.verdict != pb.ACCEPTED]  # fmt: skip
        assert rejected == []

    def test_return_none_rejected(self, dataset_server: RunningServer, datasets: Path) -> None:
        rows = humaneval_rows(datasets)
        responses = grade_all(
            dataset_server, [(r["task_id"], r["prompt"] + "    return None\n") for r in rows]
        )
        accepted = [r["task_id"] for r, x in zip(rows, responses, strict=True) if x.verdict == pb.ACCEPTED]
        assert accepted == []


class TestLiveCodeBenchFixture:
    """The 1873_A row's compressed hidden tests decode and grade: its known-good answer passes all."""

    def test_known_solution_accepted(self, dataset_server: RunningServer, datasets: Path) -> None:
        fixture = json.loads((datasets / "lcb" / "lcb_1873_A_full_tests_fixture.json").read_text())
        response = grade(dataset_server.stub, "1873_A", fixture["o1_mini_solution"]["code"])
        assert response.verdict == pb.ACCEPTED
        assert response.tests_total == 5  # 1 public + 4 decoded private tests
        assert [t.public for t in response.tests] == [True, False, False, False, False]

    def test_wrong_solution_rejected_without_leaking(
        self, dataset_server: RunningServer, datasets: Path
    ) -> None:
        fixture = json.loads((datasets / "lcb" / "lcb_1873_A_full_tests_fixture.json").read_text())
        response = grade(
            dataset_server.stub, "1873_A", "t = int(input())\nfor _ in range(t):\n    print('YES')\n"
        )
        assert response.verdict == pb.WRONG_ANSWER
        private = [t for t in response.tests if not t.public]
        assert all(t.detail == "" for t in private)
        rendered = str(response)
        for case in fixture["private_test_cases_decoded"]:
            assert case["input"].strip() not in rendered or len(case["input"].strip()) < 4
