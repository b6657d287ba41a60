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

SUITE_PATH = "/code/suite.py"
SUITE_MODULE = "__test__"
"""The module an answer and its suite run as (LiveBench's name for it)."""
NOT_WITH_SUITE = "the answer does not compile with the question's tests appended"
"""The answer compiles alone but not with the suite after it: the compiler's message would quote
the hidden suite, so this is all that is said (the answer alone is compiled first)."""
WORK_DIR = "/tmp/work"
"""The suite's working directory (tests write files there); on the tmpfs every reset empties."""
PRIVATE_DIRS = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MPLCONFIGDIR")
"""Environment variables naming directories a test may write to, created under /tmp if named there."""
GUARDED: tuple[type, ...] = (
    unittest.case.TestCase,
    unittest.result.TestResult,
    unittest.suite.BaseTestSuite,
    unittest.suite.TestSuite,
    unittest.loader.TestLoader,
    unittest.case._Outcome,  # type: ignore[attr-defined]
)
"""The classes whose behaviour decides an outcome: none of their attributes may change."""
GUARDED_BUILTINS = ("__build_class__", "__import__", "isinstance", "issubclass", "getattr", "vars", "type")
ALTERED = "SuiteAltered"
"""The exception name reported when the runner finds the suite or its machinery changed."""
RANK = {"pass": 0, "fail": 1, "error": 2}

# Bound now, in the zygote, before any candidate code: rebinding the builtins changes none of these.
_type, _vars, _getattr, _isinstance, _issubclass = type, vars, getattr, isinstance, issubclass
_dict_get: Any = dict.get
_proxy_get: Any = types.MappingProxyType.get
_get_names = unittest.loader.TestLoader.getTestCaseNames
_TestLoader, _TestCase, _TestSuite = (
    unittest.loader.TestLoader,
    unittest.case.TestCase,
    unittest.suite.TestSuite,
)
_run = unittest.suite.TestSuite.run


class Guard:
    """The unittest machinery and the suite's method code as they were before the candidate ran."""

    def __init__(self, module_code: types.CodeType, methods: list[str], classes: tuple[type, ...]) -> None:
        self.methods = list(methods)
        self.classes = {cls: dict(_vars(cls)) for cls in classes}
        self.metaclasses = {cls: _type(cls) for cls in classes}
        self.builtins = {name: _getattr(builtins, name) for name in GUARDED_BUILTINS}
        self.expected_code = method_code(module_code)

    def intact(self) -> bool:
        """Nothing the suite relies on was rebound, added or removed (compared by identity: a
        replacement's own __eq__ is never asked)."""
        for cls, attributes in self.classes.items():
            now = _vars(cls)
            if _type(cls) is not self.metaclasses[cls] or len(now) != len(attributes):
                return False
            if any(_proxy_get(now, name, now) is not value for name, value in attributes.items()):
                return False
        return all(_getattr(builtins, name, None) is value for name, value in self.builtins.items())

    def suite_class(self, namespace: dict[str, Any]) -> Any:
        """The module's ``TestCases`` if it is the suite's class, holding exactly the listed test
        methods, each still the suite's own code (through decorators' ``__wrapped__``)."""
        test_cases: Any = _dict_get(namespace, "TestCases")
        if not _isinstance(test_cases, _type) or not _issubclass(test_cases, _TestCase):
            return None
        if _type(test_cases) is not _type or _get_names(_TestLoader(), test_cases) != self.methods:
            return None
        for name in self.methods:
            if not is_code(_proxy_get(_vars(test_cases), name), _dict_get(self.expected_code, name)):
                return None
        return test_cases


def method_code(module_code: types.CodeType) -> dict[str, types.CodeType]:
    """The code objects of the last ``class TestCases`` body in the module (the suite comes after
    the answer), by function name."""
    bodies = [c for c in module_code.co_consts if _isinstance(c, types.CodeType) and c.co_name == "TestCases"]
    if not bodies:
        return {}
    return {c.co_name: c for c in bodies[-1].co_consts if _isinstance(c, types.CodeType)}


def is_code(function: object, expected: types.CodeType | None, depth: int = 8) -> bool:
    """Whether `function`, or what it wraps (decorators such as mock.patch), runs `expected`."""
    for _ in range(depth):
        if expected is None or function is None:
            return False
        if _getattr(function, "__code__", None) is expected:
            return True
        function = _getattr(function, "__wrapped__", None)
    return False


class Recorder(unittest.result.TestResult):
    """Reports each method's start and outcome on the result channel, in order; an outcome is the
    worst of what unittest said of the method (its subtests included)."""

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
        self.skippable: set[str] = set()
        """Methods the suite's own source marks skipped (a skip raised by the answer is an error)."""
        self.fixture_error = ""
        """A class or module fixture failed (setUpClass, tearDownClass…): the exception's type."""

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

    def startTest(self, test: unittest.TestCase) -> None:
        self.current = self.index(test)
        if self.current >= 0:
            self.report(i=self.current, start=True)
        super().startTest(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        self.note(test, "pass")

    def addFailure(self, test: unittest.TestCase, err: Any) -> None:
        self.note(test, "fail")

    def addError(self, test: unittest.TestCase, err: Any) -> None:
        self.note(test, "error", err[0].__name__[:100] if err and err[0] is not None else "Error")

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        allowed = _getattr(test, "_testMethodName", "") in self.skippable
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
        if not self.guard.intact():
            self.report(i=index, outcome="error", exception=ALTERED)
            self.exit_now(1)
        self.finish(index, *_dict_get(self.outcomes, index, ("error", "NoOutcome")))

    def finish(self, index: int, outcome: str, exception: str = "") -> None:
        self.reported.add(index)
        self.report(i=index, outcome=outcome, **({"exception": exception} if exception else {}))


def with_suite(source: str) -> types.CodeType | str:
    """The answer and the suite (read from SUITE_PATH) compiled as one module, as LiveBench runs
    them; or the compile error to report."""
    with open(SUITE_PATH, encoding="utf-8", errors="replace") as f:
        suite = f.read()
    try:
        return compile(source + "\n" + suite, SUITE_MODULE + ".py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError):
        return NOT_WITH_SUITE


def prepare_directories() -> None:
    """A fresh working directory, and the private directories the environment names, in /tmp."""
    for variable in PRIVATE_DIRS:
        path = os.environ.get(variable, "")
        if path.startswith("/tmp/"):
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
    guard = Guard(code, methods, (*GUARDED, Recorder))
    recorder = Recorder(guard, report, exit_now)
    prepare_directories()
    like_livebench()
    try:
        exec(code, namespace)
    except BaseException as exc:  # SystemExit included: never a pass
        report(fatal=_type(exc).__name__[:100], message="")
        exit_now(1)
    test_cases = guard.suite_class(namespace) if guard.intact() else None
    if test_cases is None:
        report(fatal=ALTERED, message="")
        exit_now(1)
    recorder.skippable = {
        name for name in methods if _getattr(test_cases, "__unittest_skip__", False)
        or _getattr(_vars(test_cases)[name], "__unittest_skip__", False)
    }  # fmt: skip
    suite = _TestSuite([test_cases(name) for name in methods])
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
