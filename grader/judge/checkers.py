"""Comparing an answer with the expected one. Runs outside the sandbox, on plain data only."""

from __future__ import annotations

import json
import math
from decimal import Decimal, InvalidOperation
from typing import Any

from grader.bank.model import CheckerName, CheckerSpec


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
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y):
        return math.isnan(x) and math.isnan(y)
    return math.isclose(x, y, rel_tol=spec.rel_tol, abs_tol=spec.abs_tol)


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
    if isinstance(got, float | int) and isinstance(expected, float | int):
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
        got, expected = json.loads(got_json), json.loads(expected_json)
    except ValueError:
        return False
    if spec.name is CheckerName.FLOAT:
        return _values_close(got, expected, spec)
    return bool(got == expected)
