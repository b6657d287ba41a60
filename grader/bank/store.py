"""Reading a bank file: question metadata, and tests a few at a time.

Tests are read by index or in short ranges and inflated only then, so a bank far larger
than RAM can be served. A bank file is written once (:mod:`grader.bank.writer`; its tables
are in :mod:`grader.bank.schema`) and then only read.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import queue
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from grader.bank.model import Question, QuestionInfo, TestCase
from grader.bank.schema import READABLE_VERSIONS, SCHEMA_VERSION, info_from_row, test_from_row, unpack
from grader.bank.writer import BankWriter

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "BankOpenError",
    "BankStore",
    "is_release_date",
]

_SELECT_QUESTION = "SELECT * FROM questions WHERE id = ?"
_SELECT_PUBLIC_TESTS = "SELECT public, input, output FROM tests WHERE question_id = ? AND public ORDER BY idx"
_SELECT_SUITE = "SELECT source FROM suites WHERE question_id = ?"
_SELECT_IMAGES = "SELECT DISTINCT image FROM questions WHERE image != ''"
_SELECT_TEST = "SELECT public, input, output FROM tests WHERE question_id = ? AND idx = ?"
_SELECT_TEST_RANGE = (
    "SELECT public, input, output FROM tests WHERE question_id = ? AND idx >= ? AND idx < ? ORDER BY idx"
)
# A window applies only when ?2 is 1; undated questions ('') then never match.
_LIST_QUESTIONS = (
    "SELECT * FROM questions WHERE id > ?1"
    " AND (?2 = 0 OR (release_date != '' AND release_date >= ?3 AND release_date <= ?4))"
    " ORDER BY id LIMIT ?5"
)
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_TOKEN_PREFIX = b"after:"


class BankOpenError(Exception):
    """A bank database that is missing, unreadable, damaged or of another version."""

    def __init__(self, path: Path | str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def is_release_date(value: str) -> bool:
    """`YYYY-MM-DD`, a day that exists: the one spelling release dates are stored in, so that a
    window compares them as strings. Python parses other ISO 8601 dates too (`20240601`,
    `2024-W23-1`), which would compare wrongly: a week date sorts after every day of its year."""
    try:
        return dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


def _check_date(value: str, what: str) -> None:
    if value and not is_release_date(value):
        raise ValueError(f"{what}: expected an ISO date (YYYY-MM-DD)")


def _encode_token(last_id: str) -> str:
    return base64.urlsafe_b64encode(_TOKEN_PREFIX + last_id.encode()).decode("ascii")


def _decode_token(token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token.encode("ascii"))
        if not raw.startswith(_TOKEN_PREFIX):
            raise ValueError(token)
        return raw[len(_TOKEN_PREFIX) :].decode("utf-8")
    except (ValueError, binascii.Error):
        raise ValueError("invalid page token") from None


class BankStore:
    """A read-only bank database, safe to share between threads.

    Each call borrows a connection from a pool, so concurrent calls never share one.
    """

    def __init__(self, path: Path, uri: str) -> None:
        self._path = path
        self._uri = uri
        self._idle: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False
        self._version = str(SCHEMA_VERSION)

    @staticmethod
    def create(path: Path, questions: Iterable[Question]) -> int:
        """Write a new bank at ``path`` atomically; returns the number of questions.

        Raises :class:`~grader.bank.writer.DuplicateQuestionError` or
        :class:`~grader.bank.writer.NoTestsError` (naming the question's position in
        ``questions``), leaving ``path`` as it was.
        """
        with BankWriter(path) as writer:
            for n, question in enumerate(questions, 1):
                writer.add_question(question, "<questions>", n)
            return writer.finish()

    @classmethod
    def open(cls, path: Path) -> BankStore:
        """Open an existing bank read-only; raises :class:`BankOpenError`."""
        if not path.is_file():
            raise BankOpenError(path, "no such bank file")
        store = cls(path, path.resolve().as_uri() + "?mode=ro")
        try:
            with store._connection() as conn:
                row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except BankOpenError as exc:
            store.close()
            reason = f"not a grader bank database ({exc.reason})"
            raise BankOpenError(path, reason) from None
        version = row["value"] if row else None
        if version not in READABLE_VERSIONS:
            store.close()
            raise BankOpenError(
                path,
                f"bank schema version {version}, but this grader reads version"
                f" {SCHEMA_VERSION}; rebuild the bank with `grader bank build`",
            )
        store._version = version
        return store

    @property
    def path(self) -> Path:
        return self._path

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        if self._closed:
            raise BankOpenError(self._path, "bank store is closed")
        try:
            conn = self._idle.get_nowait()
        except queue.Empty:
            try:
                conn = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
                conn.row_factory = sqlite3.Row
            except sqlite3.Error:
                raise BankOpenError(self._path, "cannot open the database") from None
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise BankOpenError(self._path, f"database error ({exc})") from None
        finally:
            with self._lock:
                if self._closed:
                    conn.close()
                else:
                    self._idle.put(conn)

    def close(self) -> None:
        """Close idle connections now, and busy ones when their call ends."""
        with self._lock:
            self._closed = True
            while not self._idle.empty():
                self._idle.get_nowait().close()

    def __enter__(self) -> BankStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def count(self) -> int:
        with self._connection() as conn:
            row = conn.execute("SELECT count(*) AS n FROM questions").fetchone()
        return int(row["n"])

    def check(self) -> None:
        """Raises BankOpenError unless the bank file can be opened and read now. A fresh
        connection, as pooled ones go on reading a file removed or replaced under them."""
        if self._closed:
            raise BankOpenError(self._path, "bank store is closed")
        try:
            conn = sqlite3.connect(self._uri, uri=True)
            try:
                conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            finally:
                conn.close()
        except sqlite3.Error as exc:
            raise BankOpenError(self._path, f"cannot read the bank ({exc})") from None

    def get_info(self, question_id: str) -> QuestionInfo | None:
        with self._connection() as conn:
            row = conn.execute(_SELECT_QUESTION, (question_id,)).fetchone()
        return info_from_row(row) if row else None

    def get_public_question(self, question_id: str) -> Question | None:
        """One question with its public tests only: what a client may see."""
        info = self.get_info(question_id)
        if info is None:
            return None
        with self._connection() as conn:
            rows = conn.execute(_SELECT_PUBLIC_TESTS, (question_id,)).fetchall()
        return Question(info=info, tests=tuple(test_from_row(row) for row in rows))

    def get_test(self, question_id: str, index: int) -> TestCase:
        """One test by its index (public tests first); KeyError when there is none."""
        with self._connection() as conn:
            row = conn.execute(_SELECT_TEST, (question_id, index)).fetchone()
        if row is None:
            raise KeyError(f"{question_id}#{index}")
        return test_from_row(row)

    def get_tests(self, question_id: str, start: int, count: int) -> list[TestCase]:
        """Tests start .. start+count-1 (fewer at the end), in one query."""
        with self._connection() as conn:
            rows = conn.execute(_SELECT_TEST_RANGE, (question_id, start, start + count)).fetchall()
        return [test_from_row(row) for row in rows]

    def get_suite(self, question_id: str) -> str:
        """A unittest question's suite source (private, like its tests); KeyError when it has none."""
        if self._version != str(SCHEMA_VERSION):
            raise KeyError(question_id)  # a version 3 bank holds no suites
        with self._connection() as conn:
            row = conn.execute(_SELECT_SUITE, (question_id,)).fetchone()
        if row is None:
            raise KeyError(question_id)
        return unpack(row["source"])

    def images(self) -> set[str]:
        """The sandbox environments the bank's questions name (the default one, "", left out)."""
        if self._version != str(SCHEMA_VERSION):
            return set()
        with self._connection() as conn:
            rows = conn.execute(_SELECT_IMAGES).fetchall()
        return {str(row["image"]) for row in rows}

    def list_questions(
        self,
        start_date: str = "",
        end_date: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        page_token: str = "",
    ) -> tuple[list[QuestionInfo], str]:
        """A page of questions ordered by id, and the next page's token ("" at the end).

        Given a date bound, only questions released within [start_date, end_date]
        (inclusive) are listed, and undated ones are left out. A page size of 0 or less
        means the default; sizes above MAX_PAGE_SIZE are capped. Raises ``ValueError``
        for a malformed date or token.
        """
        _check_date(start_date, "start_date")
        _check_date(end_date, "end_date")
        size = DEFAULT_PAGE_SIZE if page_size <= 0 else min(page_size, MAX_PAGE_SIZE)
        after = _decode_token(page_token) if page_token else ""
        windowed = int(bool(start_date or end_date))
        params = (after, windowed, start_date, end_date or "9999-12-31", size + 1)
        with self._connection() as conn:
            rows = conn.execute(_LIST_QUESTIONS, params).fetchall()
        infos = [info_from_row(row) for row in rows[:size]]
        next_token = _encode_token(infos[-1].id) if len(rows) > size else ""
        return infos, next_token
