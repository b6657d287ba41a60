"""A bank file's JSON objects with their 1-based line numbers.

A file is JSON Lines or one JSON array, either optionally gzip-compressed; gzip is told
by its magic bytes, the layout by the first non-blank character.
"""

from __future__ import annotations

import gzip
import io
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from grader.bank.model import BankFormatError

_GZIP_MAGIC = b"\x1f\x8b"
# Read failures of a damaged file, all reported as format errors rather than crashes.
_READ_ERRORS = (OSError, EOFError, zlib.error, UnicodeDecodeError)


def _open_text(path: Path) -> IO[str]:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8-sig")
    return path.open("r", encoding="utf-8-sig")


def _as_object(value: object, where: str, line: int | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BankFormatError(where, line, f"expected a JSON object, got {type(value).__name__}")
    return value


def _decode(text: str, where: str, line: int) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        reason = f"not valid JSON ({exc.msg} at column {exc.colno})"
        raise BankFormatError(where, line, reason) from None
    except (ValueError, RecursionError):
        raise BankFormatError(where, line, "not valid JSON") from None


def _array_rows(text: str, where: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """Elements of a JSON array, each with the line it starts on."""
    decoder = json.JSONDecoder()
    pos = text.index("[") + 1
    line, counted = 1 + text.count("\n", 0, pos), pos

    def skip_blank(at: int) -> int:
        nonlocal line, counted
        while at < len(text) and text[at] in " \t\r\n":
            at += 1
        line += text.count("\n", counted, at)
        counted = at
        return at

    first = True
    while True:
        pos = skip_blank(pos)
        if pos >= len(text):
            raise BankFormatError(where, line, "not valid JSON (unterminated array)")
        if text[pos] == "]":
            break
        if not first:
            if text[pos] != ",":
                raise BankFormatError(where, line, "not valid JSON (expected ',' or ']')")
            pos = skip_blank(pos + 1)
        try:
            value, pos = decoder.raw_decode(text, pos)
        except json.JSONDecodeError as exc:
            raise BankFormatError(where, exc.lineno, f"not valid JSON ({exc.msg})") from None
        except (ValueError, RecursionError):
            raise BankFormatError(where, line, "not valid JSON") from None
        yield line, _as_object(value, where, line)
        first = False
    if text[pos + 1 :].strip():
        raise BankFormatError(where, line, "not valid JSON (content after the array)")


def iter_objects(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each JSON object of a bank file with its 1-based line; raises BankFormatError."""
    where = str(path)
    line = 0
    try:
        with _open_text(path) as stream:
            first = ""
            for raw in stream:
                line += 1
                if raw.strip():
                    first = raw
                    break
            if not first:
                return
            if first.lstrip().startswith("["):
                padding, line = "\n" * (line - 1), 0
                yield from _array_rows(padding + first + stream.read(), where)
                return
            yield line, _as_object(_decode(first, where, line), where, line)
            for raw in stream:
                line += 1
                if raw.strip():
                    yield line, _as_object(_decode(raw, where, line), where, line)
    except _READ_ERRORS as exc:
        # Only the exception's class: its message could quote file content. The line is the one
        # being read (line 1 for a file that cannot even be opened as text).
        reason = f"cannot read ({type(exc).__name__})"
        raise BankFormatError(where, line + 1, reason) from None
