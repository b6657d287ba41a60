"""The tagged-value codec shared by the runner, the bank and the judge (standard library only).

`tagged` turns a Python value into JSON that keeps its types; `untagged` rebuilds it without
evaluating anything. The runner encodes a candidate's answers (and the bank EvalPlus inputs) with
the first; the judge and the runner's input reader decode with the second. Importing this module
loads nothing else, so the host never imports the runner's process code to use it.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

MESSAGE_LIMIT = 200
"""Characters of an opaque object's repr kept in its tagged form."""
INFINITY = float("inf")
# Builtins the encoder uses, bound at import, before the candidate can replace them in `builtins`.
ALL, MAP, TYPE = all, map, type
KWARGS_MARKER = "#kwargs"
TYPED_MARKER = "#typed"


def _plain(value: Any) -> bool:
    """A value that is the same in JSON: None, bool, int, str (exactly) or a finite float."""
    kind = TYPE(value)
    if kind is float:
        return bool(-INFINITY < value < INFINITY)
    return value is None or kind is int or kind is str or kind is bool


def tagged(value: Any) -> Any:
    """The value as JSON that keeps Python's types: every value that JSON does not have natively
    becomes {"$t": type, "v": ...}, dicts included, so a plain JSON object never occurs. The judge
    decodes it without evaluating anything (grader/judge/values.py)."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if TYPE(value) is list and ALL(MAP(_plain, value)):
        return value  # the common case, and long lists: nothing to tag
    if isinstance(value, float):
        return (
            value
            if value == value and value not in (float("inf"), float("-inf"))
            else {"$t": "float", "v": repr(value)}
        )
    if isinstance(value, list):
        return [tagged(v) for v in value]
    if isinstance(value, tuple):
        return {"$t": "tuple", "v": [tagged(v) for v in value]}
    if isinstance(value, set | frozenset):
        return {
            "$t": type(value).__name__ if type(value) in (set, frozenset) else "set",
            "v": [tagged(v) for v in value],
        }
    if isinstance(value, dict):
        return {"$t": "dict", "v": [[tagged(k), tagged(v)] for k, v in value.items()]}
    if isinstance(value, complex):
        return {"$t": "complex", "v": [tagged(value.real), tagged(value.imag)]}
    if isinstance(value, bytes | bytearray):
        return {"$t": "bytes", "v": list(value)}
    return {"$t": "object", "type": type(value).__name__, "v": repr(value)[:MESSAGE_LIMIT]}


def untagged(value: Any, opaque: Callable[[str, str], Any] | None = None) -> Any:
    """The inverse of `tagged`: builds tuples, sets, dicts with any keys, complex numbers, bytes
    and special floats from their tagged JSON; evaluates nothing. An object that JSON cannot carry
    becomes `opaque(type name, repr)`, or is refused when no `opaque` is given (inputs)."""

    def inner_value(v: Any) -> Any:
        return untagged(v, opaque)

    if isinstance(value, list):
        return [inner_value(v) for v in value]
    if not isinstance(value, dict):
        return value
    kind: Any = value.get("$t")
    inner: Any = value.get("v")
    if kind == "tuple":
        return tuple(inner_value(v) for v in inner)
    if kind == "set":
        return {inner_value(v) for v in inner}
    if kind == "frozenset":
        return frozenset(inner_value(v) for v in inner)
    if kind == "dict":
        return {inner_value(k): inner_value(v) for k, v in inner}
    if kind == "float":
        return float(inner)
    if kind == "complex":
        return complex(inner_value(inner[0]), inner_value(inner[1]))
    if kind == "bytes":
        return bytes(inner)
    if kind == "object" and opaque is not None:
        return opaque(str(value.get("type")), str(inner))
    raise ValueError(f"cannot rebuild a value tagged {kind!r}")


def call_arguments(text: str) -> tuple[list[Any], dict[str, Any]]:
    """One JSON value per line, positional; or the line `#kwargs` and then one JSON object of
    keyword arguments (LeetCode-style `n = 7, queries = [...]` inputs); or the line `#typed` and
    then one tagged JSON value per line (EvalPlus inputs with tuples, sets, complex numbers)."""
    lines = [line for line in text.split("\n") if line.strip()]
    if lines and lines[0].strip() == KWARGS_MARKER:
        kwargs = json.loads("\n".join(lines[1:]))
        if not isinstance(kwargs, dict):
            raise TypeError("#kwargs input is not a JSON object")
        return [], kwargs
    if lines and lines[0].strip() == TYPED_MARKER:
        return [untagged(json.loads(line)) for line in lines[1:]], {}
    return [json.loads(line) for line in lines], {}
