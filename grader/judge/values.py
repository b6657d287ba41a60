"""Python values from the runner's tagged JSON (child.py `tagged`), decoded without evaluating
anything, and EvalPlus's comparison rule on them."""

from __future__ import annotations

import json
import math
from typing import Any

from grader.bank.model import CheckerSpec


class Opaque:
    """A value of a type JSON cannot carry (an instance of the candidate's own class): equal to
    nothing, as `==` on a fresh object would be."""

    __slots__ = ("repr", "type")

    def __init__(self, type_name: str, text: str) -> None:
        self.type = type_name
        self.repr = text

    def __eq__(self, other: object) -> bool:
        return False

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        return f"<{self.type} {self.repr}>"


class TaggedValueError(ValueError):
    pass


def decode(value: Any) -> Any:
    if isinstance(value, list):
        return [decode(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind: Any = value.get("$t")
    inner: Any = value.get("v")
    try:
        if kind == "tuple":
            return tuple(decode(v) for v in inner)
        if kind == "set":
            return {decode(v) for v in inner}
        if kind == "frozenset":
            return frozenset(decode(v) for v in inner)
        if kind == "dict":
            return {decode(k): decode(v) for k, v in inner}
        if kind == "float":
            return float(inner)
        if kind == "complex":
            return complex(decode(inner[0]), decode(inner[1]))
        if kind == "bytes":
            return bytes(inner)
        if kind == "object":
            return Opaque(str(value.get("type")), str(inner))
    except (TypeError, ValueError) as exc:  # e.g. an unhashable set element
        raise TaggedValueError(str(exc)) from exc
    raise TaggedValueError(f"unknown tag {kind!r}")


def loads(text: str) -> Any:
    return decode(json.loads(text))


def is_floats(value: Any) -> bool:
    """EvalPlus's test for outputs compared with a tolerance."""
    if isinstance(value, float):
        return True
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, float) for v in value)


def _numbers(value: Any) -> list[float] | None:
    if isinstance(value, bool | int | float):
        return [float(value)]
    if isinstance(value, list | tuple) and all(isinstance(v, bool | int | float) for v in value):
        return [float(v) for v in value]
    return None


def allclose(got: Any, expected: Any, atol: float, rtol: float) -> bool:
    """numpy.allclose on scalars and flat sequences (what EvalPlus's outputs are)."""
    a, b = _numbers(got), _numbers(expected)
    if a is None or b is None:
        return False
    if len(a) != len(b) and len(a) != 1 and len(b) != 1:
        return False
    if len(a) == 1:
        a = a * len(b)
    if len(b) == 1:
        b = b * len(a)
    return all(
        (math.isinf(x) and x == y) or abs(x - y) <= atol + rtol * abs(y) for x, y in zip(a, b, strict=True)
    )


def evalplus_equal(got_typed: str, expected_typed: str, spec: CheckerSpec) -> bool:
    """EvalPlus's rule: with a tolerance (the task's atol, or 1e-6 when the expected output is
    floats) np.allclose; otherwise Python's `==`, so a tuple is not a list."""
    try:
        got, expected = loads(got_typed), loads(expected_typed)
    except (ValueError, RecursionError):
        return False
    atol = spec.abs_tol or (1e-6 if is_floats(expected) else 0.0)
    if atol:
        return allclose(got, expected, atol, spec.rel_tol)
    try:
        return bool(got == expected)
    except (TypeError, ValueError, RecursionError):
        return False
