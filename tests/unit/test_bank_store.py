"""The SQLite bank store and building a bank from source files."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import pickle
import sqlite3
import zlib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from grader.bank.build import build_bank
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
from grader.bank.schema import SCHEMA, SCHEMA_VERSION, question_values
from grader.bank.store import BankOpenError, BankStore
from grader.bank.writer import DuplicateQuestionError, NoTestsError
from tests.support.datasets import SHARED_DATASETS

DATASETS = SHARED_DATASETS


def question(qid: str, release_date: str = "", n_private: int = 2, **info: Any) -> Question:
    tests = (
        TestCase(f"{qid} public in\n", "out\n", True),
        *(TestCase(f"{qid} private {i}\n" * 50, f"{i}\n", False) for i in range(n_private)),
    )
    return Question(
        info=QuestionInfo(
            id=qid, title=f"Title {qid}", kind=QuestionKind.STDIN, release_date=release_date, **info
        ),
        tests=tests,
    )


def compress(tests: list[dict[str, str]]) -> str:
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(tests), protocol=4))).decode()


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def livebench_row(qid: str, private: str = "") -> dict[str, Any]:
    return {
        "question_id": qid,
        "category": "coding",
        "task": "LCB_generation",
        "turns": ["Solve it."],
        "question_title": f"Q {qid}",
        "public_test_cases": json.dumps([{"input": "1\n", "output": "1\n", "testtype": "stdin"}]),
        "private_test_cases": private,
        "original_json": {"metadata": "{}", "starter_code": "", "contest_date": "2024-05-01T00:00:00"},
        "release_date": "2024-06-24",
    }


def withheld_row(qid: str, n: int = 2, testtype: str = "stdin") -> dict[str, Any]:
    tests = [{"input": f"{qid}-{i}\n", "output": f"{i}\n", "testtype": testtype} for i in range(n)]
    return {"question_id": qid, "private_test_cases": compress(tests)}


def all_tests(store: BankStore, qid: str) -> list[TestCase]:
    """A question's tests as grading reads them: its info's count, in one range query."""
    info = store.get_info(qid)
    assert info is not None
    return store.get_tests(qid, 0, info.total_tests)


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[BankStore]:
    path = tmp_path / "bank.sqlite"
    questions = [
        question("q05", "2024-06-30"),
        question("q01", "2024-05-01"),
        question("q03", "2024-06-01"),
        question("q02", ""),
        question("q04", "2024-06-15"),
        question("q06", "2024-07-01"),
        question("q07", "2024-08-01"),
    ]
    BankStore.create(path, questions)
    store = BankStore.open(path)
    yield store
    store.close()


class TestRoundTrip:
    """A question written to the store reads back exactly, tests compressed at rest."""

    def test_question_and_tests_round_trip(self, tmp_path: Path) -> None:
        """Every field of the info and every test survives create/open."""
        q = Question(
            info=QuestionInfo(
                id="lb/1",
                title="Pairs",
                kind=QuestionKind.CALL,
                prompt="Do it.",
                starter_code="class Solution:\n",
                entry_point="pairs",
                release_date="2024-06-24",
                source="livebench",
                checker=CheckerSpec(CheckerName.FLOAT, abs_tol=1e-6, rel_tol=1e-3),
                limits=Limits(time_s=2.5, memory_mb=256, output_mb=1),
                prelude=Prelude.LCB,
                partial_solution="import sys",
                task="coding_completion",
                category="coding",
                num_base_tests=2,
            ),
            tests=(TestCase("[1]", "2", False), TestCase("[0]", "1", True), TestCase("é\n", "ü", False)),
        )
        path = tmp_path / "bank.sqlite"
        assert BankStore.create(path, [q]) == 1
        with BankStore.open(path) as store:
            assert all_tests(store, "lb/1") == [
                TestCase("[0]", "1", True),
                TestCase("[1]", "2", False),
                TestCase("é\n", "ü", False),
            ]
            expected_info = dataclasses.replace(q.info, num_public_tests=1, num_private_tests=2)
            assert store.get_info("lb/1") == expected_info
            assert store.count() == 1

    def test_tests_by_index_and_range_public_first(self, bank: BankStore) -> None:
        """get_test and get_tests read by index, public tests first; a range stops at the end."""
        assert bank.get_test("q03", 0) == TestCase("q03 public in\n", "out\n", True)
        assert bank.get_test("q03", 2) == TestCase("q03 private 1\n" * 50, "1\n", False)
        assert [t.public for t in bank.get_tests("q03", 0, 3)] == [True, False, False]
        assert bank.get_tests("q03", 1, 10) == [bank.get_test("q03", 1), bank.get_test("q03", 2)]

    def test_public_question_holds_no_private_test(self, bank: BankStore) -> None:
        """What a client may see: the info and the public tests only."""
        q = bank.get_public_question("q03")
        assert q is not None
        assert q.info == bank.get_info("q03")
        assert q.tests == (TestCase("q03 public in\n", "out\n", True),)

    def test_unknown_ids(self, bank: BankStore) -> None:
        """Unknown ids give None, a missing test a KeyError, and a range nothing."""
        assert bank.get_info("nope") is None
        assert bank.get_public_question("nope") is None
        with pytest.raises(KeyError):
            bank.get_test("nope", 0)
        with pytest.raises(KeyError):
            bank.get_test("q03", 3)
        assert bank.get_tests("nope", 0, 5) == []

    def test_tests_are_compressed_blobs(self, tmp_path: Path) -> None:
        """Test data is stored as zlib BLOBs in a tests table keyed by (question_id, idx)."""
        path = tmp_path / "bank.sqlite"
        BankStore.create(path, [question("q1")])
        conn = sqlite3.connect(path)
        try:
            rows = conn.execute("SELECT idx, typeof(input), input FROM tests ORDER BY idx").fetchall()
        finally:
            conn.close()
        assert [r[0] for r in rows] == [0, 1, 2]
        assert {r[1] for r in rows} == {"blob"}
        assert zlib.decompress(rows[1][2]).decode() == "q1 private 0\n" * 50
        assert len(rows[1][2]) < len("q1 private 0\n" * 50)


class TestAtomicCreate:
    """Creating a bank either writes a complete new file or leaves the target untouched."""

    def test_duplicate_ids_are_rejected(self, tmp_path: Path) -> None:
        """A repeated id raises DuplicateQuestionError and leaves no file behind."""
        path = tmp_path / "bank.sqlite"
        with pytest.raises(DuplicateQuestionError, match="duplicate question id 'a'") as info:
            BankStore.create(path, [question("a"), question("b"), question("a")])
        assert isinstance(info.value, ValueError)
        assert info.value.line == 3
        assert list(tmp_path.iterdir()) == []

    def test_question_without_tests_is_rejected(self, tmp_path: Path) -> None:
        """A question without tests raises NoTestsError."""
        empty = Question(info=QuestionInfo(id="e", title="E", kind=QuestionKind.STDIN), tests=())
        with pytest.raises(NoTestsError, match="'e' has no tests"):
            BankStore.create(tmp_path / "bank.sqlite", [question("a"), empty])
        assert list(tmp_path.iterdir()) == []

    def test_failed_rebuild_keeps_the_old_bank(self, tmp_path: Path) -> None:
        """A failing create leaves the existing bank as it was; a good one replaces it."""
        path = tmp_path / "bank.sqlite"
        BankStore.create(path, [question("old")])
        with pytest.raises(DuplicateQuestionError):
            BankStore.create(path, [question("x"), question("x")])
        with BankStore.open(path) as store:
            assert store.get_info("old") is not None
        BankStore.create(path, [question("new")])
        with BankStore.open(path) as store:
            assert store.get_info("old") is None
            assert store.count() == 1
        assert [p.name for p in tmp_path.iterdir()] == ["bank.sqlite"]


class TestListQuestions:
    """Listing pages through questions by id, optionally within a release-date window."""

    def test_pages_cover_all_questions_in_id_order(self, bank: BankStore) -> None:
        """Pages of 3 return 3, 3, 1 questions in id order, then an empty token."""
        ids, token, pages = [], "", 0
        while True:
            infos, token = bank.list_questions(page_size=3, page_token=token)
            ids += [i.id for i in infos]
            pages += 1
            if not token:
                break
        assert pages == 3
        assert ids == ["q01", "q02", "q03", "q04", "q05", "q06", "q07"]

    def test_exact_fit_has_no_extra_page(self, bank: BankStore) -> None:
        """A page that ends exactly at the last question returns an empty token."""
        infos, token = bank.list_questions(page_size=7)
        assert len(infos) == 7
        assert token == ""

    def test_infos_carry_test_counts(self, bank: BankStore) -> None:
        """Listed infos include their public and private test counts."""
        infos, _ = bank.list_questions(page_size=1)
        assert (infos[0].num_public_tests, infos[0].num_private_tests) == (1, 2)

    def test_date_window_is_inclusive_and_skips_undated(self, bank: BankStore) -> None:
        """Both bounds are inclusive and undated questions are excluded from any window."""
        infos, _ = bank.list_questions(start_date="2024-06-01", end_date="2024-06-30")
        assert [i.id for i in infos] == ["q03", "q04", "q05"]
        infos, _ = bank.list_questions(start_date="2024-07-01")
        assert [i.id for i in infos] == ["q06", "q07"]
        infos, _ = bank.list_questions(end_date="2024-05-01")
        assert [i.id for i in infos] == ["q01"]

    def test_window_with_paging(self, bank: BankStore) -> None:
        """Paging within a window continues after the last id returned."""
        first, token = bank.list_questions(start_date="2024-06-01", page_size=2)
        second, end = bank.list_questions(start_date="2024-06-01", page_size=2, page_token=token)
        assert [i.id for i in first + second] == ["q03", "q04", "q05", "q06"]
        assert end != ""

    def test_a_page_of_one(self, bank: BankStore) -> None:
        infos, token = bank.list_questions(page_size=1)
        assert [i.id for i in infos] == ["q01"]
        assert token != ""

    def test_the_first_page_starts_at_the_smallest_id(self, tmp_path: Path) -> None:
        """Ids sort as strings: digits and capitals before lower case."""
        BankStore.create(tmp_path / "b.db", [question(q, "2024-01-01") for q in ("zz", "0a", "Ab")])
        with BankStore.open(tmp_path / "b.db") as store:
            assert [i.id for i in store.list_questions()[0]] == ["0a", "Ab", "zz"]
            assert [i.id for i in store.list_questions(start_date="2024-01-01")[0]] == ["0a", "Ab", "zz"]

    def test_window_bounds_alone(self, bank: BankStore) -> None:
        """Each bound alone is inclusive; a window whose bounds meet is that one day."""
        assert [i.id for i in bank.list_questions(start_date="2024-06-30")[0]] == ["q05", "q06", "q07"]
        assert [i.id for i in bank.list_questions(end_date="2024-06-01")[0]] == ["q01", "q03"]
        day = bank.list_questions(start_date="2024-06-15", end_date="2024-06-15")[0]
        assert [i.id for i in day] == ["q04"]
        assert bank.list_questions(start_date="2024-06-16", end_date="2024-06-14") == ([], "")

    def test_default_page_size(self, bank: BankStore) -> None:
        """A page size of zero means the default size."""
        infos, token = bank.list_questions(page_size=0)
        assert len(infos) == 7
        assert token == ""

    @pytest.mark.parametrize(
        "kwargs",
        [
            {"page_token": "garbage!"},
            {"page_token": "bm9wZQ=="},
            {"start_date": "June"},
            {"end_date": "2024-6-1"},
        ],
    )
    def test_invalid_arguments(self, bank: BankStore, kwargs: dict[str, Any]) -> None:
        """Malformed tokens and dates raise ValueError."""
        with pytest.raises(ValueError, match=r"page token|ISO date"):
            bank.list_questions(**kwargs)

    @pytest.mark.parametrize("field", ["start_date", "end_date"])
    @pytest.mark.parametrize("value", ["20240601", "2024-02-30", "2024-06-01T00:00", "2024-W23-1"])
    def test_dates_are_yyyy_mm_dd_only(self, bank: BankStore, field: str, value: str) -> None:
        """Other ISO 8601 spellings (basic, week dates, times) and impossible days are refused,
        and the message names the argument."""
        with pytest.raises(ValueError, match=rf"^{field}: expected an ISO date \(YYYY-MM-DD\)$"):
            bank.list_questions(**{field: value})

    def test_invalid_token_message(self, bank: BankStore) -> None:
        with pytest.raises(ValueError, match=r"^invalid page token$"):
            bank.list_questions(page_token="bm9wZQ==")  # noqa: S106


class TestOpen:
    """Opening is read-only and refuses anything but a bank of this schema version."""

    def test_connection_is_read_only(self, bank: BankStore) -> None:
        """Writes through the store's connections fail."""
        with pytest.raises(BankOpenError, match="readonly"), bank._connection() as conn:
            conn.execute("DELETE FROM questions")
        assert bank.count() == 7

    def test_missing_file(self, tmp_path: Path) -> None:
        """A missing path is a BankOpenError naming it."""
        path = tmp_path / "missing.sqlite"
        with pytest.raises(BankOpenError, match=r"missing\.sqlite: no such bank file") as info:
            BankStore.open(path)
        assert info.value.path == str(path)

    @pytest.mark.parametrize("content", [b"not a database at all" * 100, b""])
    def test_not_a_database(self, tmp_path: Path, content: bytes) -> None:
        """Garbage and empty files are not banks."""
        path = tmp_path / "bank.sqlite"
        path.write_bytes(content)
        with pytest.raises(BankOpenError, match="not a grader bank database"):
            BankStore.open(path)

    @staticmethod
    def altered_bank(path: Path, *statements: str) -> Path:
        """A bank of one question with ``statements`` run on it afterwards."""
        BankStore.create(path, [question("a")])
        conn = sqlite3.connect(path)
        with conn:
            for statement in statements:
                conn.execute(statement)
        conn.close()
        return path

    def test_other_schema_version(self, tmp_path: Path) -> None:
        """A bank of another schema version is refused with both versions named."""
        path = self.altered_bank(
            tmp_path / "bank.sqlite", "UPDATE meta SET value = '999' WHERE key = 'schema_version'"
        )
        with pytest.raises(
            BankOpenError, match=f"version 999, but this grader reads version {SCHEMA_VERSION}"
        ):
            BankStore.open(path)

    def test_version_2_bank_asks_for_a_rebuild(self, tmp_path: Path) -> None:
        """A bank of schema 2 (no num_base column) is refused: rebuild it."""
        assert SCHEMA_VERSION == 4
        path = self.altered_bank(
            tmp_path / "bank.sqlite",
            "ALTER TABLE questions DROP COLUMN num_base",
            "UPDATE meta SET value = '2' WHERE key = 'schema_version'",
        )
        with pytest.raises(
            BankOpenError, match=r"bank schema version 2, .*rebuild the bank with `grader bank build`"
        ):
            BankStore.open(path)

    def test_version_3_bank_still_opens(self, tmp_path: Path) -> None:
        """A bank of schema 3 (no unittest columns, no suites) reads as one without unittest questions."""
        path = self.altered_bank(
            tmp_path / "bank.sqlite",
            "ALTER TABLE questions DROP COLUMN code_prompt",
            "ALTER TABLE questions DROP COLUMN image",
            "DROP TABLE suites",
            "UPDATE meta SET value = '3' WHERE key = 'schema_version'",
        )
        with BankStore.open(path) as store:
            info = store.get_info("a")
            assert info is not None and (info.code_prompt, info.image) == ("", "")
            assert store.images() == set()
            with pytest.raises(KeyError):
                store.get_suite("a")

    def test_closed_store(self, bank: BankStore) -> None:
        """Calls after close fail clearly."""
        bank.close()
        with pytest.raises(BankOpenError, match="closed"):
            bank.count()

    def test_concurrent_readers(self, bank: BankStore) -> None:
        """Many threads can read through one store at once."""

        def work(n: int) -> int:
            for _ in range(20):
                for qid in ("q01", "q04", "q07"):
                    tests = all_tests(bank, qid)
                    assert tests[1].input == f"{qid} private 0\n" * 50
            return n

        # result() re-raises a worker's failure here.
        with ThreadPoolExecutor(max_workers=8) as pool:
            assert sorted(f.result() for f in [pool.submit(work, n) for n in range(8)]) == list(range(8))


class TestBuildBank:
    """build_bank reads files of any format, joins withheld tests, and reports counts."""

    def test_mixed_files_and_withheld_join(self, tmp_path: Path) -> None:
        """Withheld tests join their question from any file, in any order, after its public ones."""
        withheld = write_rows(tmp_path / "test_cases.jsonl", [withheld_row("lb1", 3)])
        questions = write_rows(tmp_path / "questions.jsonl", [livebench_row("lb1"), livebench_row("lb2")])
        extra = write_rows(tmp_path / "more.jsonl", [withheld_row("lb2", 1)])
        native = write_rows(
            tmp_path / "native.jsonl",
            [
                {
                    "format": "grader.v1",
                    "id": "n1",
                    "title": "N",
                    "kind": "stdin",
                    "tests": [{"input": "", "output": ""}],
                }
            ],
        )
        out = tmp_path / "bank.sqlite"
        report = build_bank(
            out, [withheld, questions, DATASETS / "humaneval" / "HumanEval.jsonl", extra, native]
        )
        assert report.total_questions == 2 + 164 + 1
        counts = [(f.path.name, f.questions, f.withheld_rows, f.tests) for f in report.files]
        assert counts == [
            ("test_cases.jsonl", 0, 1, 3),
            ("questions.jsonl", 2, 0, 2),
            ("HumanEval.jsonl", 164, 0, 164),
            ("more.jsonl", 0, 1, 1),
            ("native.jsonl", 1, 0, 1),
        ]
        assert report.total_tests == 171
        with BankStore.open(out) as store:
            assert store.count() == 167
            assert [(t.input, t.public) for t in all_tests(store, "lb1")] == [
                ("1\n", True),
                ("lb1-0\n", False),
                ("lb1-1\n", False),
                ("lb1-2\n", False),
            ]
            q = store.get_info("lb1")
            assert q is not None
            assert (q.num_public_tests, q.num_private_tests) == (1, 3)
            info = store.get_info("lb2")
            assert info is not None
            assert info.num_private_tests == 1

    def test_livebench_row_with_compressed_private_tests(self, tmp_path: Path) -> None:
        """Private tests inside the question row need no withheld file."""
        private = compress([{"input": "2\n", "output": "2\n", "testtype": "stdin"}])
        src = write_rows(tmp_path / "q.jsonl", [livebench_row("lb1", private)])
        build_bank(tmp_path / "bank.sqlite", [src])
        with BankStore.open(tmp_path / "bank.sqlite") as store:
            assert [t.input for t in all_tests(store, "lb1")] == ["1\n", "2\n"]
            info = store.get_info("lb1")
            assert info is not None
            assert (info.task, info.category) == ("LCB_generation", "coding")

    @pytest.mark.parametrize(
        ("files", "where", "reason"),
        [
            ({"a.jsonl": [livebench_row("x")], "b.jsonl": [livebench_row("x")]}, "b.jsonl:1", "first at"),
            (
                {"a.jsonl": [livebench_row("x")], "w.jsonl": [withheld_row("y")]},
                "w.jsonl:1",
                "unknown question",
            ),
            (
                {
                    "w.jsonl": [withheld_row("x")],
                    "v.jsonl": [withheld_row("x")],
                    "a.jsonl": [livebench_row("x")],
                },
                "v.jsonl:1",
                "given twice",
            ),
            (
                {
                    "a.jsonl": [livebench_row("x", compress([{"input": "", "output": ""}]))],
                    "w.jsonl": [withheld_row("x")],
                },
                "w.jsonl:1",
                "already has private tests",
            ),
            (
                {"a.jsonl": [livebench_row("x")], "w.jsonl": [withheld_row("x", 1, "functional")]},
                "w.jsonl:1",
                "testtype",
            ),
        ],
    )
    def test_join_errors_name_file_and_line(
        self, tmp_path: Path, files: dict[str, list[dict[str, Any]]], where: str, reason: str
    ) -> None:
        """Duplicates, orphan or doubled withheld tests and conflicting ones are errors at their row."""
        paths = [write_rows(tmp_path / name, rows) for name, rows in files.items()]
        out = tmp_path / "bank.sqlite"
        with pytest.raises(BankFormatError, match=reason) as info:
            build_bank(out, paths)
        assert str(info.value).startswith(str(tmp_path / where))
        assert not out.exists()

    def test_question_left_without_tests(self, tmp_path: Path) -> None:
        """A question with no tests and no withheld ones fails at its own line."""
        row = livebench_row("x")
        row["public_test_cases"] = "[]"
        src = write_rows(tmp_path / "a.jsonl", [livebench_row("ok"), row])
        with pytest.raises(NoTestsError) as info:
            build_bank(tmp_path / "bank.sqlite", [src])
        assert (info.value.path, info.value.line) == (str(src), 2)

    def test_withheld_tests_rescue_an_empty_question(self, tmp_path: Path) -> None:
        """A question whose only tests are withheld is complete once they are joined."""
        row = livebench_row("x")
        row["public_test_cases"] = "[]"
        src = write_rows(tmp_path / "a.jsonl", [row])
        tests = write_rows(tmp_path / "w.jsonl", [withheld_row("x", 2)])
        build_bank(tmp_path / "bank.sqlite", [src, tests])
        with BankStore.open(tmp_path / "bank.sqlite") as store:
            assert [t.public for t in all_tests(store, "x")] == [False, False]

    def test_withheld_tests_cannot_join_humaneval(self, tmp_path: Path) -> None:
        """HumanEval checks run in the sandbox, so hidden tests for them are refused."""
        he = write_rows(
            tmp_path / "he.jsonl",
            [{"task_id": "H/0", "prompt": "def f():\n", "entry_point": "f", "test": "pass"}],
        )
        tests = write_rows(tmp_path / "w.jsonl", [withheld_row("H/0")])
        with pytest.raises(BankFormatError, match="none may be hidden"):
            build_bank(tmp_path / "bank.sqlite", [he, tests])


class TestSchema:
    """Writer and reader share one schema module; banks already built keep their tables."""

    def test_every_question_column_is_written_by_name(self, tmp_path: Path) -> None:
        """The writer's parameters name exactly the columns of the questions table."""
        path = tmp_path / "bank.sqlite"
        BankStore.create(path, [question("a")])
        conn = sqlite3.connect(path)
        try:
            columns = [row[1] for row in conn.execute("PRAGMA table_info(questions)")]
        finally:
            conn.close()
        info = QuestionInfo(id="a", title="A", kind=QuestionKind.STDIN)
        assert sorted(question_values(info, 1, 0)) == sorted(columns)
        assert len(columns) == 23

    def test_schema_text_is_unchanged(self) -> None:
        """SQLite keeps this text in every bank file; changing it needs a new SCHEMA_VERSION."""
        digest = hashlib.sha256(SCHEMA.encode()).hexdigest()
        expected = "ea743fb1de83a4595910b36f242eed457ad5586ecfd020d08449137fe46d9e1f"
        assert (SCHEMA_VERSION, digest) == (4, expected)
