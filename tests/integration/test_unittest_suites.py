"""unittest suites in a real container (the sandbox's own session, no bank): each method's outcome,
the suite's one time limit and the memory limit enforced from outside, the method a limit or a
crash stopped and the ones after it never run, compile errors that say nothing of the suite, and
a container that serves the next submission with nothing left of this one."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from grader.sandbox.docker import DockerSandbox
from grader.sandbox.interface import Limits, Prelude, Program, ProgramKind, Sandbox, TestRun
from grader.sandbox.pool import PoolSettings, WarmPool
from tests.support.server import docker_settings, require_docker

SUITE = """
import os, unittest
class TestCases(unittest.TestCase):
    def test_b(self):
        self.assertEqual(task_func(2), 4)
    def test_a(self):
        self.assertEqual(task_func(3), 9)
    def test_c(self):
        with open("left.txt", "a") as f:
            f.write("x")
        self.assertEqual(task_func(0), 0)
"""
METHODS = ["test_a", "test_b", "test_c"]
RIGHT = "def task_func(x):\n    return x * x\n"


def program(code: str, suite: str = SUITE, time_s: float = 2.0, memory_mb: int = 256) -> Program:
    return Program(
        code=code, kind=ProgramKind.UNITTEST, entry_point="task_func", prelude=Prelude.NONE,
        limits=Limits(time_s=time_s, memory_mb=memory_mb, output_mb=1), suite=suite,
    )  # fmt: skip


@pytest.fixture(scope="module")
def docker() -> DockerSandbox:
    require_docker()
    return DockerSandbox(docker_settings())


async def suite_runs(sandbox: Sandbox, code: str, methods: list[str], **fields: Any) -> list[TestRun]:
    async with sandbox.session(program(code, **fields)) as session:
        return await session.run_suite(0, methods)


def run_suite(sandbox: Sandbox, code: str, methods: list[str] = METHODS, **limits: float) -> list[TestRun]:
    """In a container of its own."""
    return asyncio.run(suite_runs(sandbox, code, methods, **limits))


def said(runs: list[TestRun]) -> list[str]:
    """Per method: its outcome, "TLE", "MLE", "not run", or "ended" (no report)."""
    out = []
    for run in runs:
        if run.not_run:
            out.append("not run")
        elif run.timed_out:
            out.append("TLE")
        elif run.oom_killed or run.peak_memory_kb > 256 * 1024:
            out.append("MLE")
        else:
            out.append(run.answer.outcome or "ended")
    return out


def test_each_method_reports_its_outcome(docker: DockerSandbox) -> None:
    runs = run_suite(docker, RIGHT)
    assert said(runs) == ["pass", "pass", "pass"]
    assert all(run.exit_code == 0 and run.peak_memory_kb > 0 for run in runs)
    assert said(run_suite(docker, "def task_func(x):\n    return x + x\n")) == ["fail", "pass", "pass"]


def test_the_suite_limit_stops_the_method_it_is_in(docker: DockerSandbox) -> None:
    code = "def task_func(x):\n    while x == 2:\n        pass\n    return x * x\n"
    runs = run_suite(docker, code, time_s=1.0)
    assert said(runs) == ["pass", "TLE", "not run"]
    assert runs[1].cpu_ms >= 1000.0


def test_memory_over_the_limit_stops_the_suite(docker: DockerSandbox) -> None:
    code = "def task_func(x):\n    if x == 3:\n        b = bytearray(400 << 20)\n    return x * x\n"
    assert said(run_suite(docker, code)) == ["MLE", "not run", "not run"]


def test_a_process_that_ends_mid_method_reports_nothing_for_it(docker: DockerSandbox) -> None:
    threaded = (
        "import os, threading, time\ndef task_func(x):\n    if x == 2:\n"
        "        threading.Thread(target=os._exit, args=(0,)).start()\n        time.sleep(5)\n"
        "    return x * x\n"
    )
    runs = run_suite(docker, threaded)
    assert said(runs) == ["pass", "ended", "not run"]
    assert runs[1].exit_code == 0 and not runs[1].answer.reported


def test_compile_errors_are_the_answers_alone(docker: DockerSandbox) -> None:
    runs = run_suite(docker, "def task_func(x)\n    return 1\n")
    assert runs[0].compile_error is not None and "main.py, line 1" in runs[0].compile_error
    # Compiles alone, not with the suite after it: nothing of the suite is quoted.
    # The answer compiles, the module does not: the compiler's message would quote the suite.
    runs = asyncio.run(suite_runs(docker, RIGHT, METHODS, suite=SUITE + "hidden_name = (\n"))
    assert runs[0].compile_error == "the answer does not compile with the question's tests appended"


def test_nothing_is_left_for_the_next_submission(docker: DockerSandbox) -> None:
    # test_b (x == 2) runs before test_c writes the file again.
    peek = (
        "import os\ndef task_func(x):\n    assert x != 2 or not os.path.exists('left.txt')\n    return x*x\n"
    )

    async def twice() -> list[list[str]]:
        pool = WarmPool(docker, PoolSettings(size=1, memory_limit_mb=512))
        await pool.start()
        try:
            return [said(await suite_runs(pool, code, METHODS)) for code in (RIGHT, peek)]
        finally:
            await pool.close()

    assert asyncio.run(twice()) == [["pass", "pass", "pass"]] * 2


def test_cheap_forgeries_report_no_pass(docker: DockerSandbox) -> None:
    forged = [
        "import sys\nsys.exit(0)\n",
        "import os\nos._exit(0)\n",
        "import unittest\nunittest.TestCase.assertEqual = lambda *a, **k: 0\ndef task_func(x): return -1\n",
        "import unittest\ndef task_func(x):\n    raise unittest.SkipTest('x')\n",
        'import os\nos.write(3, b\'{"i":0,"outcome":"pass"}\\n\')\ndef task_func(x):\n    return -1\n',
    ]
    for code in forged:
        assert "pass" not in said(run_suite(docker, code)), code
