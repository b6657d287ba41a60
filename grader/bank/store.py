"""The question bank on SQLite: ``questions`` metadata, zlib-compressed ``tests``.

Tests are read one question (or one test) at a time, so a bank far larger than RAM can
be served. A bank file is written once, to a temporary file renamed into place, and is
then only read.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import os
import queue
import sqlite3
import tempfile
import threading
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from grader.bank.model import (
    BankFormatError,
    CheckerName,
    CheckerSpec,
    Limits,
    Prelude,
    Question,
    QuestionInfo,
    QuestionKind,
    TestCase,
)

__all__ = [
    "SCHEMA_VERSION",
    "BankOpenError",
    "BankStore",
    "BankWriter",
    "DuplicateQuestionError",
    "NoTestsError",
]

SCHEMA_VERSION = 3
"""2: questions gained ``task`` and ``category``; 3: ``num_base`` (base/plus test sets)."""
_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE questions (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL, prompt TEXT NOT NULL,
    starter_code TEXT NOT NULL, entry_point TEXT NOT NULL,
    release_date TEXT NOT NULL, source TEXT NOT NULL,
    checker TEXT NOT NULL, abs_tol REAL NOT NULL, rel_tol REAL NOT NULL,
    time_s REAL NOT NULL, memory_mb INTEGER NOT NULL, output_mb INTEGER NOT NULL,
    prelude TEXT NOT NULL, partial_solution TEXT NOT NULL,
    num_public INTEGER NOT NULL, num_private INTEGER NOT NULL,
    task TEXT NOT NULL, category TEXT NOT NULL, num_base INTEGER NOT NULL);
CREATE TABLE tests (
    question_id TEXT NOT NULL, idx INTEGER NOT NULL, public INTEGER NOT NULL,
    input BLOB NOT NULL, output BLOB NOT NULL, PRIMARY KEY (question_id, idx));
"""
# Build-time bookkeeping lives in a private temporary database, never in the bank.
_STAGING = """
ATTACH DATABASE '' AS staging;
CREATE TABLE staging.origin (question_id TEXT PRIMARY KEY, path TEXT, line INTEGER);
CREATE TABLE staging.withheld (
    question_id TEXT PRIMARY KEY, kind TEXT, path TEXT, line INTEGER);
CREATE TABLE staging.withheld_tests (
    question_id TEXT NOT NULL, seq INTEGER NOT NULL, input BLOB, output BLOB,
    PRIMARY KEY (question_id, seq));
"""
# Statements are literals so no SQL is ever assembled from strings; ``SELECT *`` follows
# the column order of _SCHEMA, which _info_from_row mirrors.
_INSERT_QUESTION = (
    "INSERT INTO questions VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
_SELECT_QUESTION = "SELECT * FROM questions WHERE id = ?"
_SELECT_TESTS = "SELECT public, input, output FROM tests WHERE question_id = ? ORDER BY idx"
_SELECT_PUBLIC_TESTS = "SELECT public, input, output FROM tests WHERE question_id = ? AND public ORDER BY idx"
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


class DuplicateQuestionError(BankFormatError):
    """A question id given twice; the message says where both are."""

    def __init__(self, path: str, line: int | None, question_id: str, first: str) -> None:
        reason = f"duplicate question id {question_id!r} (first at {first})"
        super().__init__(path, line, reason)
        self.question_id = question_id


class NoTestsError(BankFormatError):
    """A question without tests: it could only pass vacuously, so it is refused."""

    def __init__(self, path: str, line: int | None, question_id: str) -> None:
        super().__init__(path, line, f"question {question_id!r} has no tests")
        self.question_id = question_id


def _pack(text: str) -> bytes:
    return zlib.compress(text.encode("utf-8"))


def _where(row: tuple[Any, ...] | None) -> str:
    if row is None:
        return "?"
    return f"{row[0]}:{row[1]}" if row[1] is not None else str(row[0])


def _info_row(info: QuestionInfo, n_public: int, n_private: int) -> tuple[Any, ...]:
    checker, limits = info.checker, info.limits
    return (
        info.id, info.title, info.kind.value, info.prompt, info.starter_code,
        info.entry_point, info.release_date, info.source,
        checker.name.value, checker.abs_tol, checker.rel_tol,
        limits.time_s, limits.memory_mb, limits.output_mb, info.prelude.value,
        info.partial_solution, n_public, n_private, info.task, info.category, info.num_base_tests,
    )  # fmt: skip


def _info_from_row(row: tuple[Any, ...]) -> QuestionInfo:
    return QuestionInfo(
        id=row[0],
        title=row[1],
        kind=QuestionKind(row[2]),
        prompt=row[3],
        starter_code=row[4],
        entry_point=row[5],
        release_date=row[6],
        source=row[7],
        checker=CheckerSpec(CheckerName(row[8]), abs_tol=row[9], rel_tol=row[10]),
        limits=Limits(time_s=row[11], memory_mb=row[12], output_mb=row[13]),
        prelude=Prelude(row[14]),
        partial_solution=row[15],
        num_public_tests=row[16],
        num_private_tests=row[17],
        task=row[18],
        category=row[19],
        num_base_tests=row[20],
    )


def _test_from_row(row: tuple[Any, ...]) -> TestCase:
    public, packed_input, packed_output = row
    return TestCase(
        input=zlib.decompress(packed_input).decode("utf-8"),
        output=zlib.decompress(packed_output).decode("utf-8"),
        public=bool(public),
    )


class BankWriter:
    """Writes a new bank: questions and withheld tests in any order, then finish.

    Everything goes to a temporary file beside ``path`` (mode 0600: it holds hidden
    tests), renamed over ``path`` only by :meth:`finish`; leaving the ``with`` block
    unfinished discards it.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        os.close(fd)
        self._tmp = Path(tmp)
        self._done = False
        self._conn = sqlite3.connect(tmp, isolation_level=None)
        try:
            # The file is renamed into place only once complete, so no journal is needed.
            self._conn.executescript("PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;" + _SCHEMA + _STAGING)
            self._conn.execute("BEGIN")
        except BaseException:
            self._discard()
            raise

    def __enter__(self) -> BankWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if not self._done:
            self._discard()

    def _discard(self) -> None:
        self._conn.close()
        self._tmp.unlink(missing_ok=True)

    def add_question(self, question: Question, path: str, line: int | None) -> None:
        """Add a question; ``path`` and ``line`` locate it in error messages."""
        info = question.info
        if not info.id:
            raise BankFormatError(path, line, "question id must not be empty")
        tests = sorted(question.tests, key=lambda t: not t.public)  # public first
        n_public = sum(t.public for t in tests)
        try:
            self._conn.execute(
                _INSERT_QUESTION,
                _info_row(info, n_public, len(tests) - n_public),
            )
        except sqlite3.IntegrityError:
            first = self._conn.execute(
                "SELECT path, line FROM staging.origin WHERE question_id = ?",
                (info.id,),
            ).fetchone()
            raise DuplicateQuestionError(path, line, info.id, _where(first)) from None
        self._conn.execute("INSERT INTO staging.origin VALUES (?, ?, ?)", (info.id, path, line))
        self._conn.executemany(
            "INSERT INTO tests VALUES (?, ?, ?, ?, ?)",
            ((info.id, idx, int(t.public), _pack(t.input), _pack(t.output)) for idx, t in enumerate(tests)),
        )

    def add_withheld(
        self,
        question_id: str,
        tests: Iterable[TestCase],
        kind: QuestionKind | None,
        path: str,
        line: int | None,
    ) -> None:
        """Private tests for a question added before or after; ``kind`` if implied."""
        try:
            self._conn.execute(
                "INSERT INTO staging.withheld VALUES (?, ?, ?, ?)",
                (question_id, kind.value if kind else None, path, line),
            )
        except sqlite3.IntegrityError:
            first = self._conn.execute(
                "SELECT path, line FROM staging.withheld WHERE question_id = ?",
                (question_id,),
            ).fetchone()
            reason = f"withheld tests for {question_id!r} given twice (first at "
            raise BankFormatError(path, line, f"{reason}{_where(first)})") from None
        self._conn.executemany(
            "INSERT INTO staging.withheld_tests VALUES (?, ?, ?, ?)",
            ((question_id, seq, _pack(t.input), _pack(t.output)) for seq, t in enumerate(tests)),
        )

    def _check_joins(self) -> None:
        rows = self._conn.execute(
            "SELECT w.question_id, w.kind, w.path, w.line, q.kind, q.num_private"
            " FROM staging.withheld w LEFT JOIN questions q ON q.id = w.question_id"
            " ORDER BY w.rowid"
        )
        for question_id, kind, path, line, question_kind, num_private in rows:
            reason = ""
            if question_kind is None:
                reason = "withheld tests for an unknown question id"
            elif question_kind == QuestionKind.HUMANEVAL.value:
                reason = "humaneval tests run in the sandbox, so none may be hidden"
            elif num_private:
                reason = "question already has private tests in its own row"
            elif kind is not None and kind != question_kind:
                reason = f"testtype does not match the question kind {question_kind!r}"
            if reason:
                raise BankFormatError(path, line, f"{reason} ({question_id!r})")

    def finish(self) -> int:
        """Join withheld tests, check all questions have tests, move the bank in place."""
        conn = self._conn
        self._check_joins()
        conn.execute(
            "INSERT INTO tests SELECT w.question_id, q.num_public + w.seq, 0,"
            " w.input, w.output FROM staging.withheld_tests w"
            " JOIN questions q ON q.id = w.question_id"
        )
        conn.execute(
            "UPDATE questions SET num_private = (SELECT count(*)"
            " FROM staging.withheld_tests w WHERE w.question_id = questions.id)"
            " WHERE id IN (SELECT question_id FROM staging.withheld)"
        )
        empty = conn.execute(
            "SELECT q.id, o.path, o.line FROM questions q"
            " LEFT JOIN staging.origin o ON o.question_id = q.id"
            " WHERE q.num_public + q.num_private = 0 ORDER BY o.rowid LIMIT 1"
        ).fetchone()
        if empty is not None:
            raise NoTestsError(empty[1] or str(self._path), empty[2], empty[0])
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        (count,) = conn.execute("SELECT count(*) FROM questions").fetchone()
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE staging")
        conn.close()
        with self._tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(self._tmp, self._path)
        self._done = True
        dir_fd = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
        return int(count)


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

    @staticmethod
    def create(path: Path, questions: Iterable[Question]) -> int:
        """Write a new bank at ``path`` atomically; returns the number of questions.

        Raises :class:`DuplicateQuestionError` or :class:`NoTestsError` (naming the
        question's position in ``questions``), leaving ``path`` as it was.
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
        version = row[0] if row else None
        if version != str(SCHEMA_VERSION):
            store.close()
            raise BankOpenError(
                path,
                f"bank schema version {version}, but this grader reads version"
                f" {SCHEMA_VERSION}; rebuild the bank with `grader bank build`",
            )
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
            (n,) = conn.execute("SELECT count(*) FROM questions").fetchone()
        return int(n)

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
        return _info_from_row(row) if row else None

    def get_question(self, question_id: str) -> Question | None:
        """One question with all its tests, public first."""
        info = self.get_info(question_id)
        if info is None:
            return None
        with self._connection() as conn:
            rows = conn.execute(
                _SELECT_TESTS,
                (question_id,),
            ).fetchall()
        return Question(info=info, tests=tuple(_test_from_row(row) for row in rows))

    def get_public_question(self, question_id: str) -> Question | None:
        """One question with its public tests only: what a client may see."""
        info = self.get_info(question_id)
        if info is None:
            return None
        with self._connection() as conn:
            rows = conn.execute(_SELECT_PUBLIC_TESTS, (question_id,)).fetchall()
        return Question(info=info, tests=tuple(_test_from_row(row) for row in rows))

    def get_test(self, question_id: str, index: int) -> TestCase:
        """One test by its index (public tests first); KeyError when there is none."""
        with self._connection() as conn:
            row = conn.execute(_SELECT_TEST, (question_id, index)).fetchone()
        if row is None:
            raise KeyError(f"{question_id}#{index}")
        return _test_from_row(row)

    def get_tests(self, question_id: str, start: int, count: int) -> list[TestCase]:
        """Tests start .. start+count-1 (fewer at the end), in one query."""
        with self._connection() as conn:
            rows = conn.execute(_SELECT_TEST_RANGE, (question_id, start, start + count)).fetchall()
        return [_test_from_row(row) for row in rows]

    def iter_tests(self, question_id: str) -> Iterator[TestCase]:
        """A question's tests, public first, read one at a time.

        Raises ``KeyError`` at once for an unknown id: an empty run must never pass.
        """
        info = self.get_info(question_id)
        if info is None:
            raise KeyError(question_id)
        return self._tests(question_id, info.num_public_tests + info.num_private_tests)

    def _tests(self, question_id: str, total: int) -> Iterator[TestCase]:
        # One query per test, so nothing stays open while the caller grades.
        for idx in range(total):
            with self._connection() as conn:
                row = conn.execute(
                    _SELECT_TEST,
                    (question_id, idx),
                ).fetchone()
            if row is None:
                raise BankOpenError(self._path, "damaged bank: a test is missing")
            yield _test_from_row(row)

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
        infos = [_info_from_row(row) for row in rows[:size]]
        next_token = _encode_token(infos[-1].id) if len(rows) > size else ""
        return infos, next_token
