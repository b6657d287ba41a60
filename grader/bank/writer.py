"""Writing a new bank file: questions and withheld tests in any order, joined at the end."""

from __future__ import annotations

import os
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from grader.bank import schema
from grader.bank.model import BankFormatError, Question, QuestionInfo, QuestionKind, TestCase

__all__ = ["BankWriter", "DuplicateQuestionError", "NoTestsError", "SuiteCheck"]

# Build-time bookkeeping lives in a private temporary database, never in the bank.
_STAGING = """
ATTACH DATABASE '' AS staging;
CREATE TABLE staging.origin (question_id TEXT PRIMARY KEY, path TEXT, line INTEGER);
CREATE TABLE staging.withheld (
    question_id TEXT PRIMARY KEY, kind TEXT, path TEXT, line INTEGER, suite BLOB);
CREATE TABLE staging.reference (question_id TEXT PRIMARY KEY, code BLOB NOT NULL);
CREATE TABLE staging.withheld_tests (
    question_id TEXT NOT NULL, seq INTEGER NOT NULL, input BLOB, output BLOB,
    PRIMARY KEY (question_id, seq));
"""
_INSERT_ORIGIN = "INSERT INTO staging.origin (question_id, path, line) VALUES (?, ?, ?)"
_INSERT_REFERENCE = "INSERT INTO staging.reference (question_id, code) VALUES (?, ?)"
_FIRST_ORIGIN = "SELECT path, line FROM staging.origin WHERE question_id = ?"
_FIRST_WITHHELD = "SELECT path, line FROM staging.withheld WHERE question_id = ?"
_INSERT_WITHHELD_TEST = (
    "INSERT INTO staging.withheld_tests (question_id, seq, input, output)"
    " VALUES (:question_id, :idx, :input, :output)"
)
_DROP_QUESTION = (
    "DELETE FROM questions WHERE id = ?",
    "DELETE FROM tests WHERE question_id = ?",
    "DELETE FROM suites WHERE question_id = ?",
)


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


@dataclass(frozen=True, slots=True)
class SuiteCheck:
    """A unittest question whose reference solution is to pass its suite before the bank is done."""

    info: QuestionInfo
    suite: str
    methods: tuple[str, ...]
    reference: str
    path: str
    line: int | None


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
        self._joined = False
        self._conn = sqlite3.connect(tmp, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        try:
            # The file is renamed into place only once complete, so no journal is needed.
            pragmas = "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF;"
            self._conn.executescript(pragmas + schema.SCHEMA + _STAGING)
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

    def _first_at(self, query: str, question_id: str) -> str:
        """Where the row that an insert of ``question_id`` collided with came from."""
        row = self._conn.execute(query, (question_id,)).fetchone()
        if row is None:
            return "?"
        return f"{row['path']}:{row['line']}" if row["line"] is not None else str(row["path"])

    def add_question(self, question: Question, path: str, line: int | None, reference: str = "") -> None:
        """Add a question; ``path`` and ``line`` locate it in error messages. A unittest question
        keeps its suite, and its `reference` solution until :meth:`suite_checks`."""
        info = question.info
        if not info.id:
            raise BankFormatError(path, line, "question id must not be empty")
        tests = sorted(question.tests, key=lambda t: not t.public)  # public first
        n_public = sum(t.public for t in tests)
        try:
            values = schema.question_values(info, n_public, len(tests) - n_public)
            self._conn.execute(schema.INSERT_QUESTION, values)
        except sqlite3.IntegrityError:
            first = self._first_at(_FIRST_ORIGIN, info.id)
            raise DuplicateQuestionError(path, line, info.id, first) from None
        self._conn.execute(_INSERT_ORIGIN, (info.id, path, line))
        rows = (schema.test_values(info.id, idx, t) for idx, t in enumerate(tests))
        self._conn.executemany(schema.INSERT_TEST, rows)
        if question.suite:
            self._conn.execute(schema.INSERT_SUITE, (info.id, schema.pack(question.suite)))
        if reference:
            self._conn.execute(_INSERT_REFERENCE, (info.id, schema.pack(reference)))

    def add_withheld(
        self,
        question_id: str,
        tests: Iterable[TestCase],
        kind: QuestionKind | None,
        path: str,
        line: int | None,
        suite: str = "",
    ) -> None:
        """Private tests for a question added before or after; ``kind`` if implied. A unittest
        question's withheld suite comes with its methods as ``tests``."""
        packed = schema.pack(suite) if suite else None
        try:
            self._conn.execute(
                "INSERT INTO staging.withheld (question_id, kind, path, line, suite) VALUES (?, ?, ?, ?, ?)",
                (question_id, kind.value if kind else None, path, line, packed),
            )
        except sqlite3.IntegrityError:
            first = self._first_at(_FIRST_WITHHELD, question_id)
            reason = f"withheld tests for {question_id!r} given twice (first at {first})"
            raise BankFormatError(path, line, reason) from None
        self._conn.executemany(
            _INSERT_WITHHELD_TEST, (schema.test_values(question_id, seq, t) for seq, t in enumerate(tests))
        )

    def _check_joins(self) -> None:
        rows = self._conn.execute(
            "SELECT w.question_id, w.kind, w.path, w.line, q.kind AS question_kind, q.num_private"
            " FROM staging.withheld w LEFT JOIN questions q ON q.id = w.question_id"
            " ORDER BY w.rowid"
        )
        for row in rows:
            question_kind = row["question_kind"]
            reason = ""
            if question_kind is None:
                reason = "withheld tests for an unknown question id"
            elif question_kind == QuestionKind.HUMANEVAL.value:
                reason = "humaneval tests run in the sandbox, so none may be hidden"
            elif row["num_private"]:
                reason = "question already has private tests in its own row"
            elif row["kind"] is not None and row["kind"] != question_kind:
                reason = f"testtype does not match the question kind {question_kind!r}"
            elif question_kind == QuestionKind.UNITTEST.value and row["kind"] is None:
                reason = "a unittest question's withheld tests are its suite ('tests')"
            if reason:
                raise BankFormatError(row["path"], row["line"], f"{reason} ({row['question_id']!r})")

    def join(self) -> None:
        """Join withheld tests and suites onto their questions and check every question has tests;
        raises BankFormatError. :meth:`finish` does it when it was not done."""
        if self._joined:
            return
        conn = self._conn
        self._check_joins()
        conn.execute(
            "INSERT INTO suites (question_id, source)"
            " SELECT question_id, suite FROM staging.withheld WHERE suite IS NOT NULL"
        )
        conn.execute(
            "INSERT INTO tests (question_id, idx, public, input, output)"
            " SELECT w.question_id, q.num_public + w.seq, 0, w.input, w.output"
            " FROM staging.withheld_tests w JOIN questions q ON q.id = w.question_id"
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
            raise NoTestsError(empty["path"] or str(self._path), empty["line"], empty["id"])
        self._joined = True

    def suite_checks(self) -> Iterator[SuiteCheck]:
        """The joined unittest questions that came with a reference solution, in file order."""
        self.join()
        rows = self._conn.execute(
            "SELECT q.*, s.source AS suite_source, r.code, o.path AS origin_path, o.line AS origin_line"
            " FROM staging.reference r JOIN questions q ON q.id = r.question_id"
            " JOIN suites s ON s.question_id = r.question_id"
            " LEFT JOIN staging.origin o ON o.question_id = r.question_id ORDER BY r.rowid"
        ).fetchall()
        for row in rows:
            tests = self._conn.execute(
                "SELECT input FROM tests WHERE question_id = ? ORDER BY idx", (row["id"],)
            ).fetchall()
            yield SuiteCheck(
                info=schema.info_from_row(row),
                suite=schema.unpack(row["suite_source"]),
                methods=tuple(schema.unpack(t["input"]) for t in tests),
                reference=schema.unpack(row["code"]),
                path=row["origin_path"] or str(self._path),
                line=row["origin_line"],
            )

    def drop(self, question_id: str) -> None:
        """Leave a question out of the bank (its reference solution failed)."""
        for statement in _DROP_QUESTION:
            self._conn.execute(statement, (question_id,))

    def finish(self) -> int:
        """Join withheld tests (unless :meth:`join` did), move the bank in place; the number of questions."""
        conn = self._conn
        self.join()
        version = str(schema.SCHEMA_VERSION)
        conn.execute("INSERT INTO meta (key, value) VALUES ('schema_version', ?)", (version,))
        count = conn.execute("SELECT count(*) AS n FROM questions").fetchone()["n"]
        conn.execute("COMMIT")
        conn.execute("DETACH DATABASE staging")
        conn.close()
        self._move_into_place()
        return int(count)

    def _move_into_place(self) -> None:
        with self._tmp.open("rb") as f:
            os.fsync(f.fileno())
        os.replace(self._tmp, self._path)
        self._done = True
        dir_fd = os.open(self._path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
