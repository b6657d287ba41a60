"""A bank file's JSON objects with their 1-based line numbers.

A file is JSON Lines or one JSON array, either optionally gzip-compressed; gzip is told
by its magic bytes, the layout by the first non-blank character.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

from grader.bank.formats import limits
from grader.bank.model import BankFormatError

_GZIP_MAGIC = b"\x1f\x8b"
# Read failures of a damaged file, all reported as format errors rather than crashes.
_READ_ERRORS = (OSError, EOFError, zlib.error, UnicodeDecodeError)


_BOM = b"\xef\xbb\xbf"
_SKIP_CHUNK = 1 << 20


class BankLimitError(BankFormatError):
    """A row or file past one of the size limits of :mod:`grader.bank.formats.limits`."""


class FileTooLargeError(BankLimitError):
    """A file past its limit: reading it cannot go on."""


def _open_bytes(path: Path) -> BinaryIO:
    with path.open("rb") as probe:
        magic = probe.read(2)
    if magic == _GZIP_MAGIC:
        return cast(BinaryIO, gzip.open(path, "rb"))
    return path.open("rb")


class _Lines:
    """A file's lines as bytes, each read with a cap so that no line and no file is ever held
    past its limit (gzip inflates as it is read, never ahead)."""

    def __init__(self, stream: IO[bytes], where: str, max_line: int, max_file: int) -> None:
        self.stream, self.where, self.max_line, self.max_file = stream, where, max_line, max_file
        self.read = 0
        self.number = 0

    def _count(self, data: bytes) -> bytes:
        self.read += len(data)
        if self.read > self.max_file:
            raise FileTooLargeError(self.where, self.number, f"file inflates past {self.max_file} bytes")
        return data

    def next(self) -> bytes | None:
        """The next line (None at the end); raises BankLimitError for one past the line limit,
        after skipping the rest of it, so that reading may go on with the line after."""
        data = self._count(self.stream.readline(self.max_line + 1))
        if not data:
            return None
        self.number += 1
        if len(data) > self.max_line and not data.endswith(b"\n"):
            while (rest := self._count(self.stream.readline(_SKIP_CHUNK))) and not rest.endswith(b"\n"):
                pass
            raise BankLimitError(self.where, self.number, f"line longer than {self.max_line} bytes")
        return data

    def rest(self) -> bytes:
        """Everything left, within the file limit."""
        return self._count(self.stream.read(max(self.max_file - self.read, 0) + 1))


def _text(data: bytes, where: str, line: int) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BankFormatError(where, line, "cannot read (UnicodeDecodeError)") from None


def _as_object(value: object, where: str, line: int | None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BankFormatError(where, line, f"expected a JSON object, got {type(value).__name__}")
    return value


def _decode(data: bytes, where: str, line: int) -> object:
    text = _text(data, where, line)
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


def iter_objects(
    path: Path,
    on_oversized_line: Callable[[BankLimitError], None] | None = None,
    *,
    max_line_bytes: int | None = None,
    max_file_bytes: int | None = None,
    max_array_bytes: int | None = None,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each JSON object of a bank file with its 1-based line; raises BankFormatError.

    A line past `max_line_bytes` is given to `on_oversized_line` and skipped, or raised when
    there is none; a file past `max_file_bytes` (after gzip), or `max_array_bytes` for one JSON
    array, is always raised. The limits default to those of :mod:`grader.bank.formats.limits`."""
    max_line_bytes = max_line_bytes or limits.MAX_LINE_BYTES
    max_file_bytes = max_file_bytes or limits.MAX_FILE_BYTES
    max_array_bytes = max_array_bytes or limits.MAX_ARRAY_BYTES
    where = str(path)
    lines: _Lines | None = None
    try:
        with _open_bytes(path) as stream:
            lines = _Lines(stream, where, max_line_bytes, max_file_bytes)
            first = b""
            while True:
                try:
                    raw = lines.next()
                except BankLimitError as exc:
                    if on_oversized_line is None or isinstance(exc, FileTooLargeError):
                        raise
                    on_oversized_line(exc)
                    continue
                if raw is None:
                    return
                if lines.number == 1 and raw.startswith(_BOM):
                    raw = raw[len(_BOM) :]
                if not raw.strip():
                    continue
                if first:
                    yield lines.number, _as_object(_decode(raw, where, lines.number), where, lines.number)
                    continue
                first = raw
                if raw.lstrip().startswith(b"["):
                    lines.max_file = min(max_file_bytes, max_array_bytes)
                    padding = "\n" * (lines.number - 1)
                    text = _text(first + lines.rest(), where, lines.number)
                    yield from _array_rows(padding + text, where)
                    return
                yield lines.number, _as_object(_decode(raw, where, lines.number), where, lines.number)
    except _READ_ERRORS as exc:
        # Only the exception's class: its message could quote file content. The line is the one
        # being read (line 1 for a file that cannot even be opened).
        reason = f"cannot read ({type(exc).__name__})"
        raise BankFormatError(where, (lines.number if lines else 0) + 1, reason) from None
