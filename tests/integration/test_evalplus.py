"""HumanEval through outputs: an EvalPlus bank (base inputs) whose expected outputs come from the
canonical solutions run in the sandbox; answers are compared outside, with EvalPlus's rules."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, grade, require_docker, start_server

REPO = Path(__file__).resolve().parents[2]
TASKS = ("HumanEval/0", "HumanEval/2", "HumanEval/4", "HumanEval/32", "HumanEval/68", "HumanEval/107")


@pytest.fixture(scope="module")
def evalplus_rows(datasets: Path) -> dict[str, dict[str, object]]:
    with gzip.open(datasets / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz", "rt") as f:
        rows = [json.loads(line) for line in f]
    return {r["task_id"]: r for r in rows if r["task_id"] in TASKS}


@pytest.fixture(scope="module")
def evalplus_server(
    tmp_path_factory: pytest.TempPathFactory, evalplus_rows: dict[str, dict[str, object]]
) -> Iterator[RunningServer]:
    require_docker()
    tmp = tmp_path_factory.mktemp("evalplus")
    source = tmp / "subset.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in evalplus_rows.values()))
    build = subprocess.run(
        [sys.executable, "-m", "grader.cli", "bank", "build", "--out", str(tmp / "bank.db"), str(source)],
        capture_output=True, text=True, cwd=REPO, timeout=600, check=False,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr
    running = start_server(tmp / "bank.db")
    yield running
    running.stop()


class TestHumanEvalThroughOutputs:
    """Canonical solutions pass; type, tolerance and oracle rules are EvalPlus's; a rigged
    `__eq__` cannot pass, since values are compared outside the sandbox."""

    def test_canonical_solutions_accepted(self, evalplus_server: RunningServer,
                                          evalplus_rows: dict[str, dict[str, str]]) -> None:  # fmt: skip
        for task, row in evalplus_rows.items():
            response = grade(evalplus_server.stub, task, row["prompt"] + row["canonical_solution"])
            assert response.verdict == pb.ACCEPTED, (task, response.tests[0].detail)
            assert response.tests_total > 1

    def test_tuple_is_not_a_list(
        self, evalplus_server: RunningServer, evalplus_rows: dict[str, dict[str, str]]
    ) -> None:
        """HumanEval/68 expects a list; a tuple with the same items is wrong (EvalPlus agrees)."""
        code = evalplus_rows["HumanEval/68"]["prompt"] + (
            "    evens = [(v, i) for i, v in enumerate(arr) if v % 2 == 0]\n"
            "    return min(evens) if evens else []\n"
        )
        assert grade(evalplus_server.stub, "HumanEval/68", code).verdict == pb.WRONG_ANSWER

    def test_rigged_eq_rejected(
        self, evalplus_server: RunningServer, evalplus_rows: dict[str, dict[str, str]]
    ) -> None:
        code = evalplus_rows["HumanEval/0"]["prompt"] + (
            "    class Yes:\n"
            "        def __eq__(self, other): return True\n"
            "        def __sub__(self, other): return 0\n"
            "    return Yes()\n"
        )
        response = grade(evalplus_server.stub, "HumanEval/0", code)
        assert response.verdict == pb.WRONG_ANSWER
        assert response.tests_passed == 0

    def test_float_tolerance(
        self, evalplus_server: RunningServer, evalplus_rows: dict[str, dict[str, str]]
    ) -> None:
        """HumanEval/2 (atol 1e-6): an answer off by 1e-9 passes, one off by 1e-3 does not."""
        prompt = evalplus_rows["HumanEval/2"]["prompt"]
        close = grade(evalplus_server.stub, "HumanEval/2", prompt + "    return number % 1.0 + 1e-9\n")
        far = grade(evalplus_server.stub, "HumanEval/2", prompt + "    return number % 1.0 + 1e-3\n")
        assert (close.verdict, far.verdict) == (pb.ACCEPTED, pb.WRONG_ANSWER)

    def test_any_root_is_right(
        self, evalplus_server: RunningServer, evalplus_rows: dict[str, dict[str, str]]
    ) -> None:
        """HumanEval/32's oracle accepts any root found another way (bisection), not only the
        canonical one, and rejects a non-root."""
        prompt = evalplus_rows["HumanEval/32"]["prompt"]
        bisection = (
            "    lo, hi = -1.0, 1.0\n"
            "    while poly(xs, lo) * poly(xs, hi) > 0:\n"
            "        lo, hi = lo * 2, hi * 2\n"
            "    for _ in range(200):\n"
            "        mid = (lo + hi) / 2\n"
            "        if poly(xs, lo) * poly(xs, mid) <= 0:\n"
            "            hi = mid\n"
            "        else:\n"
            "            lo = mid\n"
            "    return lo\n"
        )
        assert grade(evalplus_server.stub, "HumanEval/32", prompt + bisection).verdict == pb.ACCEPTED
        assert (
            grade(evalplus_server.stub, "HumanEval/32", prompt + "    return 12345.0\n").verdict
            == pb.WRONG_ANSWER
        )
