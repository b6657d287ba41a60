"""Python values from the runner's tagged JSON (runner/codec.py `tagged`), decoded without evaluating
anything, and EvalPlus's comparison rule on them."""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from itertools import repeat
from typing import Any

from grader.bank.model import CheckerSpec
from grader.runner.codec import untagged


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
    """The runner's tagged JSON as Python values (the runner's own decoder, objects opaque)."""
    try:
        return untagged(value, Opaque)
    except (TypeError, ValueError, KeyError, IndexError, OverflowError, RecursionError) as exc:
        # e.g. an unhashable set element, a complex part past the float range, deep nesting
        raise TaggedValueError(type(exc).__name__) from exc


def _checked_tag(fields: dict[str, Any]) -> dict[str, Any]:
    """Refuses a tagged value whose decoding would allocate what the answer asks for:
    bytes(n) of an integer n is n zero bytes."""
    if fields.get("$t") == "bytes" and not isinstance(fields.get("v"), list):
        raise TaggedValueError("bytes not given as a list")
    return fields


def loads(text: str) -> Any:
    """Decodes tagged JSON; raises ValueError (TaggedValueError, JSONDecodeError) or
    RecursionError on what is not a value the runner could have encoded."""
    if "{" not in text:
        return json.loads(text)  # no object, so no tag: plain JSON is its own value
    return decode(json.loads(text, object_hook=_checked_tag))


def is_floats(value: Any) -> bool:
    """EvalPlus's test for outputs compared with a tolerance."""
    if isinstance(value, float):
        return True
    return isinstance(value, list | tuple) and bool(value) and all(isinstance(v, float) for v in value)


def _numbers(value: Any) -> Sequence[bool | int | float] | None:
    """The value's numbers (itself, not a copy, when it is a sequence), or None."""
    if isinstance(value, bool | int | float):
        return (value,)
    if isinstance(value, list | tuple) and all(isinstance(v, bool | int | float) for v in value):
        return value
    return None


def _close(x: float, y: float, atol: float, rtol: float) -> bool:
    # As numpy.isclose: an infinity is close only to itself (rtol * inf would take any number).
    if math.isinf(x) or math.isinf(y):
        return x == y
    return abs(x - y) <= atol + rtol * abs(y)


def allclose(got: Any, expected: Any, atol: float, rtol: float) -> bool:
    """numpy.allclose on scalars and flat sequences (what EvalPlus's outputs are); an int past
    the float range is close to nothing. Streams over the numbers, converting one pair at a time."""
    a, b = _numbers(got), _numbers(expected)
    if a is None or b is None:
        return False
    if len(a) != len(b) and len(a) != 1 and len(b) != 1:
        return False
    # numpy broadcasts a single number to the other side's length (an empty side included)
    count = len(b) if len(a) == 1 else len(a)
    xs = repeat(a[0], count) if len(a) == 1 else a
    ys = repeat(b[0], count) if len(b) == 1 else b
    try:
        return all(_close(float(x), float(y), atol, rtol) for x, y in zip(xs, ys, strict=True))
    except OverflowError:
        return False


def _equal(got: Any, expected: Any) -> bool:
    try:
        return bool(got == expected)
    except (TypeError, ValueError, RecursionError):
        return False


def _as_set(value: Any) -> set[Any] | None:
    try:
        return set(value)
    except TypeError:
        return None


# EvalPlus's special oracles for MBPP+ (evalplus/eval/_special_oracle.py), keyed by entry point.
SET_EQUAL = frozenset({"similar_elements", "find_char_long", "common_in_nested_lists", "extract_singly",
                       "larg_nnum", "intersection_array", "find_dissimilar", "Diff"})  # fmt: skip
NOT_NONE = frozenset({"check_str", "text_match_three", "text_starta_endb"})


def _surface_area(base_edge: float, height: float) -> int:
    """Mbpp/581's canonical solution is wrong; EvalPlus accepts this formula's answer too."""
    slant = math.sqrt((base_edge / 2) ** 2 + height**2)
    return round(base_edge**2 + 2 * base_edge * slant)


def _digit_distance(num1: int, num2: int) -> int:
    """Mbpp/558: EvalPlus also accepts the distance of the zero-padded numbers."""
    a, b = str(num1), str(num2)
    width = max(len(a), len(b))
    return sum(abs(int(x) - int(y)) for x, y in zip(a.zfill(width), b.zfill(width), strict=True))


def _mbpp_match(entry_point: str, got: Any, expected: Any, args: list[Any], atol: float) -> bool:
    exact = _equal(got, expected)
    try:
        if entry_point == "are_equivalent":  # Mbpp/164: the data is ambiguous; any answer
            return True
        if entry_point == "sum_div":  # Mbpp/295
            return exact or _equal(got, 0)
        if entry_point == "surface_Area":  # Mbpp/581
            return exact or abs(got - _surface_area(*args)) <= atol
        if entry_point == "digit_distance_nums":  # Mbpp/558
            return exact or _equal(got, _digit_distance(*args))
        if entry_point in SET_EQUAL:
            got_set, expected_set = _as_set(got), _as_set(expected)
            return got_set is not None and got_set == expected_set
        if entry_point in NOT_NONE:  # the canonical output only says whether there is a match
            wanted = expected is not None
            return got == wanted if isinstance(got, bool) else (got is not None) == wanted
    except (TypeError, ValueError, OverflowError):
        return False
    return exact


def evalplus_equal(
    got_typed: str, expected_typed: str, spec: CheckerSpec, *, task_id: str = "", entry_point: str = "",
    test_input: str = "",
) -> bool:  # fmt: skip
    """EvalPlus's rule: Python's `==` (so a tuple is not a list), or an MBPP task's special
    oracle; failing that, with a tolerance (the task's atol, or 1e-6 when the expected output is
    floats), same type and length and np.allclose."""
    if got_typed == expected_typed and "nan" not in got_typed and entry_point not in SET_EQUAL:
        # The same tagged JSON is the same value: equal under every rule here, and no need to
        # decode it (answers run to megabytes, and ints past 4300 digits do not decode at all).
        return True
    try:
        got, expected = loads(got_typed), loads(expected_typed)
    except (ValueError, RecursionError):
        return False
    if task_id.startswith("Mbpp/"):
        try:
            args = [loads(line) for line in test_input.split("\n")[1:] if line.strip()]
        except (ValueError, RecursionError):
            args = []
        match = _mbpp_match(entry_point, got, expected, args, spec.abs_tol)
    else:
        match = _equal(got, expected)
    if match:
        return True
    atol = spec.abs_tol or (1e-6 if is_floats(expected) else 0.0)
    if not atol or type(got) is not type(expected):
        return False
    if isinstance(expected, list | tuple) and len(got) != len(expected):
        return False
    return allclose(got, expected, atol, spec.rel_tol)
