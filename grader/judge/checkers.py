"""Comparing an answer with the expected one. Runs outside the sandbox, on plain data only."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

from grader.bank.model import CheckerName, CheckerSpec

INT_DIGITS = 4000
"""Longer JSON integers are compared as text (Python refuses int() past 4300 digits)."""


def _decimals(line: str) -> list[Decimal] | None:
    try:
        return [Decimal(token) for token in line.split()]
    except InvalidOperation:
        return None


def lcb_equal(got: str, expected: str) -> bool:
    """LiveCodeBench's rule: strip; same line count; each stripped line equal as a string or,
    token by token, as exact Decimal values (no float tolerance, case-sensitive)."""
    got_lines = got.strip().split("\n")
    expected_lines = expected.strip().split("\n")
    if len(got_lines) != len(expected_lines):
        return False
    for got_line, expected_line in zip(got_lines, expected_lines, strict=True):
        got_line, expected_line = got_line.strip(), expected_line.strip()
        if got_line == expected_line:
            continue
        got_values, expected_values = _decimals(got_line), _decimals(expected_line)
        if got_values is None or expected_values is None or got_values != expected_values:
            return False
    return True


def _close(a: str, b: str, spec: CheckerSpec) -> bool:
    if a == b:
        return True
    try:
        x, y = Decimal(a), Decimal(b)
    except InvalidOperation:
        return False
    if x.is_nan() or y.is_nan():
        return x.is_nan() and y.is_nan()
    if x.is_infinite() or y.is_infinite():
        return x == y
    # Exact decimal arithmetic: numbers past the float range stay distinct (no inf == inf).
    diff = abs(x - y)
    return diff <= Decimal(repr(spec.abs_tol)) or diff <= Decimal(repr(spec.rel_tol)) * max(abs(x), abs(y))


class _LongInt:
    """A JSON integer too long for int() under Python's digit limit; compared as its text, which
    JSON makes canonical. Parsing it would cost time quadratic in its length."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _LongInt) and other.text == self.text

    def __hash__(self) -> int:
        return hash(self.text)

    def __repr__(self) -> str:
        return self.text


def _parse_int(text: str) -> int | _LongInt:
    return int(text) if len(text) <= INT_DIGITS else _LongInt(text)


def _loads(text: str) -> Any:
    return json.loads(text, parse_int=_parse_int)


def text_equal(got: str, expected: str, spec: CheckerSpec) -> bool:
    """Compares a stdin program's output under the question's checker."""
    if spec.name is CheckerName.EXACT:
        return got == expected
    if spec.name is CheckerName.TOKENS:
        return got.split() == expected.split()
    if spec.name is CheckerName.FLOAT:
        got_tokens, expected_tokens = got.split(), expected.split()
        return len(got_tokens) == len(expected_tokens) and all(
            _close(a, b, spec) for a, b in zip(got_tokens, expected_tokens, strict=True)
        )
    return lcb_equal(got, expected)


def _values_close(got: Any, expected: Any, spec: CheckerSpec) -> bool:
    numbers = float | int | _LongInt
    if isinstance(got, numbers) and isinstance(expected, numbers):
        if isinstance(got, bool) or isinstance(expected, bool):
            return got == expected
        return _close(repr(got), repr(expected), spec)
    if isinstance(got, list) and isinstance(expected, list):
        return len(got) == len(expected) and all(
            _values_close(a, b, spec) for a, b in zip(got, expected, strict=True)
        )
    if isinstance(got, dict) and isinstance(expected, dict):
        return got.keys() == expected.keys() and all(_values_close(got[k], expected[k], spec) for k in got)
    return bool(got == expected)


def value_equal(got_json: str, expected_json: str, spec: CheckerSpec) -> bool:
    """Compares a call-based answer: JSON values equal (JSON has made any tuple a list); with
    the float checker, numbers within the tolerances."""
    try:
        got, expected = _loads(got_json), _loads(expected_json)
    except ValueError:
        return False
    if spec.name is CheckerName.FLOAT:
        return _values_close(got, expected, spec)
    return bool(got == expected)


def poly_root(test_input: str, got_json: str, spec: CheckerSpec) -> bool:
    """EvalPlus's oracle for find_zero: the answer is a root of the polynomial whose coefficients
    are the first argument, |p(x)| <= abs_tol. Any root is right, not only the canonical one."""
    lines = [line for line in test_input.split("\n") if line.strip() and not line.startswith("#")]
    try:
        coefficients = json.loads(lines[0]) if lines else None
        x = json.loads(got_json)
    except ValueError:
        return False
    if isinstance(x, bool) or not isinstance(x, int | float) or not isinstance(coefficients, list):
        return False
    try:
        value = sum(float(c) * float(x) ** i for i, c in enumerate(coefficients))
    except (OverflowError, TypeError, ValueError):
        return False
    return abs(value) <= spec.abs_tol
