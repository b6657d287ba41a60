"""`grader bank build` runs unittest questions' reference solutions with their suites in the real
sandbox: a failing one leaves its question out with a line that names the question and the
method's position, never the suite's text or a method's name."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from grader.bank.store import BankStore
from tests.support.server import IMAGE, TEST_RUNTIME, require_docker

REPO = Path(__file__).resolve().parents[2]
SECRET = "SUITE-SECRET-0e7a"
SUITE = f"""import unittest
# {SECRET}

class TestCases(unittest.TestCase):
    def test_secret_empty(self):
        self.assertEqual(task_func([]), 0)

    def test_secret_sum(self):
        self.assertEqual(task_func([1, 2, 3]), 6)  # {SECRET}
"""
RIGHT = "def task_func(values):\n    return sum(values)\n"


def row(qid: str, reference: str, **changes: Any) -> dict[str, Any]:
    base = {"format": "grader.v1", "id": qid, "title": qid, "kind": "unittest", "entry_point": "task_func",
            "code_prompt": "def task_func(values):\n", "suite": SUITE, "reference": reference}  # fmt: skip
    return {**base, **changes}


ROWS = [
    row("ok/whole", RIGHT),
    row("ok/body", "    return sum(values)\n"),  # body only: the code prompt is prepended
    row("bad/assert", "def task_func(values):\n    return len(values)\n"),
    row("bad/raise", "def task_func(values):\n    return values[0]\n"),
    row("bad/syntax", "def task_func(values) return 0\n"),
    row("bad/import", "import no_such_module_4c1\n" + RIGHT),
    row("bad/slow", "def task_func(values):\n    while True: pass\n", limits={"time_s": 1}),
]
LEFT_OUT = {
    "bad/assert": "fails 1 of 2 test methods (first: method 1, failed an assertion)",
    "bad/raise": "fails 2 of 2 test methods (first: method 0, raised IndexError)",
    "bad/syntax": "fails 2 of 2 test methods (first: method 0, does not compile)",
    "bad/import": "fails 2 of 2 test methods (first: method 0, raised ModuleNotFoundError)",
    "bad/slow": "fails 2 of 2 test methods (first: method 0, timed out (the suite's limit))",
}


def build(tmp_path: Path, *options: str) -> subprocess.CompletedProcess[str]:
    source = tmp_path / "q.jsonl"
    source.write_text("".join(json.dumps(r) + "\n" for r in ROWS))
    command = [sys.executable, "-m", "grader.cli", "bank", "build", "--out", str(tmp_path / "bank.db"),
               "--sandbox-image", IMAGE, "--runtime", TEST_RUNTIME, "--concurrency", "2",
               *options, str(source)]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, cwd=REPO, timeout=600, check=False)


@pytest.fixture(autouse=True)
def docker() -> None:
    require_docker()


def test_failing_references_are_left_out(tmp_path: Path) -> None:
    result = build(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "running 7 reference solutions with their suites in the sandbox..." in result.stderr
    source = tmp_path / "q.jsonl"
    for line, (qid, reason) in enumerate(LEFT_OUT.items(), 3):
        assert f"grader: left out {source}:{line}: {qid}: the reference solution {reason}\n" in result.stderr
    assert "2 questions; 5 question(s) left out" in result.stderr
    for secret in (SECRET, "test_secret_empty", "test_secret_sum", "assertEqual"):
        assert secret not in result.stderr + result.stdout
    with BankStore.open(tmp_path / "bank.db") as store:
        infos, _ = store.list_questions()
        assert [i.id for i in infos] == ["ok/body", "ok/whole"]


def test_strict_fails_the_build(tmp_path: Path) -> None:
    result = build(tmp_path, "--strict")
    assert result.returncode == 1
    assert (
        "grader: bank build failed: " in result.stderr and ": the reference solution fails" in result.stderr
    )
    assert not (tmp_path / "bank.db").exists()
