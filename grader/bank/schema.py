"""A bank file's tables, and how a question's fields map onto their columns by name.

The writer and the reader both go through this module, so the two sides cannot disagree
on a column.
"""

from __future__ import annotations

import sqlite3
import zlib
from typing import Any

from grader.bank.model import CheckerName, CheckerSpec, Limits, Prelude, QuestionInfo, QuestionKind, TestCase

SCHEMA_VERSION = 4
"""2: questions gained ``task`` and ``category``; 3: ``num_base`` (base/plus test sets); 4:
``code_prompt`` and ``image``, and the ``suites`` table (unittest questions)."""
READABLE_VERSIONS = frozenset({"3", str(SCHEMA_VERSION)})
"""Versions a store opens: a version 3 bank reads as one without unittest questions."""
SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE questions (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, kind TEXT NOT NULL, prompt TEXT NOT NULL,
    starter_code TEXT NOT NULL, entry_point TEXT NOT NULL,
    release_date TEXT NOT NULL, source TEXT NOT NULL,
    checker TEXT NOT NULL, abs_tol REAL NOT NULL, rel_tol REAL NOT NULL,
    time_s REAL NOT NULL, memory_mb INTEGER NOT NULL, output_mb INTEGER NOT NULL,
    prelude TEXT NOT NULL, partial_solution TEXT NOT NULL,
    num_public INTEGER NOT NULL, num_private INTEGER NOT NULL,
    task TEXT NOT NULL, category TEXT NOT NULL, num_base INTEGER NOT NULL,
    code_prompt TEXT NOT NULL, image TEXT NOT NULL);
CREATE TABLE tests (
    question_id TEXT NOT NULL, idx INTEGER NOT NULL, public INTEGER NOT NULL,
    input BLOB NOT NULL, output BLOB NOT NULL, PRIMARY KEY (question_id, idx));
CREATE TABLE suites (question_id TEXT PRIMARY KEY, source BLOB NOT NULL);
"""
"""The text SQLite keeps in ``sqlite_master``: banks already built hold exactly these tables."""

# Statements are literals so no SQL is ever assembled from strings; every column and
# parameter is named, so neither side depends on the order of _SCHEMA's columns.
INSERT_QUESTION = (
    "INSERT INTO questions (id, title, kind, prompt, starter_code, entry_point, release_date, source,"
    " checker, abs_tol, rel_tol, time_s, memory_mb, output_mb, prelude, partial_solution,"
    " num_public, num_private, task, category, num_base, code_prompt, image)"
    " VALUES (:id, :title, :kind, :prompt, :starter_code, :entry_point, :release_date, :source,"
    " :checker, :abs_tol, :rel_tol, :time_s, :memory_mb, :output_mb, :prelude, :partial_solution,"
    " :num_public, :num_private, :task, :category, :num_base, :code_prompt, :image)"
)
INSERT_SUITE = "INSERT INTO suites (question_id, source) VALUES (?, ?)"
INSERT_TEST = (
    "INSERT INTO tests (question_id, idx, public, input, output)"
    " VALUES (:question_id, :idx, :public, :input, :output)"
)


_SAME_NAMES = (
    "id", "title", "prompt", "starter_code", "entry_point", "release_date", "source",
    "partial_solution", "task", "category", "code_prompt", "image",
)  # fmt: skip
"""Columns that hold the :class:`QuestionInfo` field of their name, as it is."""


def question_values(info: QuestionInfo, n_public: int, n_private: int) -> dict[str, Any]:
    """The parameters of :data:`INSERT_QUESTION` for ``info`` with these test counts."""
    checker, limits = info.checker, info.limits
    return {
        **{name: getattr(info, name) for name in _SAME_NAMES},
        "kind": info.kind.value,
        "checker": checker.name.value,
        "abs_tol": checker.abs_tol,
        "rel_tol": checker.rel_tol,
        "time_s": limits.time_s,
        "memory_mb": limits.memory_mb,
        "output_mb": limits.output_mb,
        "prelude": info.prelude.value,
        "num_public": n_public,
        "num_private": n_private,
        "num_base": info.num_base_tests,
    }


def info_from_row(row: sqlite3.Row) -> QuestionInfo:
    """A ``questions`` row read with :class:`sqlite3.Row` as its row factory."""
    columns = row.keys()
    return QuestionInfo(
        # A version 3 bank lacks the newer columns; their defaults are what it meant.
        **{name: row[name] for name in _SAME_NAMES if name in columns},
        kind=QuestionKind(row["kind"]),
        checker=CheckerSpec(CheckerName(row["checker"]), abs_tol=row["abs_tol"], rel_tol=row["rel_tol"]),
        limits=Limits(time_s=row["time_s"], memory_mb=row["memory_mb"], output_mb=row["output_mb"]),
        prelude=Prelude(row["prelude"]),
        num_public_tests=row["num_public"],
        num_private_tests=row["num_private"],
        num_base_tests=row["num_base"],
    )


def pack(text: str) -> bytes:
    """Test data at rest: UTF-8, zlib-compressed."""
    return zlib.compress(text.encode("utf-8"))


def unpack(data: bytes) -> str:
    return zlib.decompress(data).decode("utf-8")


def test_values(question_id: str, idx: int, test: TestCase) -> dict[str, Any]:
    """The parameters of :data:`INSERT_TEST` for a question's test number ``idx``."""
    return {
        "question_id": question_id,
        "idx": idx,
        "public": int(test.public),
        "input": pack(test.input),
        "output": pack(test.output),
    }


def test_from_row(row: sqlite3.Row) -> TestCase:
    """A ``tests`` row (at least ``public``, ``input`` and ``output``) read with :class:`sqlite3.Row`."""
    return TestCase(
        input=unpack(row["input"]),
        output=unpack(row["output"]),
        public=bool(row["public"]),
    )
