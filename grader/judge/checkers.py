"""Comparing an answer with the expected one. Runs outside the sandbox, on plain data only.

Every function here is total on any text: it returns True or False, never raises, and does work
linear in the answer with small constants, whatever numbers, nesting or sizes the answer holds.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterator
from decimal import MAX_EMAX, MIN_EMIN, Context, Decimal, InvalidOperation
from itertools import chain, starmap, zip_longest
from typing import Any

from grader.bank.model import CheckerName, CheckerSpec

INT_DIGITS = 4000
"""Longer JSON integers are compared as text (Python refuses int() past 4300 digits)."""

QUIET = Context(prec=28, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[])
"""Decimal arithmetic that never raises: sNaN and invalid operations give NaN, overflow gives
Infinity. Every operation rounds to 28 digits, so no result grows with an operand's exponent."""

_STRICT = Context(prec=28, Emax=MAX_EMAX, Emin=MIN_EMIN, traps=[InvalidOperation])
"""For reading a token: one that is not a number raises (the default context may be another)."""

CHUNK = 1 << 16
"""Characters of an answer split at once: a long answer is compared piece by piece, at C speed
within a piece, and the comparison stops at the first difference."""

_SPACE = re.compile(r"\s")
"""What str.split() splits on (both are Python's Unicode whitespace)."""


def _token_lists(text: str) -> Iterator[list[str]]:
    """text.split(), about CHUNK characters at a time, cut at whitespace (no token is cut)."""
    start = 0
    while start < len(text):
        cut = _SPACE.search(text, start + CHUNK)
        end = cut.start() if cut else len(text)
        yield text[start:end].split()
        start = end


def _line_lists(text: str) -> Iterator[list[str]]:
    """text.split("\n"), about CHUNK characters at a time."""
    start = 0
    while (cut := text.find("\n", start + CHUNK)) >= 0:
        yield text[start:cut].split("\n")
        start = cut + 1
    yield text[start:].split("\n")


def _tokens(text: str) -> Iterator[str]:
    return chain.from_iterable(_token_lists(text))


def _lines(text: str) -> Iterator[str]:
    return chain.from_iterable(_line_lists(text))


Same = Callable[[str | None, str | None], bool]
"""Whether two items are equal; None stands for the item missing from the shorter side."""


def _pairwise_all(got: Iterator[str], expected: Iterator[str], same: Same) -> bool:
    """Both sequences have the same length and `same` holds for each pair. Stops at the first
    difference, so a long answer costs little more than the expected one."""
    return all(starmap(same, zip_longest(got, expected)))


def _decimal_equal(a: str | None, b: str | None) -> bool:
    # Decimal() takes what LiveCodeBench's does (underscores, other scripts' digits, whitespace);
    # in the quiet context a malformed token is NaN, equal to nothing.
    if a is None or b is None:
        return False
    return bool(Decimal(a, QUIET).compare(Decimal(b, QUIET), QUIET) == 0)


def _lcb_line_equal(got_line: str | None, expected_line: str | None) -> bool:
    if got_line is None or expected_line is None:
        return False
    got, expected = got_line.strip(), expected_line.strip()
    return got == expected or _pairwise_all(_tokens(got), _tokens(expected), _decimal_equal)


def lcb_equal(got: str, expected: str) -> bool:
    """LiveCodeBench's rule: strip; same line count; each stripped line equal as a string or,
    token by token, as exact Decimal values (no float tolerance, case-sensitive)."""
    got, expected = got.strip(), expected.strip()
    if got.count("\n") != expected.count("\n"):
        return False
    return _pairwise_all(_lines(got), _lines(expected), _lcb_line_equal)


def _number(token: str) -> Decimal | None:
    """The token's exact value, or None when it is not a number Decimal can hold exactly."""
    try:
        return Decimal(token, _STRICT)
    except InvalidOperation:
        return None


def _close(a: str | None, b: str | None, spec: CheckerSpec) -> bool:
    if a is None or b is None:
        return False
    if a == b:
        return True
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return False
    if x.is_nan() or y.is_nan():
        return x.is_nan() and y.is_nan()
    if x.is_infinite() or y.is_infinite():
        return bool(x.compare(y, QUIET) == 0)
    # Rounded to 28 digits in the quiet context: numbers past the float range stay distinct (no
    # inf == inf), and a difference too large to hold is Infinity, beyond any finite tolerance.
    diff = QUIET.abs(QUIET.subtract(x, y))
    if diff.is_infinite():
        return False
    largest = QUIET.max_mag(x, y).copy_abs()
    bound = max(Decimal(repr(spec.abs_tol)), QUIET.multiply(Decimal(repr(spec.rel_tol)), largest))
    return bool(diff.compare(bound, QUIET) <= 0)


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


_LONG_DIGITS = re.compile(f"(?<![0-9])[0-9]{{{INT_DIGITS + 1}}}")
"""A run of digits longer than INT_DIGITS; tried at the start of each run only (without the
lookbehind, every position of a long run is a new try: quadratic in the run's length)."""


def _loads_both(got: str, expected: str) -> tuple[Any, Any]:
    """Both values, long integers as _LongInt in both or in neither. The per-integer hook costs a
    Python call for each number, so it is only used when a long run of digits is there."""
    if _LONG_DIGITS.search(got) or _LONG_DIGITS.search(expected):
        return json.loads(got, parse_int=_parse_int), json.loads(expected, parse_int=_parse_int)
    return json.loads(got), json.loads(expected)


def text_equal(got: str, expected: str, spec: CheckerSpec) -> bool:
    """Compares a stdin program's output under the question's checker."""
    if got == expected:
        return True  # equal under every checker, and the common case of a right answer
    if spec.name is CheckerName.EXACT:
        return False
    if spec.name is CheckerName.TOKENS:
        return _pairwise_all(_tokens(got), _tokens(expected), operator.eq)
    if spec.name is CheckerName.FLOAT:
        return _pairwise_all(_tokens(got), _tokens(expected), lambda a, b: _close(a, b, spec))
    return lcb_equal(got, expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, float | int | _LongInt)


def _values_close(got: Any, expected: Any, spec: CheckerSpec) -> bool:
    """Equal JSON values, numbers within the tolerances; walked with a stack of pairs, not
    recursion, so no nesting depth can raise."""
    pending = [(got, expected)]
    while pending:
        a, b = pending.pop()
        if _is_number(a) and _is_number(b):
            if isinstance(a, bool) or isinstance(b, bool):
                if a != b:
                    return False
            elif not _close(repr(a), repr(b), spec):
                return False
        elif isinstance(a, list) and isinstance(b, list):
            if len(a) != len(b):
                return False
            pending.extend(zip(a, b, strict=True))
        elif isinstance(a, dict) and isinstance(b, dict):
            if a.keys() != b.keys():
                return False
            pending.extend((a[k], b[k]) for k in a)
        elif type(a) is not type(b) or a != b:  # strings, null; a number against anything else
            return False
    return True


def value_equal(got_json: str, expected_json: str, spec: CheckerSpec) -> bool:
    """Compares a call-based answer: JSON values equal (JSON has made any tuple a list); with
    the float checker, numbers within the tolerances."""
    try:
        got, expected = _loads_both(got_json, expected_json)
    except (ValueError, RecursionError):  # RecursionError: nesting past the interpreter's limit
        return False
    if spec.name is CheckerName.FLOAT:
        return _values_close(got, expected, spec)
    try:
        return bool(got == expected)
    except RecursionError:
        return False


def poly_root(test_input: str, got_json: str, spec: CheckerSpec) -> bool:
    """EvalPlus's oracle for find_zero: the answer is a root of the polynomial whose coefficients
    are the first argument, |p(x)| <= abs_tol. Any root is right, not only the canonical one."""
    lines = [line for line in test_input.split("\n") if line.strip() and not line.startswith("#")]
    try:
        coefficients = json.loads(lines[0]) if lines else None
        x = json.loads(got_json)
    except (ValueError, RecursionError):
        return False
    if isinstance(x, bool) or not isinstance(x, int | float) or not isinstance(coefficients, list):
        return False
    try:
        value = sum(float(c) * float(x) ** i for i, c in enumerate(coefficients))
    except (OverflowError, TypeError, ValueError):
        return False
    return abs(value) <= spec.abs_tol
