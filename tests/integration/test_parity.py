"""The parity report on one model file per dataset (base tests): raw agreement with EvalPlus's
recorded verdicts, and agreement once the disagreements this same run explains are set aside —
EvalPlus's fresh verdict, run here on the same solution, agreeing with ours, or a time-shaped
difference whose CPU time grader measured within 10 % of the limit. No task list sets anything
aside, so a change that times out correct code, or judges it wrong, fails here."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.parity import EVALPLUS_FILES, NEAR_LIMIT, Disagreement, fresh_verdicts, measure_cpu
from tests.support.server import require_docker

REPO = Path(__file__).resolve().parents[2]
TASKS = {"humaneval": 164, "mbpp": 378}
RAW_MIN = 0.985
MAX_UNEXPLAINED = 0
"""The first model's base verdicts all agree here (as do all six models' on HumanEval): one
correct solution timed out, or one wrong one accepted, without evidence of why, fails."""


def shown(d: dict[str, Any]) -> bool:
    """Whether the evidence recorded beside a disagreement explains it (the report's rule, again)."""
    cpu, limit = d["cpu_ms"], d["limit_ms"]
    if d["ours"] == "TIME_LIMIT_EXCEEDED" and d["cpu_finished"] and cpu < (1 - NEAR_LIMIT) * limit:
        return False
    if d["fresh_agrees"]:
        return True
    timed = d["graded"] and d["ours"] in ("TIME_LIMIT_EXCEEDED", "ACCEPTED")
    return bool(
        timed and d["cpu_finished"] and cpu is not None and limit and abs(cpu - limit) <= NEAR_LIMIT * limit
    )


@pytest.mark.parametrize("dataset", sorted(TASKS))
def test_parity_report(dataset: str, datasets: Path, tmp_path: Path) -> None:
    require_docker()
    summary = tmp_path / "parity.json"
    run = subprocess.run(
        [sys.executable, "-m", "bench.parity", "--dataset", dataset, "--tests", "base", "--models", "1",
         "--json", str(summary)],
        capture_output=True, text=True, cwd=REPO, timeout=1500, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-3000:]
    [model] = json.loads(summary.read_text())["models"]
    total, agree, explained = model["total"], model["agree"], model["explained"]
    assert total == TASKS[dataset]
    assert explained == sum(shown(d) for d in model["disagreements"]), run.stdout
    assert all(d["explained"] == shown(d) for d in model["disagreements"]), run.stdout
    assert agree / total >= RAW_MIN, run.stdout
    assert total - agree - explained <= MAX_UNEXPLAINED, run.stdout


CANONICAL_0 = """
def has_close_elements(numbers, threshold):
    s = sorted(numbers)
    return any(b - a < threshold for a, b in zip(s, s[1:]))
"""
# Just under HumanEval/0's limit (max(1 s, 4 x the reference's time) = 1 s) on every input.
SLOW_0 = "import time\n" + CANONICAL_0.replace(
    "    s = sorted",
    "    t = time.process_time()\n    while time.process_time() - t < 0.95:\n        pass\n    s = sorted",
)
WRONG_0 = "def has_close_elements(numbers, threshold):\n    return False\n"


def test_parity_evidence(datasets: Path, tmp_path: Path) -> None:
    """The evidence beside each disagreement is measured, not assumed: a correct solution our side
    timed out (a regression) stays unexplained; a wrong one the peer's fresh run also fails, and
    one whose CPU time is at the limit, are explained by what this machine shows."""
    require_docker()
    source = tmp_path / "humaneval-0.jsonl"
    with gzip.open(EVALPLUS_FILES["humaneval"], "rt") as rows:
        source.write_text(next(line for line in rows if json.loads(line)["task_id"] == "HumanEval/0"))
    bank = tmp_path / "bank.db"
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "grader"), "bank", "build", "--out", str(bank),
         "--evalplus-tests", "base", str(source)],
        check=True, cwd=REPO, capture_output=True,
    )  # fmt: skip
    regression = Disagreement("m", "base", "HumanEval/0", CANONICAL_0, "TIME_LIMIT_EXCEEDED", "base pass", 0)
    wrong = Disagreement("m", "base", "HumanEval/0", WRONG_0, "WRONG_ANSWER", "base pass", 0)
    at_limit = Disagreement("m", "base", "HumanEval/0", SLOW_0, "ACCEPTED", "base fail", None)
    found = [regression, wrong, at_limit]
    measure_cpu(bank, found, tmp_path)
    fresh_verdicts("humaneval", found, tmp_path)
    for d in found:
        d.settle()
    lines = "\n".join(d.line() for d in found)
    assert regression.fresh == "base pass", lines
    assert regression.limit_ms == 1000.0, lines
    assert regression.cpu_ms is not None and regression.cpu_ms < 100, lines
    assert not regression.explained, lines
    assert wrong.fresh == "base fail", lines
    assert wrong.cpu_ms is None, lines  # not time-shaped: not measured
    assert wrong.explained, lines
    assert at_limit.cpu_ms is not None and at_limit.cpu_finished, lines
    assert abs(at_limit.cpu_ms - 1000.0) <= NEAR_LIMIT * 1000.0, lines
    assert at_limit.explained, lines
