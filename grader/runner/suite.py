"""A unittest suite in the candidate's own process (standard library only), as LiveBench and
BigCodeBench run one: the answer and the suite as one module, then the ``TestCases`` methods in
unittest's loader order into one result.

The candidate's code runs first, in this process, and can reach everything here, so nothing in it
is a proof; what it does is make every cheap forgery fail. Before any candidate code runs, the
runner takes its own references to the unittest machinery it drives and to the code objects of
the suite's methods (compiled with the answer, before it ran); after the module has run, and after
every method, it checks that none of them was rebound and that the class it is about to run is the
suite's, with exactly the methods the host listed (the host knows their names from the bank). A
method reports only its outcome ("pass", "fail", "error") and an exception's type: never a message
or a traceback, which carry the suite's hidden data. The supervisor outside takes which method
started and ended from these lines to place its own measurements (time, memory, how the process
ended); the host then judges.
"""

from __future__ import annotations

import builtins
import json
import os
import sys
import time
import types
import unittest
import unittest.case
import unittest.loader
import unittest.result
import unittest.suite
from collections.abc import Callable
from typing import Any, NoReturn

if __package__:  # imported as grader.runner.suite
    from grader.runner.environment import private_dirs
    from grader.runner.suite_guard import Guard, neutralize_should_stop
else:  # the sandbox's flat copy of the runner
    from environment import private_dirs  # type: ignore[import-not-found,no-redef]
    from suite_guard import Guard, neutralize_should_stop  # type: ignore[import-not-found,no-redef]

SUITE_PATH = "/code/suite.py"
SUITE_MODULE = "__test__"
"""The module an answer and its suite run as (LiveBench's name for it)."""
NOT_WITH_SUITE = "the answer does not compile with the question's tests appended"
"""The answer compiles alone but not with the suite after it: the compiler's message would quote
the hidden suite, so this is all that is said (the answer alone is compiled first)."""
WORK_DIR = "/tmp/work"
"""The suite's working directory (tests write files there); on the tmpfs every reset empties."""
ALTERED = "SuiteAltered"
"""The exception name reported when the runner finds the suite or its machinery changed."""
RANK = {"pass": 0, "fail": 1, "error": 2}
SUITE_FIRST_LINE = [0]
"""The module's first line of the suite, set by with_suite in the zygote (its workers inherit it)."""

# Bound now, in the zygote, before any candidate code: rebinding the builtins changes none of these.
_type, _vars, _getattr, _isinstance, _issubclass, _callable = (
    type,
    vars,
    getattr,
    isinstance,
    issubclass,
    callable,
)
_dict_get: Any = dict.get
_TestSuite, _run = unittest.suite.TestSuite, unittest.suite.TestSuite.run
_EQUALITY = "_type_equality_funcs"
"""TestCase's per-instance table from a type to the name of the assertEqual it dispatches to."""


class Recorder(unittest.result.TestResult):
    """Reports each method's start and outcome on the result channel, in order. A method passes
    when unittest says so (no failure or error, its subtests included) and the runner's own
    wrapper saw the method return (unittest can be told to take an exception for a success: an
    expected failure, an exception it swallows); a method the suite's source marks skipped or as
    an expected failure passes as unittest says."""

    def __init__(
        self, guard: Guard, report: Callable[..., None], exit_now: Callable[[int], NoReturn]
    ) -> None:
        super().__init__()
        self.guard = guard
        self.report = report
        self.exit_now = exit_now
        self.position = {name: i for i, name in enumerate(guard.methods)}
        self.outcomes: dict[int, tuple[str, str]] = {}
        self.reported: set[int] = set()
        self.current = -1
        self.exempt: set[str] = set()
        """Methods the suite's own source marks skipped or expected to fail (found before the run)."""
        self.returned: set[int] = set()
        self.raised: dict[int, str] = {}
        self.fixture_error = ""
        """A class or module fixture failed (setUpClass, tearDownClass…): the exception's type."""
        self.shapes: dict[int, tuple[frozenset[str], dict[Any, Any]]] = {}
        """Per test instance: its attributes before it ran, and its assertEqual dispatch table."""

    def index(self, test: object) -> int:
        index: int = _dict_get(self.position, _getattr(test, "_testMethodName", ""), -1)
        return index

    def note(self, test: object, outcome: str, exception: str = "") -> None:
        index = self.index(test)
        if index < 0:
            self.fixture_error = exception or "Error"
            return
        worst = _dict_get(self.outcomes, index, ("pass", ""))
        if RANK[outcome] >= RANK[worst[0]]:
            self.outcomes[index] = (outcome, exception)

    def witness(self, test: unittest.TestCase, index: int) -> None:
        """Puts the runner's wrapper around the test's method, on the instance (where unittest
        looks first), keeping the markers unittest reads from the method."""
        method = _getattr(test, test._testMethodName)
        returned, raised = self.returned, self.raised

        def witnessed(*args: Any, **kwargs: Any) -> Any:
            try:
                value = method(*args, **kwargs)
            except BaseException as exc:
                raised[index] = _type(exc).__name__[:100]
                raise
            returned.add(index)
            return value

        for marker in ("__unittest_skip__", "__unittest_skip_why__", "__unittest_expecting_failure__"):
            if _getattr(method, marker, None) is not None:
                setattr(witnessed, marker, _getattr(method, marker))
        _vars(test)[test._testMethodName] = witnessed
        self.shapes[index] = (frozenset(_vars(test)), dict(_getattr(test, _EQUALITY, {})))

    def unchanged(self, test: unittest.TestCase, index: int) -> bool:
        """No attribute set on the instance shadows a method of its class (say an assertion), and
        its assertEqual dispatch table is as it was."""
        before, equality = self.shapes[index]
        for name in _vars(test):
            if name not in before and _callable(_getattr(_type(test), name, None)):
                return False
        table = _getattr(test, _EQUALITY, {})
        return (
            _isinstance(table, dict)
            and table.keys() == equality.keys()
            and all(table[key] is value for key, value in equality.items())
        )

    def startTest(self, test: unittest.TestCase) -> None:
        self.current = self.index(test)
        if self.current >= 0:
            if not self.guard.intact():
                self.finish(self.current, "error", ALTERED)
                self.exit_now(1)
            self.report(i=self.current, start=True)
        super().startTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        self.note(test, "pass")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        self.note(test, "fail")

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        self.note(test, "error", err[0].__name__[:100] if err and err[0] is not None else "Error")

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        allowed = _getattr(test, "_testMethodName", "") in self.exempt
        self.note(test, "pass" if allowed else "error", "" if allowed else "SkipTest")

    def addExpectedFailure(self, test: unittest.TestCase, err: Any) -> None:
        self.note(test, "pass")

    def addUnexpectedSuccess(self, test: unittest.TestCase) -> None:
        self.note(test, "pass")  # LiveBench counts failures and errors only

    def addSubTest(self, test: unittest.TestCase, subtest: unittest.TestCase, err: Any) -> None:
        if err is not None:
            failed = _issubclass(err[0], test.failureException)
            self.note(test, "fail" if failed else "error", "" if failed else err[0].__name__[:100])

    def stopTest(self, test: unittest.TestCase) -> None:
        super().stopTest(test)
        index, self.current = self.current, -1
        if index < 0 or index in self.reported:
            return
        if not self.guard.intact() or not self.unchanged(test, index):
            self.finish(index, "error", ALTERED)
            self.exit_now(1)
        outcome, exception = _dict_get(self.outcomes, index, ("error", "NoOutcome"))
        if outcome == "pass" and index not in self.returned and self.guard.methods[index] not in self.exempt:
            # unittest took it for a success, yet the method never returned.
            outcome, exception = "error", _dict_get(self.raised, index, "NoReturn")
        self.finish(index, outcome, exception)

    def finish(self, index: int, outcome: str, exception: str = "") -> None:
        self.reported.add(index)
        self.report(i=index, outcome=outcome, **({"exception": exception} if exception else {}))


def with_suite(source: str) -> types.CodeType | str:
    """The answer and the suite (read from SUITE_PATH) compiled as one module, as LiveBench runs
    them; or the compile error to report."""
    with open(SUITE_PATH, encoding="utf-8", errors="replace") as f:
        suite = f.read()
    SUITE_FIRST_LINE[0] = source.count("\n") + 2
    try:
        return compile(source + "\n" + suite, SUITE_MODULE + ".py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError):
        return NOT_WITH_SUITE


def prepare_directories() -> None:
    """A fresh working directory, and the private directories the environment names, in /tmp."""
    for path in private_dirs():
        os.makedirs(path, exist_ok=True)
    os.makedirs(WORK_DIR, exist_ok=True)
    os.chdir(WORK_DIR)


def like_livebench() -> None:
    """What LiveBench's harness sets before an answer runs (its reliability_guard): UTC, one
    OpenMP thread, and no ``exit``/``quit`` builtins."""
    os.environ.update(TZ="UTC", OMP_NUM_THREADS="1")
    time.tzset()
    builtins.exit = None  # type: ignore[assignment]
    builtins.quit = None  # type: ignore[assignment]


def run_suite(
    code: types.CodeType,
    report: Callable[..., None],
    namespace: dict[str, Any],
    exit_now: Callable[[int], NoReturn],
) -> NoReturn:
    """Runs the module (answer and suite) in `namespace`, then the methods the host listed (one
    JSON list on stdin), reporting each; ends the process. A module that raises, or a suite or
    machinery found changed before the run, is reported once as fatal: every method's error; a
    fixture that fails after the last method (tearDownClass) is reported as fatal then."""
    methods = [str(name) for name in json.loads(sys.stdin.read())]
    prepare_directories()
    like_livebench()
    neutralize_should_stop()
    guard = Guard(code, SUITE_FIRST_LINE[0], methods)
    guard.guard_classes([Recorder])
    recorder = Recorder(guard, report, exit_now)
    try:
        exec(code, namespace)
    except BaseException as exc:  # SystemExit included: never a pass
        report(fatal=_type(exc).__name__[:100], message="")
        exit_now(1)
    test_cases = guard.suite_class(namespace) if guard.intact() else None
    if test_cases is None:
        report(fatal=ALTERED, message="")
        exit_now(1)
    recorder.exempt = {
        name for name in methods if _getattr(test_cases, "__unittest_skip__", False)
        or _getattr(_getattr(test_cases, name), "__unittest_skip__", False)
        or _getattr(_getattr(test_cases, name), "__unittest_expecting_failure__", False)
    }  # fmt: skip
    tests = [test_cases(name) for name in methods]
    for index, test in enumerate(tests):
        recorder.witness(test, index)
    suite = _TestSuite(tests)
    report(ready=True)
    try:
        _run(suite, recorder)
    except BaseException as exc:  # out of unittest's own handling (a fixture's SystemExit, say)
        recorder.fixture_error = _type(exc).__name__[:100] or "Error"
    if not guard.intact():
        recorder.fixture_error = ALTERED
    for index in range(len(methods)):
        if index not in recorder.reported:
            # Never started: a class or module fixture failed first, and LiveBench fails the suite.
            recorder.finish(index, "error", recorder.fixture_error or "NoOutcome")
    if recorder.fixture_error:
        report(fatal=recorder.fixture_error, message="")
        exit_now(1)
    exit_now(0)
