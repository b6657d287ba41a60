"""JSON Lines files (samples, results): values with their line numbers, and errors that name the
file and the line."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any


class JsonLinesError(ValueError):
    """A file that cannot be read, is not UTF-8, or has a line that is not JSON."""


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
                try:
                    value = json.loads(text)
                except ValueError as exc:
                    raise JsonLinesError(f"{path}:{number}: not JSON ({exc})") from None
                yield number, value
        except UnicodeDecodeError as exc:
            raise JsonLinesError(f"{path}: not UTF-8 text ({exc.reason})") from None
