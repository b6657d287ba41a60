"""JSON Lines files (samples, results): values with their line numbers, and errors that name the
file and the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

MAX_DEPTH = 64
"""How deeply a line's arrays and objects may nest. Samples and results nest a few levels; a
limit keeps every reader of their values (ours, json.dumps, a renderer) off Python's recursion
limit."""


class JsonLinesError(ValueError):
    """A file that cannot be read, is not UTF-8, or has a line that is not JSON."""


def depth(value: Any) -> int:
    """How deeply `value`'s lists and dicts nest (0 for a scalar), walked without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = item.values()
        elif not isinstance(item, list):
            continue
        deepest = max(deepest, level + 1)
        stack.extend((child, level + 1) for child in item)
    return deepest


def json_lines(path: Path) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every line that is not blank."""
    try:
        f = path.open(encoding="utf-8")
    except OSError as exc:
        raise JsonLinesError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    with f:
        try:
            for number, text in enumerate(f, 1):
                if not text.strip():
                    continue
                too_deep = JsonLinesError(f"{path}:{number}: JSON nested deeper than {MAX_DEPTH} levels")
                try:
                    value = json.loads(text)
                except RecursionError:  # past the interpreter's limit, so past ours too
                    raise too_deep from None
                except ValueError as exc:
                    raise JsonLinesError(f"{path}:{number}: not JSON ({exc})") from None
                if depth(value) > MAX_DEPTH:
                    raise too_deep
                yield number, value
        except UnicodeDecodeError as exc:
            raise JsonLinesError(f"{path}: not UTF-8 text ({exc.reason})") from None
