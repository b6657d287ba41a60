"""What a unittest suite's run relies on, taken before the candidate's code runs and checked after
it (standard library only; see suite.py).

Everything is compared by identity, with functions bound when this module is imported (in the
zygote, before any candidate code): a replacement's own ``__eq__`` is never asked, and rebinding a
builtin changes nothing here.
"""

from __future__ import annotations

import builtins
import contextlib
import types
import unittest
import unittest.case
import unittest.loader
import unittest.result
import unittest.suite
import unittest.util
from typing import Any

GUARDED_CLASSES: tuple[type, ...] = (
    unittest.case.TestCase,
    unittest.case._Outcome,  # type: ignore[attr-defined]
    unittest.case._SubTest,  # type: ignore[attr-defined]
    unittest.result.TestResult,
    unittest.suite.BaseTestSuite,
    unittest.suite.TestSuite,
    unittest.loader.TestLoader,
    contextlib._GeneratorContextManager,
    contextlib._GeneratorContextManagerBase,
)
"""The classes whose behaviour decides an outcome: no attribute of theirs may change."""
GUARDED_MODULES = (
    unittest,
    unittest.case,
    unittest.result,
    unittest.suite,
    unittest.loader,
    unittest.util,
    contextlib,
)
"""Modules whose globals the machinery looks up as it runs (``_Outcome``, ``_ShouldStop``…): none
of those there before the candidate may be rebound (new names are harmless)."""
GUARDED_BUILTINS = ("__build_class__", "__import__", "isinstance", "issubclass", "getattr", "vars", "type")

_type, _vars, _getattr, _isinstance, _issubclass, _len = type, vars, getattr, isinstance, issubclass, len
_callable, _id = callable, id
_dict_get: Any = dict.get
_proxy_get: Any = types.MappingProxyType.get
_get_names = unittest.loader.TestLoader.getTestCaseNames
_TestLoader, _TestCase = unittest.loader.TestLoader, unittest.case.TestCase
_CodeType, _FunctionType = types.CodeType, types.FunctionType
_wrappers = (staticmethod, classmethod)


class Guard:
    """The unittest machinery, the builtins it calls, and the suite's code, as they were before the
    candidate ran; `suite_first_line`: the module's first line of the suite (the answer is above)."""

    def __init__(self, module_code: types.CodeType, suite_first_line: int, methods: list[str]) -> None:
        self.methods = list(methods)
        self.classes: dict[type, dict[str, Any]] = {}
        self.metaclasses: dict[type, type] = {}
        self.guard_classes(GUARDED_CLASSES)
        self.modules: list[tuple[dict[str, Any], dict[str, Any]]] = [
            (_vars(m), dict(_vars(m))) for m in GUARDED_MODULES
        ]
        self.builtins = {name: _getattr(builtins, name) for name in GUARDED_BUILTINS}
        self.suite_code = {_id(c): c for c in suite_code(module_code, suite_first_line)}
        """The code objects of the suite's own functions and classes, by id (held, so ids stay)."""
        self.test_cases: Any = None
        self.suite_classes: set[type] = set()
        """The suite's own classes, guarded once found (see suite_class)."""

    def suite_class_intact(self, cls: type) -> bool:
        """The suite's classes hold what they held, except data unittest sets on them as it runs
        them (``_classSetupFailed``…) or the suite's fixtures set (a class attribute): nothing
        callable is added or rebound."""
        attributes, now = self.classes[cls], _vars(cls)
        for name, value in now.items():
            if _dict_get(attributes, name, now) is not value and _callable(value):
                return False
        return all(name in now for name in attributes)

    def guard_classes(self, classes: Any) -> None:
        for cls in classes:
            self.classes[cls] = dict(_vars(cls))
            self.metaclasses[cls] = _type(cls)

    def intact(self) -> bool:
        """Nothing the suite relies on was rebound, added or removed; the suite's class, once
        found, still holds the suite's own methods."""
        for cls, attributes in self.classes.items():
            now = _vars(cls)
            if _type(cls) is not self.metaclasses[cls]:
                return False
            if cls in self.suite_classes:
                if not self.suite_class_intact(cls):
                    return False
                continue
            if _len(now) != _len(attributes):
                return False
            if any(_proxy_get(now, name, now) is not value for name, value in attributes.items()):
                return False
        for module_now, attributes in self.modules:
            if any(
                _dict_get(module_now, name, module_now) is not value for name, value in attributes.items()
            ):
                return False
        if any(_getattr(builtins, name, None) is not value for name, value in self.builtins.items()):
            return False
        return self.test_cases is None or self.methods_intact(self.test_cases)

    def is_suite_function(self, value: Any, name: str | None = None) -> bool:
        """A function (or what a decorator such as mock.patch wraps) whose code is the suite's,
        named `name` if given."""
        for _ in range(8):
            code = _getattr(value, "__code__", None)
            if _isinstance(code, _CodeType) and _dict_get(self.suite_code, _id(code)) is code:
                return name is None or code.co_name == name
            value = _getattr(value, "__wrapped__", None)
            if value is None:
                return False
        return False

    def own_class(self, cls: Any, depth: int = 0) -> bool:
        """A class the suite's source defined: every callable it holds is the suite's code (a class
        nested in it, likewise); data attributes are free."""
        if _type(cls) is not _type or depth > 4:
            return False
        for value in _vars(cls).values():
            if _isinstance(value, _wrappers):
                value = value.__func__
            if _isinstance(value, _type):
                if not self.own_class(value, depth + 1):
                    return False
            elif _callable(value) and not self.is_suite_function(value):
                return False
        return True

    def methods_intact(self, test_cases: Any) -> bool:
        """The listed methods, found as unittest finds them, are the suite's functions of their names."""
        if _get_names(_TestLoader(), test_cases) != self.methods:
            return False
        return all(self.is_suite_function(_getattr(test_cases, name, None), name) for name in self.methods)

    def suite_class(self, namespace: dict[str, Any]) -> Any:
        """The module's ``TestCases`` if it is the suite's: a class of the suite's source on
        ``unittest.TestCase`` (through classes of the suite only) with exactly the listed methods;
        from then on its classes are guarded too. None if not."""
        test_cases: Any = _dict_get(namespace, "TestCases")
        if not _isinstance(test_cases, _type) or not _issubclass(test_cases, _TestCase):
            return None
        mro = test_cases.__mro__
        if mro[-2:] != (_TestCase, object) or not all(self.own_class(cls) for cls in mro[:-2]):
            return None
        if not self.methods_intact(test_cases):
            return None
        self.guard_classes(mro[:-2])
        self.suite_classes.update(mro[:-2])
        self.test_cases = test_cases
        return test_cases


def suite_code(module_code: types.CodeType, first_line: int) -> list[types.CodeType]:
    """Every code object nested in the module's that starts at or after `first_line`."""
    found: list[types.CodeType] = []
    pending = [c for c in module_code.co_consts if _isinstance(c, _CodeType)]
    while pending:
        code = pending.pop()
        pending += [c for c in code.co_consts if _isinstance(c, _CodeType)]
        if code.co_firstlineno >= first_line:
            found.append(code)
    return found


def neutralize_should_stop() -> None:
    """unittest swallows ``_ShouldStop`` wherever a test part runs (it stops a failfast run, which
    a suite here never asks for): raised by an answer, it would turn a failing method or subtest
    into a success. Bound to an empty tuple, ``except _ShouldStop`` catches nothing; this runs
    before the guard's snapshot, so binding it back is a change the guard finds."""
    unittest.case._ShouldStop = ()  # type: ignore[attr-defined]
