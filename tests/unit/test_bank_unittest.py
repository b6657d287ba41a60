"""Unittest questions in the bank: their rows (LiveBench code_generation / code_completion,
BigCodeBench, grader.v1), the suite's method listing, storage and the withheld-suite join."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from grader.bank.build import build_bank
from grader.bank.formats import RowFormat, WithheldTests, detect_row_format, read_bank_file, read_records
from grader.bank.formats.common import RowError
from grader.bank.formats.detect import parse_row
from grader.bank.formats.unittest_suite import SuiteQuestion, suite_limits, suite_methods
from grader.bank.model import BankFormatError, Limits, Question, QuestionKind, TestCase
from grader.bank.store import BankStore
from tests.support.bank_rows import (
    CODE_PROMPT,
    SOLUTION_HEAD,
    SOLUTION_TAIL,
    SUITE,
    SUITE_METHODS,
    bigcodebench_row,
    livebench_code_completion_row,
    livebench_generation_row,
    native_row,
    native_unittest_row,
)


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def parsed(row: dict[str, Any]) -> SuiteQuestion:
    item = parse_row(row)
    assert isinstance(item, SuiteQuestion)
    return item


def method_tests(names: tuple[str, ...] = SUITE_METHODS) -> tuple[TestCase, ...]:
    return tuple(TestCase(input=name, output="", public=False) for name in names)


class TestSuiteMethods:
    """The suite's methods as unittest's loader finds them, read with ast and never run."""

    def test_sorted_with_inherited_and_without_helpers(self) -> None:
        assert suite_methods(SUITE) == SUITE_METHODS

    def test_loader_rules(self) -> None:
        source = (
            "import unittest\n"
            "class TestCases(unittest.TestCase):\n"
            "    def test_b(self): pass\n"
            "    async def test_async(self): pass\n"
            "    def testCamel(self): pass\n"
            "    def _test_private(self): pass\n"
            "    def check_test(self): pass\n"
            "    def test_b(self): pass\n"
            "    class test_nested: pass\n"
        )
        # Sorted as strings, as the loader sorts: upper case first.
        assert suite_methods(source) == ("testCamel", "test_async", "test_b")

    def test_the_last_definition_wins(self) -> None:
        source = (
            "class TestCases:\n    def test_old(self): pass\nclass TestCases:\n    def test_new(self): pass\n"
        )
        assert suite_methods(source) == ("test_new",)

    def test_inheritance_cycle_and_unknown_bases(self) -> None:
        source = (
            "from somewhere import Mixin\n"
            "class A(TestCases):\n    def test_a(self): pass\n"
            "class TestCases(A, Mixin):\n    def test_c(self): pass\n"
        )
        assert suite_methods(source) == ("test_a", "test_c")

    @pytest.mark.parametrize(
        ("source", "reason"),
        [
            ("import unittest\nclass Tests(unittest.TestCase):\n    def test_x(self): pass\n",
             "no top-level class TestCases"),
            ("def f():\n    class TestCases:\n        def test_x(self): pass\n",
             "no top-level class TestCases"),
            ("class TestCases:\n    def helper(self): pass\n", "TestCases has no test method"),
            ("class TestCases:\n    test_x = staticmethod(len)\n", "TestCases has no test method"),
            ("", "no top-level class TestCases"),
            ("class TestCases(\n", "not valid Python (line 1)"),
        ],
    )  # fmt: skip
    def test_an_empty_suite_is_an_error(self, source: str, reason: str) -> None:
        with pytest.raises(RowError, match=reason.replace("(", r"\(").replace(")", r"\)")):
            suite_methods(source)

    def test_limits(self) -> None:
        assert suite_limits(None) == Limits(time_s=21.0, memory_mb=2048)
        assert suite_limits(2.5) == Limits(time_s=6.5, memory_mb=2048)
        assert suite_limits(0.0).time_s == 4.0


class TestRows:
    def test_bigcodebench(self) -> None:
        row = bigcodebench_row()
        assert detect_row_format(row) is RowFormat.BIGCODEBENCH
        item = parsed(row)
        info = item.question.info
        assert (info.id, info.kind, info.image, info.source) == (
            "BigCodeBench/9001", QuestionKind.UNITTEST, "bigcodebench", "bigcodebench")  # fmt: skip
        assert (info.prompt, info.code_prompt, info.entry_point) == (
            row["instruct_prompt"], CODE_PROMPT, "task_func")  # fmt: skip
        assert info.limits == Limits(time_s=21.0, memory_mb=2048)
        assert (info.num_public_tests, info.num_private_tests) == (0, 3)
        assert item.question.tests == method_tests()
        assert item.question.suite == SUITE
        assert item.reference == row["complete_prompt"] + "\n" + row["canonical_solution"]

    def test_livebench_generation(self) -> None:
        row = livebench_generation_row()
        assert detect_row_format(row) is RowFormat.LIVEBENCH
        item = parsed(row)
        info = item.question.info
        assert (info.kind, info.task, info.category, info.source) == (
            QuestionKind.UNITTEST, "code_generation", "coding", "livebench")  # fmt: skip
        assert (info.image, info.code_prompt, info.partial_solution) == ("bigcodebench", CODE_PROMPT, "")
        assert info.limits.time_s == 6.5  # max(1, 2.5 + 3) + 1
        assert info.release_date == "2025-04-25"
        assert item.question.tests == method_tests()
        assert item.reference == row["ground_truth"]

    def test_livebench_completion(self) -> None:
        row = livebench_code_completion_row()
        info = parsed(row).question.info
        assert info.partial_solution == CODE_PROMPT + SOLUTION_HEAD
        assert info.task == "code_completion"
        assert SOLUTION_TAIL not in json.dumps(info.__repr__())  # the remainder is answer data

    def test_livebench_without_expected_time_or_ground_truth(self) -> None:
        row = livebench_generation_row()
        del row["expected_time"], row["ground_truth"], row["release_date"]
        item = parsed(row)
        assert item.question.info.limits.time_s == 21.0
        assert item.reference == ""
        assert item.question.info.release_date == "2025-04-25"  # livebench_release_date

    def test_livebench_withheld_tests(self) -> None:
        row = livebench_generation_row()
        del row["tests"]
        item = parsed(row)
        assert (item.question.tests, item.question.suite) == ((), "")

    def test_native(self) -> None:
        item = parsed(native_unittest_row(image="bigcodebench", limits={"memory_mb": 4096}))
        info = item.question.info
        assert (info.kind, info.image, info.source) == (QuestionKind.UNITTEST, "bigcodebench", "native")
        assert info.limits == Limits(time_s=21.0, memory_mb=4096)
        assert item.question.tests == method_tests()
        assert item.reference.startswith("def task_func")

    def test_native_defaults(self) -> None:
        row = native_unittest_row()
        del row["reference"], row["code_prompt"]
        item = parsed(row)
        assert (item.reference, item.question.info.image, item.question.info.code_prompt) == ("", "", "")

    def test_withheld_suite_row(self) -> None:
        item = parse_row({"question_id": "q1", "tests": SUITE})
        assert item == WithheldTests("q1", method_tests(), QuestionKind.UNITTEST, SUITE)


BAD_ROWS: list[tuple[dict[str, Any], str]] = [
    (livebench_generation_row(tests="import unittest\n"), "tests: no top-level class TestCases"),
    (livebench_generation_row(tests="class TestCases:\n    pass\n"), "tests: TestCases has no test method"),
    (livebench_generation_row(entry_point=""), "field 'entry_point': must not be empty"),
    (livebench_generation_row(expected_time="fast"), "field 'expected_time': expected a number"),
    (livebench_generation_row(expected_time=-1), "field 'expected_time': must be between"),
    (livebench_generation_row(turns=[]), "field 'turns': expected a non-empty list"),
    (livebench_generation_row(tests=7), "field 'tests': expected a string"),
    (livebench_code_completion_row(partial_solution=None), "field 'partial_solution': expected a string"),
    (bigcodebench_row(test="def test_x(): pass\n"), "test: no top-level class TestCases"),
    (bigcodebench_row(code_prompt=""), "field 'code_prompt': must not be empty"),
    (bigcodebench_row(test="class TestCases(:\n"), "test: not valid Python"),
    (native_unittest_row(suite=""), "field 'suite': must not be empty"),
    (native_unittest_row(tests=[]), "unittest questions take 'suite'"),
    (native_unittest_row(image="Big Code/Bench"), "image: expected a short name"),
    (native_unittest_row(entry_point=""), "unittest questions need an 'entry_point'"),
    ({**native_unittest_row(kind="stdin"), "tests": []}, "'suite' is for unittest questions, not stdin"),
    ({"question_id": "q1", "tests": "x = 1\n"}, "tests: no top-level class TestCases"),
]


class TestRowErrors:
    @pytest.mark.parametrize(("row", "reason"), BAD_ROWS)
    def test_file_line_and_reason(self, tmp_path: Path, row: dict[str, Any], reason: str) -> None:
        path = write_jsonl(tmp_path / "rows.jsonl", [livebench_generation_row(question_id="ok"), row])
        with pytest.raises(BankFormatError) as caught:
            list(read_records(path))
        assert str(caught.value).startswith(f"{path}:2: ")
        assert reason in caught.value.reason
        for name in SUITE_METHODS:  # the suite's text never shows in a message
            assert name not in str(caught.value)


def build(tmp_path: Path, *files: list[dict[str, Any]]) -> BankStore:
    paths = [write_jsonl(tmp_path / f"src{n}.jsonl", rows) for n, rows in enumerate(files)]
    build_bank(tmp_path / "bank.db", paths)
    return BankStore.open(tmp_path / "bank.db")


class TestStore:
    def test_round_trip(self, tmp_path: Path) -> None:
        rows = [bigcodebench_row(), native_unittest_row(), livebench_code_completion_row()]
        with build(tmp_path, rows) as store:
            assert store.get_suite("BigCodeBench/9001") == SUITE
            assert store.images() == {"bigcodebench"}
            info = store.get_info("BigCodeBench/9001")
            assert info is not None and (info.kind, info.code_prompt, info.image) == (
                QuestionKind.UNITTEST, CODE_PROMPT, "bigcodebench")  # fmt: skip
            assert info.limits == Limits(time_s=21.0, memory_mb=2048)
            assert store.get_tests("demo/sum-suite", 0, 10) == list(method_tests())
            public = store.get_public_question("demo/sum-suite")
            assert public is not None and public.tests == () and public.suite == ""
            with pytest.raises(KeyError):
                store.get_suite("nope")

    def test_images_leave_out_the_default(self, tmp_path: Path) -> None:
        with build(tmp_path, [native_unittest_row()]) as store:
            assert store.images() == set()

    def test_create_keeps_the_suite(self, tmp_path: Path) -> None:
        question = parsed(native_unittest_row()).question
        BankStore.create(tmp_path / "bank.db", [question])
        with BankStore.open(tmp_path / "bank.db") as store:
            assert store.get_suite(question.info.id) == SUITE


PUBLIC_ONLY_STDIN = native_row(id="c9d3" * 16, tests=[{"input": "1", "output": "1", "public": True}])


class TestWithheldSuites:
    def row_without_tests(self) -> dict[str, Any]:
        row = livebench_generation_row()
        del row["tests"]
        return row

    def test_join_from_a_test_cases_file(self, tmp_path: Path) -> None:
        qid = livebench_generation_row()["question_id"]
        withheld = [{"question_id": qid, "tests": SUITE}]
        with build(tmp_path, withheld, [self.row_without_tests()]) as store:
            assert store.get_suite(qid) == SUITE
            assert store.get_tests(qid, 0, 10) == list(method_tests())
            info = store.get_info(qid)
            assert info is not None and info.num_private_tests == 3

    def test_question_without_its_suite(self, tmp_path: Path) -> None:
        with pytest.raises(BankFormatError, match="has no tests"):
            build(tmp_path, [self.row_without_tests()])

    @pytest.mark.parametrize(
        ("withheld", "question", "reason"),
        [
            ({"private_test_cases": "[]"}, None, "a unittest question's withheld tests are its suite"),
            ({"tests": SUITE}, livebench_generation_row(), "already has private tests"),
            ({"tests": SUITE}, PUBLIC_ONLY_STDIN, "does not match the question kind"),
        ],
    )  # fmt: skip
    def test_join_errors(
        self, tmp_path: Path, withheld: dict[str, Any], question: dict[str, Any] | None, reason: str
    ) -> None:
        row = question or self.row_without_tests()
        with pytest.raises(BankFormatError, match=reason) as caught:
            build(tmp_path, [row], [{"question_id": "c9d3" * 16, **withheld}])
        assert str(caught.value).startswith(f"{tmp_path / 'src1.jsonl'}:1: ")


def test_read_bank_file_takes_unittest_questions(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "q.jsonl", [bigcodebench_row()])
    (question,) = read_bank_file(path)
    assert isinstance(question, Question) and question.suite == SUITE
