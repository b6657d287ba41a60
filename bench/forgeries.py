"""Forged passes for unittest-suite questions: model answers around a WRONG function, each with one
trick that might make a harness running the tests in the candidate's process score it a pass.

Data only, shared by `bench/livebench_forgeries.py` (how LiveBench's own harness scores them) and
the attack tests in tests/security. `answer(name, entry_point)` gives the answer's code for a question
whose function is `entry_point`; every answer defines that function, so LiveBench's `code_prompt` rule
does not prepend anything (the answer is run as written, then the suite is appended).
"""

from __future__ import annotations

from dataclasses import dataclass
from string import Template

# A function that returns the wrong value for every test of every task.
WRONG = "def $entry(*args, **kwargs):\n    return None\n"


@dataclass(frozen=True)
class Forgery:
    name: str
    attack: str  # what it does, for tables and test ids
    code: str  # a Template: $entry is the entry point's name
    # False only for what stays possible for code that reaches into the interpreter (documented).
    must_fail: bool = True


FORGERIES: tuple[Forgery, ...] = (
    Forgery("sys_exit_at_import", "sys.exit(0) at import, before the suite is defined",
            "import sys\n" + WRONG + "sys.exit(0)\n"),
    Forgery("os_exit_at_import", "os._exit(0) at import",
            "import os\n" + WRONG + "os._exit(0)\n"),
    Forgery("sys_exit_in_function", "sys.exit(0) inside the function",
            "import sys\ndef $entry(*args, **kwargs):\n    sys.exit(0)\n"),
    Forgery("os_exit_in_function", "os._exit(0) inside the function",
            "import os\ndef $entry(*args, **kwargs):\n    os._exit(0)\n"),
    Forgery("os_exit_in_thread", "a thread started at import calls os._exit(0) while the tests run",
            "import os, threading, time\n" + WRONG
            + "threading.Thread(target=lambda: (time.sleep(0.3), os._exit(0)), daemon=True).start()\n"),
    Forgery("os_exit_in_function_thread", "the function starts a thread that calls os._exit(0)",
            "import os, threading, time\ndef $entry(*args, **kwargs):\n"
            "    threading.Thread(target=lambda: os._exit(0)).start()\n    time.sleep(1)\n"),
    Forgery("sys_exit_in_teardown", "TestCase.tearDown patched at import to sys.exit(0)",
            "import sys, unittest\n" + WRONG + "unittest.TestCase.tearDown = lambda self: sys.exit(0)\n"),
    Forgery("os_exit_in_teardown", "TestCase.tearDown patched at import to os._exit(0)",
            "import os, unittest\n" + WRONG + "unittest.TestCase.tearDown = lambda self: os._exit(0)\n"),
    Forgery("patch_assert_equal", "TestCase.assertEqual/assertTrue replaced by no-ops",
            "import unittest\n" + WRONG
            + "unittest.TestCase.assertEqual = lambda self, *a, **k: None\n"
            "unittest.TestCase.assertTrue = lambda self, *a, **k: None\n"),
    Forgery("patch_every_assert", "every TestCase.assert*/fail* replaced by a no-op",
            "import unittest\n" + WRONG
            + "for _n in dir(unittest.TestCase):\n"
            "    if _n.startswith(('assert', 'fail')):\n"
            "        setattr(unittest.TestCase, _n, lambda self, *a, **k: None)\n"),
    Forgery("noop_testcase_run", "TestCase.run replaced by a no-op (no method reports anything)",
            "import unittest\n" + WRONG + "unittest.TestCase.run = lambda self, result=None: None\n"),
    Forgery("noop_add_failure_error", "TestResult.addFailure/addError replaced by no-ops",
            "import unittest\n" + WRONG
            + "unittest.TestResult.addFailure = lambda self, test, err: None\n"
            "unittest.TestResult.addError = lambda self, test, err: None\n"),
    Forgery("was_successful_true", "TestResult.wasSuccessful always True",
            "import unittest\n" + WRONG + "unittest.TestResult.wasSuccessful = lambda self: True\n"),
    Forgery("loader_no_names", "TestLoader.getTestCaseNames returns []",
            "import unittest\n" + WRONG + "unittest.TestLoader.getTestCaseNames = lambda self, cls: []\n"),
    Forgery("unittest_main_noop", "unittest.main replaced by a no-op",
            "import unittest\n" + WRONG + "unittest.main = lambda *a, **k: None\n"),
    Forgery("skiptest_in_function", "the function raises unittest.SkipTest",
            "import unittest\ndef $entry(*args, **kwargs):\n    raise unittest.SkipTest('skip')\n"),
    Forgery("init_subclass_empties", "TestCase.__init_subclass__ deletes the test methods of TestCases",
            "import unittest\n" + WRONG
            + "def _empty(cls, **kw):\n"
            "    for _n in [n for n in vars(cls) if n.startswith('test')]:\n"
            "        delattr(cls, _n)\n"
            "unittest.TestCase.__init_subclass__ = classmethod(_empty)\n"),
    Forgery("build_class_empties", "builtins.__build_class__ hook that empties TestCases",
            "import builtins\n" + WRONG
            + "_build = builtins.__build_class__\n"
            "def _hook(func, name, *bases, **kw):\n"
            "    cls = _build(func, name, *bases, **kw)\n"
            "    if name == 'TestCases':\n"
            "        for _n in [n for n in vars(cls) if n.startswith('test')]:\n"
            "            delattr(cls, _n)\n"
            "    return cls\n"
            "builtins.__build_class__ = _hook\n"),
    Forgery("lookalike_output", "prints unittest's runner output ('Ran 5 tests', 'OK')",
            "import sys\n"
            "_OK = '.....\\n' + '-' * 70 + '\\nRan 5 tests in 0.001s\\n\\nOK\\n'\n"
            "print(_OK)\nsys.stderr.write(_OK)\n"
            "def $entry(*args, **kwargs):\n    print(_OK)\n    sys.stderr.write(_OK)\n    return None\n"),
    Forgery("fake_result_lines_fds", "writes pass-looking result lines (runner protocol shapes) to fds 1-9",
            "import json, os\n"
            "def _forge():\n"
            "    lines = []\n"
            "    for i in range(32):\n"
            "        lines.append({'i': i, 'start': True})\n"
            "        lines.append({'i': i, 'outcome': 'pass'})\n"
            "    lines.append({'type': 'suite_result', 'index': 0, 'compile_error': None, 'items': []})\n"
            "    data = ''.join(json.dumps(m) + '\\n' for m in lines).encode()\n"
            "    for fd in range(1, 10):\n"
            "        try:\n"
            "            os.write(fd, data)\n"
            "        except OSError:\n"
            "            pass\n"
            "_forge()\n"
            "def $entry(*args, **kwargs):\n    _forge()\n    return None\n"),
    Forgery("always_equal_result", "returns an object whose __eq__ is always True (assertEqual passes)",
            "class _Any:\n"
            "    def __eq__(self, other):\n        return True\n"
            "    def __ne__(self, other):\n        return False\n"
            "    __hash__ = object.__hash__\n"
            "def $entry(*args, **kwargs):\n    return _Any()\n",
            must_fail=False),
)  # fmt: skip

BY_NAME: dict[str, Forgery] = {f.name: f for f in FORGERIES}

# BigCodeBench tasks whose references pass under LiveBench's harness with the standard library only,
# and whose tests compare the function's result with assertEqual.
TASKS: tuple[str, ...] = ("BigCodeBench/667", "BigCodeBench/668", "BigCodeBench/670")


def answer(name: str, entry_point: str = "task_func") -> str:
    """The forgery's model code for a question whose function is `entry_point`."""
    return Template(BY_NAME[name].code).substitute(entry=entry_point)
