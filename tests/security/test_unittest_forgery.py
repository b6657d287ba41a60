"""Forging a pass of a unittest suite (sec/suite: BigCodeBench / LiveBench code_generation style),
which runs in the candidate's own process as LiveBench runs it. Every cheap forgery is tried with
a wrong answer behind it: none may be ACCEPTED, none may leak the suite (its markers, its method
names), and the service must serve a correct answer right after. LiveBench's own harness scores
several of these as passes (bench/livebench_forgeries.py)."""

from __future__ import annotations

import io

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_SUITE, SUITE_METHOD_WORD
from tests.support.attacks import attack
from tests.support.server import RunningServer, grade

WRONG = "def task_func(s):\n    return 'nope'\n"


def behind(statement: str) -> str:
    """A module-level forgery in front of a wrong answer."""
    return f"import os, sys, threading, unittest, builtins\n{statement}\n{WRONG}"


def in_function(statement: str) -> str:
    return f"import os, sys, threading, unittest\ndef task_func(s):\n    {statement}\n    return 'nope'\n"


FORGERIES = {
    "sys.exit at import": behind("sys.exit(0)"),
    "os._exit at import": behind("os._exit(0)"),
    "sys.exit in the function": in_function("sys.exit(0)"),
    "os._exit in the function": in_function("os._exit(0)"),
    "os._exit in a thread": in_function(
        "threading.Thread(target=os._exit, args=(0,)).start(); import time; time.sleep(3)"
    ),
    "sys.exit in tearDown": behind("unittest.TestCase.tearDown = lambda self: sys.exit(0)"),
    "assertEqual patched": behind("unittest.TestCase.assertEqual = lambda *a, **k: None"),
    "every assert patched in the function": in_function(
        "[setattr(unittest.TestCase, n, lambda *a, **k: None)"
        " for n in dir(unittest.TestCase) if n.startswith('assert')]"
    ),
    "TestCase.run patched": behind("unittest.TestCase.run = lambda self, result=None: None"),
    "addFailure and addError patched": behind(
        "unittest.TestResult.addFailure = unittest.TestResult.addError = lambda *a: None"
    ),
    "wasSuccessful patched": behind("unittest.TestResult.wasSuccessful = lambda self: True"),
    "TestLoader emptied": behind("unittest.TestLoader.getTestCaseNames = lambda self, c: []"),
    "unittest.main patched": behind("unittest.main = lambda *a, **k: None"),
    "SkipTest in the function": in_function("raise unittest.SkipTest('later')"),
    "__init_subclass__ empties TestCases": behind(
        "unittest.TestCase.__init_subclass__ = classmethod(lambda cls, **k: "
        "[delattr(cls, n) for n in list(vars(cls)) if n.startswith('test')])"
    ),
    "__build_class__ empties TestCases": behind(
        "_b = builtins.__build_class__\n"
        "builtins.__build_class__ = lambda f, n, *a, **k: "
        "_b((lambda: None) if n == 'TestCases' else f, n, *a, **k)"
    ),
    "lookalike runner output": behind("print('.' * 2 + '\\nRan 2 tests in 0.001s\\n\\nOK')"),
    "result lines written to every descriptor": behind(
        "for fd in range(1, 10):\n"
        '    try: os.write(fd, b\'{"i": 0, "outcome": "pass"}\\n{"i": 1, "outcome": "pass"}\\n\')\n'
        "    except OSError: pass"
    ),
}


@pytest.mark.parametrize("name", list(FORGERIES))
def test_a_forgery_is_not_accepted(target: RunningServer, security_log: io.StringIO, name: str) -> None:
    response = attack(target, "sec/suite", FORGERIES[name])
    assert response.verdict != pb.ACCEPTED, name
    assert response.tests_passed == 0, [pb.Verdict.Name(t.verdict) for t in response.tests]
    assert SUITE_METHOD_WORD not in str(response)
    assert SUITE_METHOD_WORD not in security_log.getvalue()


def test_the_suite_passes_a_correct_answer(target: RunningServer) -> None:
    response = grade(target.stub, "sec/suite", CORRECT_SUITE)
    assert response.verdict == pb.ACCEPTED, [pb.Verdict.Name(t.verdict) for t in response.tests]
    assert (response.tests_passed, response.tests_total) == (2, 2)


def test_a_limit_stops_the_method_it_is_in_and_skips_the_rest(target: RunningServer) -> None:
    response = attack(target, "sec/suite", in_function("while True: pass"))
    assert [t.verdict for t in response.tests] == [pb.TIME_LIMIT_EXCEEDED, pb.SKIPPED]
