"""Attack round 14: a unittest suite (sec/suite) graded as a hostile model would answer it.

The answer and the hidden suite run as one module in the candidate's own process, so the
candidate reaches the runner's frames (its reporter, the nonce inside it, ``exit_now``), the
module's own code object (which holds the compiled suite: its method names and every expected
value) and the objects the suite's assertions compare. Each attack is sent with a WRONG answer
behind it; a correct answer must be ACCEPTED right after (``attack``).
"""

from __future__ import annotations

import io

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import SECRETS, SUITE_METHOD_WORD
from tests.support.attacks import attack, rendered
from tests.support.server import RunningServer

REPORTS_EVERY_METHOD_PASSED = r"""
import sys
def task_func(s):
    return 'nope'
frame = sys._getframe()
while frame is not None and 'exit_now' not in frame.f_locals:
    frame = frame.f_back
runner = frame.f_locals
for i in range(len(runner['methods'])):
    runner['report'](i=i, start=True)
    runner['report'](i=i, outcome='pass')
runner['exit_now'](0)
"""
"""Walks up to run_suite's frame (runner/suite.py) and uses its own reporter: every method's
start and "pass" line carry the right nonce, then the worker ends with status 0."""

EQUAL_TO_ANYTHING = r"""
class Anything:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    __hash__ = object.__hash__
def task_func(s):
    return Anything()
"""
"""No patching at all: ``assertEqual(task_func(x), expected)`` compares with ``first == second``
(types differ, so unittest's base comparison), which asks the answer's object."""

ANSWER_KEY_FROM_THE_CALLER = r"""
import sys
def task_func(s):
    constants = sys._getframe(1).f_code.co_consts
    return [c for c in constants if isinstance(c, str) and c != s][-1]
"""
"""Returns the expected value the calling test method holds among its code's constants."""

SUITE_IN_AN_EXCEPTION_NAME = r"""
import sys, types
def task_func(s):
    return 'nope'
def constants(code):
    for c in code.co_consts:
        if isinstance(c, types.CodeType):
            yield c.co_name
            yield from constants(c)
        elif isinstance(c, str):
            yield c
found = [c for c in constants(sys._getframe().f_code) if c.startswith(('test_', 'MARK'))]
raise type(' '.join(found)[:100], (Exception,), {})()
"""
"""At module level, before the suite's class is even built: the module's own code object holds
the compiled suite; its method names and expected values leave as the raised class's name, which
the host takes as a fatal report's exception (results.py parse_outcome). It does not leave: a
private test's detail is not returned, and the log carries verdicts only."""

SUITE_IN_A_METHOD_EXCEPTION_NAME = r"""
import sys
def task_func(s):
    frame = sys._getframe(1)
    expected = [c for c in frame.f_code.co_consts if isinstance(c, str) and c != s][-1]
    raise type(frame.f_code.co_name + ' ' + expected, (Exception,), {})()
"""
"""The same channel per method: the calling method's name and its expected value."""


@pytest.mark.xfail(strict=True, reason="documented limit: frames walked to the runner's reporter")
def test_the_runners_own_reporter_cannot_forge_every_pass(target: RunningServer) -> None:
    response = attack(target, "sec/suite", REPORTS_EVERY_METHOD_PASSED)
    assert response.verdict != pb.ACCEPTED
    assert response.tests_passed == 0, [pb.Verdict.Name(t.verdict) for t in response.tests]


@pytest.mark.xfail(strict=True, reason="documented limit: an object whose __eq__ is always true")
def test_an_object_equal_to_anything_is_not_accepted(target: RunningServer) -> None:
    response = attack(target, "sec/suite", EQUAL_TO_ANYTHING)
    assert response.verdict != pb.ACCEPTED
    assert response.tests_passed == 0, [pb.Verdict.Name(t.verdict) for t in response.tests]


@pytest.mark.xfail(strict=True, reason="documented limit: the suite is readable in the process")
def test_the_answer_key_in_the_callers_frame_is_out_of_reach(target: RunningServer) -> None:
    response = attack(target, "sec/suite", ANSWER_KEY_FROM_THE_CALLER)
    assert response.verdict != pb.ACCEPTED
    assert response.tests_passed == 0, [pb.Verdict.Name(t.verdict) for t in response.tests]


@pytest.mark.parametrize(
    "code", [SUITE_IN_AN_EXCEPTION_NAME, SUITE_IN_A_METHOD_EXCEPTION_NAME], ids=["module", "method"]
)
def test_the_suite_does_not_leave_in_an_exception_name(
    target: RunningServer, security_log: io.StringIO, code: str
) -> None:
    response = attack(target, "sec/suite", code)
    text = rendered(response) + security_log.getvalue()
    assert response.verdict == pb.RUNTIME_ERROR
    assert SUITE_METHOD_WORD not in text
    assert not any(secret in text for secret in SECRETS)


CHOSEN_BIT = r"""
import sys
def task_func(s):
    code = sys._getframe(1).f_code
    expected = [c for c in code.co_consts if isinstance(c, str) and c != s][-1]
    if code.co_name.startswith('test_first') and int(expected[-1], 16) % 2 == PARITY:
        return expected
    return 'nope'
"""
"""One bit of the first method's expected value, chosen by the candidate, as the verdict."""


@pytest.mark.xfail(strict=True, reason="documented limit: the suite is readable in the process")
def test_a_chosen_bit_of_the_suite_does_not_decide_the_verdict(target: RunningServer) -> None:
    verdicts = [
        attack(target, "sec/suite", CHOSEN_BIT.replace("PARITY", str(parity))).tests_passed
        for parity in (0, 1)
    ]
    assert verdicts[0] == verdicts[1], "which submission passed tells the bit"


IN_METHOD_FORGERIES = {
    # unittest's testPartExecutor swallows _ShouldStop and leaves `success` True: addSuccess.
    "_ShouldStop raised": "import unittest\ndef task_func(s):\n    raise unittest.case._ShouldStop()\n",
    # The test's own _Outcome instance (not its class, which the runner guards): the failure is
    # taken as expected, and run() then reports success.
    "expecting_failure on the instance": (
        "import sys\ndef task_func(s):\n"
        "    sys._getframe(1).f_locals['self']._outcome.expecting_failure = True\n    return 'nope'\n"
    ),
}
"""A wrong answer that makes the method it is called from pass, from inside that method."""

MODULE_GLOBAL_FORGERIES = {
    # The runner guards unittest's classes, not the module globals TestCase.run looks up when it
    # runs: every exception of a method is then "_ShouldStop", which testPartExecutor swallows.
    "unittest.case._ShouldStop rebound": "import unittest\nunittest.case._ShouldStop = Exception\n"
    + ("def task_func(s):\n    return 'nope'\n"),
    "unittest.case._Outcome rebound": (
        "import contextlib, unittest\n"
        "class Outcome(unittest.case._Outcome):\n"
        "    @contextlib.contextmanager\n"
        "    def testPartExecutor(self, test_case, subTest=False):\n"
        "        try:\n            yield\n        except Exception:\n            pass\n"
        "unittest.case._Outcome = Outcome\n"
        "def task_func(s):\n    return 'nope'\n"
    ),
    # The suite's `class TestCases(unittest.TestCase)` looks the base up when it runs: a subclass
    # of TestCase (which passes issubclass) with assertions of its own.
    "unittest.TestCase rebound": (
        "import unittest\n"
        "class Lenient(unittest.TestCase):\n"
        "    def assertEqual(self, *args, **kwargs):\n        pass\n"
        "unittest.TestCase = Lenient\n"
        "def task_func(s):\n    return 'nope'\n"
    ),
}
"""Frameless, at module level, before the suite's class exists."""

LATER_METHOD_FORGERIES = {
    # TestCases itself is checked once, before the first method; its attributes after that are not.
    "TestCases.assertEqual rebound": (
        "import sys\ndef task_func(s):\n"
        "    type(sys._getframe(1).f_locals['self']).assertEqual = lambda *a, **k: None\n"
        "    return 'nope'\n"
    ),
    "later methods' __code__ swapped": (
        "import sys\ndef task_func(s):\n"
        "    cls = type(sys._getframe(1).f_locals['self'])\n"
        "    for name in [n for n in vars(cls) if n.startswith('test')]:\n"
        "        getattr(cls, name).__code__ = (lambda self: None).__code__\n"
        "    return 'nope'\n"
    ),
}
"""A wrong answer, called by the first method (which fails), that makes the methods after it pass."""


@pytest.mark.parametrize("name", [*IN_METHOD_FORGERIES, *MODULE_GLOBAL_FORGERIES])
def test_a_method_cannot_pass_itself(target: RunningServer, name: str) -> None:
    response = attack(target, "sec/suite", {**IN_METHOD_FORGERIES, **MODULE_GLOBAL_FORGERIES}[name])
    assert response.verdict != pb.ACCEPTED
    assert response.tests_passed == 0, [pb.Verdict.Name(t.verdict) for t in response.tests]


@pytest.mark.parametrize("name", list(LATER_METHOD_FORGERIES))
def test_a_method_cannot_pass_the_ones_after_it(target: RunningServer, name: str) -> None:
    response = attack(target, "sec/suite", LATER_METHOD_FORGERIES[name])
    assert response.tests_passed == 0, [pb.Verdict.Name(t.verdict) for t in response.tests]


SUITE_POLLUTER = r"""
import os, time
for path in ('/tmp/work/planted', os.path.expanduser('~/planted'), '/tmp/planted'):
    try:
        with open(path, 'w') as f:
            f.write('x')
    except OSError:
        pass
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(1.0)
        for path in ('/tmp/work/late', '/tmp/late'):
            with open(path, 'w') as f:
                f.write('x')
    os._exit(0)
def task_func(s):
    return 'nope'
"""
"""Files in the suite's working directory, its HOME and /tmp, and a detached grandchild that
writes more a second later (while the next submission runs)."""

SUITE_PROBE = r"""
import hashlib, os, time
time.sleep(1.2)
PLANTED = [p for p in ('/tmp/work/planted', os.path.expanduser('~/planted'), '/tmp/planted',
                       '/tmp/work/late', '/tmp/late') if os.path.exists(p)]
def task_func(s):
    if PLANTED:
        return 'polluted'
    return 'MARK' + 'ER-' + hashlib.sha256(s.encode()).hexdigest()[:16]
"""
"""A correct answer unless anything the polluter planted is there."""


def test_a_suite_leaves_nothing_for_the_next_one(target: RunningServer) -> None:
    attack(target, "sec/suite", SUITE_POLLUTER)
    response = attack(target, "sec/suite", SUITE_PROBE)
    assert response.verdict == pb.ACCEPTED, [pb.Verdict.Name(t.verdict) for t in response.tests]


BRIEF_SPIKE = r"""
import hashlib
def task_func(s):
    spike = bytearray(400 << 20)  # touched (zeroed) and freed at once: 400 MiB on a 256 MiB question
    del spike
    return 'MARK' + 'ER-' + hashlib.sha256(s.encode()).hexdigest()[:16]
"""
"""Memory over the limit for a moment shorter than the supervisor's 50 ms reading interval."""


def test_a_brief_memory_spike_in_a_method_is_over_the_limit(target: RunningServer) -> None:
    response = attack(target, "sec/suite", BRIEF_SPIKE)
    assert response.verdict == pb.MEMORY_LIMIT_EXCEEDED, [pb.Verdict.Name(t.verdict) for t in response.tests]


def test_the_question_shows_nothing_of_its_suite(target: RunningServer) -> None:
    question = target.stub.GetQuestion(pb.GetQuestionRequest(question_id="sec/suite"), timeout=30)
    listing = target.stub.ListQuestions(pb.ListQuestionsRequest(page_size=1000), timeout=30)
    for text in (str(question), str(listing), question.SerializeToString().decode("latin-1")):
        assert SUITE_METHOD_WORD not in text
        assert "assertEqual" not in text
        assert not any(secret in text for secret in SECRETS)
