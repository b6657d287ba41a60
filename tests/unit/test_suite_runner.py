"""The candidate's side of a unittest suite (grader/runner/suite.py), run in a subprocess of its own
with no container: what it reports for honest answers, fixtures and subtests, and that the cheap
forgeries LiveBench's harness scores as passes report no pass here."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

DRIVER = """
import io, json, os, sys, types
from grader.runner import suite
suite.WORK_DIR = sys.argv[2]
source = open(sys.argv[1]).read()
code = compile(source, "__test__.py", "exec")
sys.stdin = io.StringIO(sys.argv[3])
module = types.ModuleType("__test__")
sys.modules["__test__"] = module
module.__dict__.update(sys=sys, os=os, environ=os.environ)
out = os.dup(1)
def report(**fields):
    os.write(out, ("REPORT " + json.dumps(fields) + "\\n").encode())
suite.run_suite(code, report, module.__dict__, os._exit)
"""

SUITE = """
import unittest
class TestCases(unittest.TestCase):
    def test_b(self):
        self.assertEqual(task_func(2), 4)
    def test_a(self):
        self.assertEqual(task_func(3), 9)
"""
METHODS = ["test_a", "test_b"]
RIGHT = "def task_func(x):\n    return x * x\n"


def run_suite(tmp_path: Path, answer: str, suite: str = SUITE, methods: list[str] | None = None) -> list[Any]:
    program = tmp_path / "program.py"
    program.write_text(answer + "\n" + textwrap.dedent(suite))
    done = subprocess.run(
        [sys.executable, "-c", DRIVER, str(program), str(tmp_path / "work"), json.dumps(methods or METHODS)],
        capture_output=True, text=True, timeout=60, cwd=Path(__file__).resolve().parents[2],
    )  # fmt: skip
    return [json.loads(line[7:]) for line in done.stdout.splitlines() if line.startswith("REPORT ")]


def outcomes(reports: list[Any]) -> list[str]:
    """Each method's last outcome, in order; "fatal:<name>" for a fatal report."""
    said = [
        f"fatal:{r['fatal']}" if "fatal" in r else r["outcome"]
        for r in reports
        if "fatal" in r or "outcome" in r
    ]
    return said


def test_an_honest_answer_reports_each_method_in_loader_order(tmp_path: Path) -> None:
    reports = run_suite(tmp_path, RIGHT)
    assert reports == [
        {"ready": True},
        {"i": 0, "start": True},
        {"i": 0, "outcome": "pass"},
        {"i": 1, "start": True},
        {"i": 1, "outcome": "pass"},
    ]


def test_a_wrong_answer_fails_the_method_and_says_nothing_of_it(tmp_path: Path) -> None:
    reports = run_suite(tmp_path, "def task_func(x):\n    return x + x\n")
    assert outcomes(reports) == ["fail", "pass"]  # test_a: 6 != 9; test_b: 4 == 4
    assert all(set(r) <= {"i", "start", "outcome", "exception", "ready"} for r in reports)


def test_an_error_names_only_the_exception_type(tmp_path: Path) -> None:
    reports = run_suite(tmp_path, "def task_func(x):\n    raise KeyError('secret 9')\n")
    assert [r for r in reports if "outcome" in r] == [
        {"i": 0, "outcome": "error", "exception": "KeyError"},
        {"i": 1, "outcome": "error", "exception": "KeyError"},
    ]
    assert "secret" not in json.dumps(reports)


def test_a_failed_subtest_fails_its_method(tmp_path: Path) -> None:
    suite = """
    import unittest
    class TestCases(unittest.TestCase):
        def test_a(self):
            for n in (1, 2):
                with self.subTest(n=n):
                    self.assertEqual(task_func(n), 1)
        def test_b(self):
            pass
    """
    assert outcomes(run_suite(tmp_path, "def task_func(x):\n    return 1 if x == 1 else 0\n", suite)) == [
        "fail",
        "pass",
    ]


def test_a_failing_set_up_class_errors_every_method(tmp_path: Path) -> None:
    suite = """
    import unittest
    class TestCases(unittest.TestCase):
        @classmethod
        def setUpClass(cls):
            task_func(0)
        def test_a(self):
            pass
        def test_b(self):
            pass
    """
    answer = "def task_func(x):\n    raise ValueError\n"
    assert outcomes(run_suite(tmp_path, answer, suite)) == ["error", "error", "fatal:ValueError"]


def test_a_failing_tear_down_class_fails_the_suite(tmp_path: Path) -> None:
    suite = """
    import unittest
    class TestCases(unittest.TestCase):
        @classmethod
        def tearDownClass(cls):
            task_func(0)
        def test_a(self):
            pass
        def test_b(self):
            pass
    """
    answer = "def task_func(x):\n    raise ValueError\n"
    assert outcomes(run_suite(tmp_path, answer, suite)) == ["pass", "pass", "fatal:ValueError"]


def test_tests_write_in_a_fresh_working_directory_with_livebench_settings(tmp_path: Path) -> None:
    suite = """
    import os, time, unittest, builtins
    class TestCases(unittest.TestCase):
        def test_a(self):
            with open("out.txt", "w") as f:
                f.write("x")
            self.assertTrue(os.getcwd().endswith("work"))
            self.assertEqual(time.strftime("%Z"), "UTC")
            self.assertEqual(os.environ["OMP_NUM_THREADS"], "1")
            self.assertIsNone(builtins.exit)
        def test_b(self):
            self.assertTrue(os.path.exists("out.txt"))
    """
    assert outcomes(run_suite(tmp_path, "x = sys.version and os.sep and environ\n", suite)) == [
        "pass",
        "pass",
    ]


def test_a_method_skipped_by_the_suite_itself_passes(tmp_path: Path) -> None:
    suite = """
    import unittest
    class TestCases(unittest.TestCase):
        @unittest.skip("not here")
        def test_a(self):
            self.fail()
        def test_b(self):
            pass
    """
    assert outcomes(run_suite(tmp_path, RIGHT, suite)) == ["pass", "pass"]


def wrong_with(statement: str) -> str:
    """A wrong answer behind a module-level statement."""
    return f"import unittest\n{statement}\ndef task_func(x):\n    return 0\n"


FORGERIES = {
    "exit at import": "import sys\nsys.exit(0)\n" + RIGHT,
    "exit in the function": "import sys\ndef task_func(x):\n    sys.exit(0)\n",
    "exit in tearDown": (
        "import sys, unittest\nunittest.TestCase.tearDown = lambda self: sys.exit(0)\n"
        "def task_func(x):\n    return 0\n"
    ),
    "assertEqual patched at import": (wrong_with("unittest.TestCase.assertEqual = lambda *a, **k: None")),
    "every assert patched in the function": (
        "import unittest\ndef task_func(x):\n"
        "    for n in dir(unittest.TestCase):\n"
        "        if n.startswith('assert'): setattr(unittest.TestCase, n, lambda *a, **k: None)\n"
        "    return 0\n"
    ),
    "TestCase.run patched": (wrong_with("unittest.TestCase.run = lambda self, result=None: None")),
    "addFailure and addError patched": (
        "import unittest\nunittest.TestResult.addFailure = unittest.TestResult.addError = "
        "lambda *a: None\ndef task_func(x):\n    return 0\n"
    ),
    "wasSuccessful patched": (wrong_with("unittest.TestResult.wasSuccessful = lambda self: True")),
    "getTestCaseNames empties the suite": (
        wrong_with("unittest.TestLoader.getTestCaseNames = lambda self, c: []")
    ),
    "unittest.main patched": wrong_with("unittest.main = lambda *a, **k: None"),
    "SkipTest in the function": "import unittest\ndef task_func(x):\n    raise unittest.SkipTest('later')\n",
    "__init_subclass__ empties TestCases": (
        "import unittest\n"
        "def hook(cls, **kw):\n"
        "    for n in [n for n in vars(cls) if n.startswith('test')]: delattr(cls, n)\n"
        "unittest.TestCase.__init_subclass__ = classmethod(hook)\n"
        "def task_func(x):\n    return 0\n"
    ),
    "__build_class__ empties TestCases": (
        "import builtins\n_b = builtins.__build_class__\n"
        "def bc(f, name, *a, **k):\n"
        "    return _b(lambda: None, name, *a, **k) if name == 'TestCases' else _b(f, name, *a, **k)\n"
        "builtins.__build_class__ = bc\ndef task_func(x):\n    return 0\n"
    ),
    "fake OK printed": "print('Ran 2 tests\\n\\nOK')\ndef task_func(x):\n    return 0\n",
    "fake result lines on every fd": (
        "import os\nfor fd in range(1, 10):\n"
        '    try: os.write(fd, b\'{"i": 0, "outcome": "pass"}\\n{"i": 1, "outcome": "pass"}\\n\')\n'
        "    except OSError: pass\n"
        "def task_func(x):\n    return 0\n"
    ),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forgery_reports_no_pass(tmp_path: Path, name: str) -> None:
    reports = run_suite(tmp_path, FORGERIES[name])
    # Reports without the nonce are not taken by the supervisor (this driver has none): only the
    # runner's own count. No method may be reported passed, and one at least must be reported.
    said = outcomes(reports)
    assert said, reports
    assert "pass" not in said or any(s.startswith("fatal") for s in said[: said.index("pass") + 1]), said
