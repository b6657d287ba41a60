"""Reading bank source files: native, LiveBench, LiveCodeBench and HumanEval rows."""

from __future__ import annotations

import base64
import gzip
import json
import pickle
import pickletools
import zlib
from pathlib import Path
from typing import Any, ClassVar

import pytest

from grader.bank.formats import (
    CompressedDataError,
    RowFormat,
    WithheldTests,
    decode_compressed_tests,
    detect_row_format,
    read_bank_file,
    read_records,
)
from grader.bank.formats.common import RowError, normalise_date
from grader.bank.formats.evalplus import parse_evalplus
from grader.bank.model import (
    BankFormatError,
    CheckerName,
    CheckerSpec,
    Limits,
    Prelude,
    Question,
    QuestionKind,
    TestCase,
    TestSet,
)
from tests.support.bank_rows import (
    compress,
    lcb_test,
    livebench_call_row,
    livebench_completion_row,
    native_row,
)
from tests.support.datasets import SHARED_DATASETS

DATASETS = SHARED_DATASETS
LCB_FIXTURE = DATASETS / "lcb" / "lcb_1873_A_full_tests_fixture.json"
HUMANEVAL = DATASETS / "humaneval" / "HumanEval.jsonl"

# Markers planted in test data: no error message may ever contain them.
HIDDEN_IN = "HIDDEN-INPUT-7f3a"
HIDDEN_OUT = "HIDDEN-OUTPUT-9c1d"


def encode_pickle(data: bytes) -> str:
    return base64.b64encode(zlib.compress(data)).decode("ascii")


def write_rows(path: Path, rows: list[Any], *, gz: bool = False) -> Path:
    text = "".join(json.dumps(row) + "\n" for row in rows)
    if gz:
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text)
    return path


def read_one(path: Path) -> Question:
    (question,) = list(read_bank_file(path))
    return question


class TestNativeFormat:
    """grader.v1 rows become questions with documented defaults."""

    def test_stdin_defaults(self, tmp_path: Path) -> None:
        """A minimal stdin row gets the lcb checker, default limits and no prelude."""
        q = read_one(write_rows(tmp_path / "bank.jsonl", [native_row()]))
        assert q.info.id == "demo/sum-pairs"
        assert q.info.kind is QuestionKind.STDIN
        assert q.info.checker == CheckerSpec(CheckerName.LCB)
        assert q.info.limits == Limits()
        assert q.info.prelude is Prelude.NONE
        assert q.info.source == "native"
        assert q.tests == (TestCase("1\n1 2\n", "3\n", True), TestCase("1\n3 4\n", "7\n", False))
        assert (q.info.num_public_tests, q.info.num_private_tests) == (1, 1)

    def test_call_with_checker_object_and_limits(self, tmp_path: Path) -> None:
        """Checker objects, partial limits and dates are read; call questions default to json."""
        row = native_row(
            kind="call",
            entry_point="add",
            checker={"name": "float", "abs_tol": 1e-6},
            limits={"time_s": 2, "memory_mb": 256},
            prelude="lcb",
            release_date="2026-01-15",
        )
        q = read_one(write_rows(tmp_path / "bank.jsonl", [row]))
        assert q.info.checker == CheckerSpec(CheckerName.FLOAT, abs_tol=1e-6, rel_tol=1e-9)
        assert q.info.limits == Limits(time_s=2.0, memory_mb=256, output_mb=16)
        assert q.info.prelude is Prelude.LCB
        assert q.info.release_date == "2026-01-15"
        default = read_one(write_rows(tmp_path / "b2.jsonl", [native_row(kind="call", entry_point="f")]))
        assert default.info.checker.name is CheckerName.JSON

    def test_humaneval_check_becomes_one_public_test(self, tmp_path: Path) -> None:
        """A humaneval row's check code is its single public test, checked by 'exact'."""
        row = native_row(kind="humaneval", entry_point="f", check="def check(c): assert c(1) == 2\n")
        del row["tests"]
        q = read_one(write_rows(tmp_path / "bank.jsonl", [row]))
        assert q.tests == (TestCase("def check(c): assert c(1) == 2\n", "", True),)
        assert q.info.checker.name is CheckerName.EXACT

    def test_public_tests_come_first(self, tmp_path: Path) -> None:
        """Tests are reordered public first, each group keeping file order."""
        tests = [
            {"input": "a", "output": "1", "public": False},
            {"input": "b", "output": "2", "public": True},
            {"input": "c", "output": "3"},
        ]
        q = read_one(write_rows(tmp_path / "bank.jsonl", [native_row(tests=tests)]))
        assert [t.input for t in q.tests] == ["b", "a", "c"]
        assert [t.public for t in q.tests] == [True, False, False]

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"kind": "interactive"}, "kind: unknown name"),
            ({"checker": "fuzzy"}, "checker: unknown name"),
            ({"checker": {"name": "float", "tol": 1}}, "checker: unknown fields"),
            ({"prelude": "numpy"}, "prelude: unknown name"),
            ({"limits": {"time_s": -1}}, "limits.time_s: must be positive"),
            ({"limits": {"memory_mb": 1.5}}, "limits.memory_mb: expected an integer"),
            ({"kind": "call"}, "need an 'entry_point'"),
            ({"kind": "humaneval", "entry_point": "f"}, "take 'check', not 'tests'"),
            ({"check": "def check(c): pass"}, "'check' is for humaneval"),
            ({"tset": []}, "unknown fields ['tset']"),
            ({"format": "grader.v2"}, "unknown format"),
            ({"title": 5}, "field 'title': expected a string"),
            ({"release_date": "15/01/2026"}, "release_date: not an ISO date"),
        ],
    )
    def test_invalid_rows(self, tmp_path: Path, changes: dict[str, Any], reason: str) -> None:
        """Unknown names, bad types and misplaced fields are errors naming file and line."""
        path = write_rows(tmp_path / "bank.jsonl", [native_row(id="ok"), native_row(**changes)])
        with pytest.raises(BankFormatError) as info:
            list(read_bank_file(path))
        assert info.value.path == str(path)
        assert info.value.line == 2
        assert reason in info.value.reason


class TestLiveBenchFormat:
    """LiveBench coding rows become LCB-prelude questions with public then private tests."""

    def test_call_based_with_compressed_private_tests(self, tmp_path: Path) -> None:
        """A func_name makes a CALL question with the json checker; compressed tests decode."""
        q = read_one(write_rows(tmp_path / "lb.jsonl", [livebench_call_row()]))
        info = q.info
        assert info.id == "a3f1" * 16
        assert info.kind is QuestionKind.CALL
        assert info.entry_point == "maximumStrongPairXor"
        assert info.checker == CheckerSpec(CheckerName.JSON)
        assert info.prelude is Prelude.LCB
        assert info.source == "livebench"
        assert (info.task, info.category) == ("LCB_generation", "coding")
        assert info.prompt == "Write maximumStrongPairXor."
        assert info.starter_code.startswith("class Solution:")
        assert info.title == "maximum-strong-pair-xor-i"
        assert info.release_date == "2024-06-24"
        assert q.tests == (
            TestCase("[1, 2, 3, 4, 5]", "7", True),
            TestCase("[10, 100]", "0", False),
            TestCase("[5, 6, 25, 30]", "7", False),
        )
        assert (info.num_public_tests, info.num_private_tests) == (1, 2)

    def test_stdin_completion_with_json_private_tests(self, tmp_path: Path) -> None:
        """Empty metadata makes a STDIN question; partial_solution and a string original_json are read."""
        q = read_one(write_rows(tmp_path / "lb.jsonl", [livebench_completion_row()]))
        assert q.info.kind is QuestionKind.STDIN
        assert q.info.checker == CheckerSpec(CheckerName.LCB)
        assert q.info.entry_point == ""
        assert q.info.partial_solution == "import sys\n"
        assert (q.info.task, q.info.category) == ("coding_completion", "coding")
        assert q.info.release_date == "2024-07-26"
        assert [t.public for t in q.tests] == [True, False, False]
        assert q.tests[1] == TestCase("1\nbca\n", "NO\n", False)

    def test_category_defaults_to_coding(self, tmp_path: Path) -> None:
        """Both LiveBench tasks are in the coding category; a row that does not say so gets it."""
        row = livebench_completion_row()
        del row["category"]
        assert read_one(write_rows(tmp_path / "lb.jsonl", [row])).info.category == "coding"

    @pytest.mark.parametrize(
        ("release_date", "expected"),
        [
            (1722000000, "2024-07-26"),
            (1722000000000, "2024-07-26"),
            ("2024-07-26", "2024-07-26"),
            ("", "2023-08-21"),
        ],
    )
    def test_release_date_forms(self, tmp_path: Path, release_date: object, expected: str) -> None:
        """Epoch seconds and milliseconds and ISO strings are dates; none falls back to contest_date."""
        row = livebench_completion_row(release_date=release_date)
        assert read_one(write_rows(tmp_path / "lb.jsonl", [row])).info.release_date == expected

    @pytest.mark.parametrize(
        ("changes", "reason"),
        [
            ({"task": "BCB_generation"}, "unsupported LiveBench task"),
            ({"partial_solution": None}, "missing required field 'partial_solution'"),
            ({"turns": []}, "field 'turns'"),
            ({"original_json": "{not json"}, "original_json: not valid JSON"),
            ({"private_test_cases": "%%%"}, "private_test_cases: not valid JSON or compressed data"),
            ({"public_test_cases": "[{]"}, "public_test_cases: not valid JSON"),
        ],
    )
    def test_invalid_rows(self, tmp_path: Path, changes: dict[str, Any], reason: str) -> None:
        """Unsupported tasks, missing completion prefixes and undecodable tests are errors."""
        row = livebench_completion_row(**changes)
        if row.get("partial_solution") is None:
            del row["partial_solution"]
        path = write_rows(tmp_path / "lb.jsonl", [row])
        with pytest.raises(BankFormatError, match=r"lb\.jsonl:1: ") as info:
            list(read_bank_file(path))
        assert reason in info.value.reason

    def test_testtype_must_match_kind(self, tmp_path: Path) -> None:
        """Functional tests on a stdin question would be run wrongly, so they are refused."""
        row = livebench_completion_row(private_test_cases=json.dumps([lcb_test("[1]", "1", "functional")]))
        with pytest.raises(BankFormatError, match="testtype does not match"):
            list(read_bank_file(write_rows(tmp_path / "lb.jsonl", [row])))


class TestLiveCodeBenchFormat:
    """code_generation_lite rows, including the real 1873_A fixture, decode fully."""

    def test_fixture_row_decodes_to_its_four_private_tests(self, tmp_path: Path) -> None:
        """The fixture's compressed private tests are exactly the four tests it lists decoded."""
        fixture = json.loads(LCB_FIXTURE.read_text())
        q = read_one(write_rows(tmp_path / "lcb.jsonl", [fixture["lcb_code_generation_lite_row"]]))
        decoded = fixture["private_test_cases_decoded"]
        assert len(decoded) == 4
        private = [t for t in q.tests if not t.public]
        assert private == [TestCase(t["input"], t["output"], False) for t in decoded]
        assert q.tests[0].public
        assert q.info.num_public_tests == 1
        assert q.info.num_private_tests == 4
        assert q.info.id == "1873_A"
        assert q.info.title == "A. Short Sort"
        assert q.info.kind is QuestionKind.STDIN
        assert q.info.checker.name is CheckerName.LCB
        assert q.info.prelude is Prelude.LCB
        assert q.info.release_date == "2023-08-21"
        assert q.info.source == "livecodebench"

    def test_call_based_row(self, tmp_path: Path) -> None:
        """A func_name in the metadata string makes a CALL question."""
        row = {
            "question_id": "3193",
            "question_title": "maximum-strong-pair-xor-i",
            "question_content": "Return the maximum XOR.",
            "platform": "leetcode",
            "contest_id": "weekly-contest-371",
            "contest_date": "2023-11-12T00:00:00",
            "starter_code": "class Solution:\n",
            "difficulty": "easy",
            "public_test_cases": json.dumps([lcb_test("[1, 2]", "3", "functional")]),
            "private_test_cases": compress([lcb_test("[5, 6]", "3", "functional")]),
            "metadata": '{"func_name": "maximumStrongPairXor"}',
        }
        q = read_one(write_rows(tmp_path / "lcb.jsonl", [row]))
        assert q.info.kind is QuestionKind.CALL
        assert q.info.entry_point == "maximumStrongPairXor"
        assert q.info.prompt == "Return the maximum XOR."
        assert len(q.tests) == 2


class TestHumanEvalFormat:
    """HumanEval rows become HUMANEVAL questions whose check code is one public test."""

    def test_reads_all_164_questions(self) -> None:
        """The published HumanEval.jsonl yields its 164 tasks with unique ids."""
        questions = list(read_bank_file(HUMANEVAL))
        assert len(questions) == 164
        assert len({q.info.id for q in questions}) == 164
        first = questions[0]
        assert first.info.id == first.info.title == "HumanEval/0"
        assert first.info.kind is QuestionKind.HUMANEVAL
        assert first.info.entry_point == "has_close_elements"
        assert first.info.source == "humaneval"
        (test,) = first.tests
        assert test.public
        assert test.output == ""
        assert "def check(candidate)" in test.input

    def test_missing_entry_point_is_an_error(self, tmp_path: Path) -> None:
        """A HumanEval row needs its entry point."""
        row = {"task_id": "X/1", "prompt": "def f():\n", "test": "def check(c): pass\n"}
        with pytest.raises(BankFormatError, match="entry_point"):
            list(read_bank_file(write_rows(tmp_path / "he.jsonl", [row])))


class TestFileLayouts:
    """Files are JSON Lines or one JSON array, gzip or not, told by content rather than name."""

    def test_gzip_detected_by_magic_bytes(self, tmp_path: Path) -> None:
        """A gzip file named .json and a plain file named .gz both read correctly."""
        gz = write_rows(tmp_path / "bank.json", [native_row()], gz=True)
        plain = write_rows(tmp_path / "bank.jsonl.gz", [native_row()])
        assert read_one(gz) == read_one(plain)

    def test_json_array_reports_element_lines(self, tmp_path: Path) -> None:
        """Elements of a pretty-printed array are located by the line they start on."""
        rows = [native_row(id="a"), native_row(id="b", kind="nope")]
        path = tmp_path / "bank.json"
        path.write_text(json.dumps(rows, indent=2))
        starts = [n for n, text in enumerate(path.read_text().splitlines(), 1) if text == "  {"]
        with pytest.raises(BankFormatError) as info:
            list(read_bank_file(path))
        assert info.value.line == starts[1] > 2
        path.write_text(json.dumps(rows[:1]))
        assert read_one(path).info.id == "a"

    def test_blank_lines_are_skipped(self, tmp_path: Path) -> None:
        """Blank lines between rows are ignored but still counted."""
        path = tmp_path / "bank.jsonl"
        path.write_text("\n" + json.dumps(native_row()) + "\n\n" + json.dumps({"bad": 1}) + "\n")
        with pytest.raises(BankFormatError) as info:
            list(read_bank_file(path))
        assert info.value.line == 4
        assert "unrecognised row shape" in info.value.reason

    @pytest.mark.parametrize("content", [b"", b"\n\n", b"[]", b"\x1f\x8b\x08broken"])
    def test_empty_or_damaged_files(self, tmp_path: Path, content: bytes) -> None:
        """Empty files, empty arrays and damaged gzip are errors, never an empty bank."""
        path = tmp_path / "bank.jsonl"
        path.write_bytes(content)
        with pytest.raises(BankFormatError, match=r"bank\.jsonl"):
            list(read_bank_file(path))

    def test_row_formats_are_detected_from_keys(self) -> None:
        """Each supported shape is recognised from its keys alone."""
        assert detect_row_format(native_row()) is RowFormat.NATIVE
        assert detect_row_format(livebench_call_row()) is RowFormat.LIVEBENCH
        assert detect_row_format({"question_id": "x", "private_test_cases": ""}) is RowFormat.WITHHELD
        fixture = json.loads(LCB_FIXTURE.read_text())["lcb_code_generation_lite_row"]
        assert detect_row_format(fixture) is RowFormat.LIVECODEBENCH
        with pytest.raises(RowError, match="unrecognised row shape"):
            detect_row_format({"id": 1})


class TestErrors:
    """Malformed files fail with file and line, and never echo hidden test data."""

    def test_bad_json_names_file_and_line(self, tmp_path: Path) -> None:
        """A line that is not JSON is reported with its 1-based line number."""
        path = tmp_path / "bank.jsonl"
        path.write_text(json.dumps(native_row(id="a")) + "\n" + json.dumps(native_row(id="b")) + "\n{oops\n")
        with pytest.raises(BankFormatError, match=r"bank\.jsonl:3: not valid JSON") as info:
            list(read_bank_file(path))
        assert (info.value.path, info.value.line) == (str(path), 3)

    def test_non_object_row(self, tmp_path: Path) -> None:
        """A row that is valid JSON but not an object is refused."""
        with pytest.raises(BankFormatError, match="expected a JSON object"):
            list(read_bank_file(write_rows(tmp_path / "bank.jsonl", [[1, 2]])))

    def test_question_without_tests_is_rejected(self, tmp_path: Path) -> None:
        """A question with no tests at all is an error, never a free pass."""
        rows = [livebench_completion_row(public_test_cases="[]", private_test_cases="")]
        with pytest.raises(BankFormatError, match="no tests"):
            list(read_bank_file(write_rows(tmp_path / "lb.jsonl", rows)))

    def test_duplicate_ids_within_a_file(self, tmp_path: Path) -> None:
        """A repeated id is an error at its second occurrence."""
        path = write_rows(tmp_path / "bank.jsonl", [native_row(), native_row()])
        with pytest.raises(BankFormatError, match="duplicate question id") as info:
            list(read_bank_file(path))
        assert info.value.line == 2

    def test_withheld_rows_need_a_build(self, tmp_path: Path) -> None:
        """read_bank_file refuses withheld-tests rows, which only a build can join."""
        rows = [{"question_id": "x", "private_test_cases": json.dumps([lcb_test("1", "2")])}]
        path = write_rows(tmp_path / "withheld.jsonl", rows)
        with pytest.raises(BankFormatError, match="withheld-tests row"):
            list(read_bank_file(path))
        (record,) = list(read_records(path))
        assert record.item == WithheldTests("x", (TestCase("1", "2", False),), QuestionKind.STDIN)

    @pytest.mark.parametrize(
        "private",
        [
            json.dumps([{"input": HIDDEN_IN, "output": 5}]),
            json.dumps([{"input": HIDDEN_IN, "output": HIDDEN_OUT, "testtype": "weird"}]),
            json.dumps([{"input": HIDDEN_IN, "output": HIDDEN_OUT, "testtype": "functional"}]),
            "[" + json.dumps({"input": HIDDEN_IN, "output": HIDDEN_OUT}),
            HIDDEN_IN,
            compress(HIDDEN_IN + HIDDEN_OUT),
            compress([HIDDEN_IN, HIDDEN_OUT]),
        ],
    )
    def test_messages_never_contain_test_data(self, tmp_path: Path, private: str) -> None:
        """Errors about tests name the field, never the hidden inputs or outputs."""
        row = livebench_completion_row(private_test_cases=private)
        with pytest.raises(BankFormatError, match="private_test_cases") as info:
            list(read_bank_file(write_rows(tmp_path / "lb.jsonl", [row])))
        assert HIDDEN_IN not in str(info.value)
        assert HIDDEN_OUT not in str(info.value)


class Payload:
    """Pickles into a call of ``open(path, "w")``: running it leaves a file behind."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> tuple[Any, ...]:
        return (open, (str(self.target), "w"))


class TestCompressedTests:
    """Compressed tests are decoded without ever letting the pickle run code."""

    def test_round_trip(self) -> None:
        """A pickled str comes back as the same text."""
        assert decode_compressed_tests(compress("[1, 2]")) == "[1, 2]"

    def test_payload_is_live(self, tmp_path: Path) -> None:
        """Control: the payload below references a global, reduces, and its call makes the file."""
        target = tmp_path / "control"
        opcodes = {op.name for op, _, _ in pickletools.genops(pickle.dumps(Payload(target), protocol=4))}
        assert {"STACK_GLOBAL", "REDUCE"} <= opcodes
        func, args = Payload(target).__reduce__()
        func(*args).close()
        assert target.exists()

    def test_reduce_payload_is_rejected_without_running(self, tmp_path: Path) -> None:
        """A pickle that would call open() is refused and the file is never created."""
        target = tmp_path / "pwned"
        blob = encode_pickle(pickle.dumps(Payload(target), protocol=4))
        with pytest.raises(CompressedDataError):
            decode_compressed_tests(blob)
        assert not target.exists()

    def test_global_reduce_opcodes_are_rejected(self, tmp_path: Path) -> None:
        """A hand-made GLOBAL os.system + REDUCE pickle is refused before anything runs."""
        target = tmp_path / "pwned-by-system"
        data = f"cos\nsystem\n(S'touch {target}'\ntR.".encode()
        with pytest.raises(CompressedDataError):
            decode_compressed_tests(encode_pickle(data))
        assert not target.exists()

    def test_malicious_row_fails_with_file_and_line(self, tmp_path: Path) -> None:
        """In a bank file the same payload is a format error at its line, with no side effect."""
        target = tmp_path / "pwned-row"
        blob = encode_pickle(pickle.dumps(Payload(target), protocol=4))
        path = write_rows(tmp_path / "lb.jsonl", [livebench_call_row(private_test_cases=blob)])
        with pytest.raises(BankFormatError, match=r"lb\.jsonl:1: private_test_cases"):
            list(read_bank_file(path))
        assert not target.exists()

    @pytest.mark.parametrize(
        "blob",
        [
            encode_pickle(pickle.dumps(["not", "a", "str"], protocol=4)),
            encode_pickle(pickle.dumps(b"bytes", protocol=4)),
            encode_pickle(b"\x80\x04garbage"),
            base64.b64encode(b"not zlib").decode(),
            "@@not base64@@",
            base64.b64encode(zlib.compress(pickle.dumps("x" * 100))[:-4]).decode(),
        ],
    )
    def test_non_string_or_damaged_data_is_rejected(self, blob: str) -> None:
        """Anything but an intact pickle of one str is refused."""
        with pytest.raises(CompressedDataError):
            decode_compressed_tests(blob)


class TestDates:
    """Release dates normalise to YYYY-MM-DD from the forms sources use."""

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("2024-06-24", "2024-06-24"),
            ("2024-06-24T12:30:00", "2024-06-24"),
            ("2024-06-24 23:30:00+05:00", "2024-06-24"),
            ("2024-06-24T00:00:00Z", "2024-06-24"),
            (1719187200, "2024-06-24"),
            (1719187200000, "2024-06-24"),
            (1719187200.5, "2024-06-24"),
            ("", ""),
            (None, ""),
        ],
    )
    def test_accepted_forms(self, value: object, expected: str) -> None:
        """ISO dates and datetimes keep their calendar date; epoch numbers are read as UTC."""
        assert normalise_date(value, "release_date") == expected

    @pytest.mark.parametrize("value", ["24/06/2024", "2024-13-01", True, [2024], float("nan")])
    def test_rejected_forms(self, value: object) -> None:
        """Anything else is an error naming the field."""
        with pytest.raises(RowError, match="release_date"):
            normalise_date(value, "release_date")


class TestEvalPlusRows:
    """An EvalPlus row becomes a call-based question; a plus bank records where base ends."""

    ROW: ClassVar[dict[str, Any]] = {
        "task_id": "HumanEval/0",
        "prompt": "def add(a, b):\n",
        "entry_point": "add",
        "canonical_solution": "    return a + b\n",
        "base_input": [[1, 2], [3, 4]],
        "plus_input": [[5, 6], [7, 8], [9, 10]],
        "atol": 0,
    }

    def test_base_holds_the_base_inputs_only(self) -> None:
        info = parse_evalplus(self.ROW, TestSet.BASE).question.info
        assert info.total_tests == 2
        assert info.num_base_tests == 0
        assert info.tests_in(TestSet.BASE) == info.tests_in(TestSet.PLUS) == 2

    def test_plus_holds_both_and_remembers_the_base(self) -> None:
        task = parse_evalplus(self.ROW, TestSet.PLUS)
        info = task.question.info
        assert info.total_tests == 5
        assert info.num_base_tests == 2
        assert (info.tests_in(TestSet.BASE), info.tests_in(TestSet.PLUS)) == (2, 5)
        assert task.question.tests[2].input.splitlines()[1:] == ["5", "6"]
