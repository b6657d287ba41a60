"""Fuzzing the bank build: arbitrary and mutated source files either build a bank or fail with a
BankFormatError naming file and line — never another exception, never a hang, never a partial
bank file left behind."""

from __future__ import annotations

import base64
import contextlib
import copy
import gzip
import json
import math
import os
import pickle
import tempfile
import zlib
from collections.abc import Collection
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.bank.build import build_bank
from grader.bank.formats import RowFormat, detect_row_format
from grader.bank.formats.common import RowError
from grader.bank.formats.detect import is_evalplus_file
from grader.bank.model import BankFormatError, TestSet
from grader.bank.reference import read_reference_tasks
from grader.bank.store import BankStore

EXAMPLES = int(os.environ.get("GRADER_FUZZ_EXAMPLES", "100"))
"""Examples per property; raise it for a deeper run (GRADER_FUZZ_EXAMPLES=5000)."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),  # a hang, or a quadratic blow-up, fails the example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 100,  # CI runs are reproducible; deeper runs explore afresh
)


def compress(value: object) -> str:
    """LiveCodeBench's encoding of private tests: base64(zlib(pickle of the JSON text))."""
    return base64.b64encode(zlib.compress(pickle.dumps(json.dumps(value), protocol=4))).decode()


def lcb_test(inp: str, out: str, testtype: str = "stdin") -> dict[str, str]:
    return {"input": inp, "output": out, "testtype": testtype}


SUITE = "import unittest\nclass TestCases(unittest.TestCase):\n    def test_a(self): pass\n"
LEETCODE_HEADER = "from typing import *\n"
LEETCODE_STARTER = (
    "class Solution:\n    def solve(self, n: int, queries: List[List[int]]) -> List[int]:\n        "
)

# One valid row of every supported shape; mutations start from these.
TEMPLATES: dict[str, dict[str, Any]] = {
    "native-stdin": {
        "format": "grader.v1", "id": "fz/stdin", "title": "Sum", "kind": "stdin", "prompt": "Add.",
        "release_date": "2026-01-15", "checker": {"name": "float", "abs_tol": 1e-6},
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1}, "prelude": "none",
        "tests": [{"input": "1 2\n", "output": "3\n", "public": True}, {"input": "2 2\n", "output": "4\n"}],
    },
    "native-call": {
        "format": "grader.v1", "id": "fz/call", "title": "Twice", "kind": "call", "entry_point": "twice",
        "starter_code": "class Solution:\n    def twice(self, x): pass\n", "checker": "json",
        "partial_solution": "", "tests": [{"input": "2", "output": "4", "public": True}],
    },
    "native-humaneval": {
        "format": "grader.v1", "id": "fz/he", "title": "Inc", "kind": "humaneval", "entry_point": "inc",
        "check": "def check(c):\n    assert c(1) == 2\n",
    },
    "livebench": {
        "question_id": "a3f1" * 16, "category": "coding", "task": "LCB_generation", "turns": ["Write it."],
        "question_title": "strong-pair",
        "public_test_cases": json.dumps([lcb_test("[1, 2]", "3", "functional")]),
        "private_test_cases": compress([lcb_test("[10, 100]", "0", "functional")]),
        "original_json": {
            "question_title": "strong-pair", "question_content": "...", "platform": "leetcode",
            "contest_date": "2023-11-12T00:00:00", "starter_code": "class Solution:\n    pass\n",
            "metadata": '{"func_name": "strongPair"}',
        },
        "release_date": 1719187200000, "livebench_release_date": "2024-06-24",
    },
    "livebench-completion": {
        "question_id": "b7c2" * 16, "category": "coding", "task": "coding_completion", "turns": ["Complete."],
        "question_title": "A. Short Sort", "public_test_cases": json.dumps([lcb_test("1\nabc\n", "YES\n")]),
        "private_test_cases": json.dumps([lcb_test("1\nbca\n", "NO\n")]),
        "original_json": json.dumps({"question_title": "A", "starter_code": "", "metadata": "{}"}),
        "release_date": "2024-07-26T00:00:00", "partial_solution": "import sys\n",
    },
    "livecodebench": {
        "question_id": "1873_A", "question_title": "Short Sort", "question_content": "Sort it.",
        "platform": "codeforces", "contest_id": "1873", "contest_date": "2023-08-21T00:00:00",
        "starter_code": "", "difficulty": "easy", "metadata": "{}",
        "public_test_cases": json.dumps([lcb_test("1\nabc\n", "YES\n")]),
        "private_test_cases": compress([lcb_test("1\nbca\n", "NO\n")]),
    },
    "humaneval": {
        "task_id": "HumanEval/0", "prompt": "def inc(x):\n", "entry_point": "inc",
        "canonical_solution": "    return x + 1\n",
        "test": "def check(candidate):\n    assert candidate(1) == 2\n",
    },
    "leetcode": {
        "task_id": "some-problem", "question_id": 3243, "difficulty": "Medium", "tags": ["Array"],
        "problem_description": "Solve it.", "starter_code": LEETCODE_STARTER, "estimated_date": "2024-08-04",
        "prompt": LEETCODE_HEADER, "completion": LEETCODE_STARTER + "return []\n",
        "entry_point": "Solution().solve", "test": "def check(candidate):\n    pass\n",
        "input_output": [
            {"input": "n = 3, queries = [[0,2]]", "output": "[1]"},
            {"input": "n = 2, queries = []", "output": "[]"},
        ],
    },
    "withheld": {
        "question_id": "1873_A",
        "private_test_cases": json.dumps([lcb_test("1\nacb\n", "YES\n")]),
    },
    "native-unittest": {
        "format": "grader.v1", "id": "u/1", "title": "U", "kind": "unittest", "entry_point": "f",
        "code_prompt": "def f(x):\n", "suite": SUITE, "image": "bigcodebench", "limits": {"memory_mb": 512},
    },
    "livebench-code-generation": {
        "question_id": "c9d3", "category": "coding", "task": "code_generation", "turns": ["Write f."],
        "question_title": "f", "entry_point": "f", "code_prompt": "def f(x):\n", "expected_time": 1.5,
        "release_date": "2025-05-30", "livebench_release_date": "2025-05-30",
    },
    "withheld-suite": {"question_id": "c9d3", "tests": SUITE},
    "bigcodebench": {
        "task_id": "BigCodeBench/1", "complete_prompt": "def f(x):\n    \"\"\"Doc.\"\"\"\n",
        "instruct_prompt": "Write f.", "code_prompt": "def f(x):\n", "canonical_solution": "    return x\n",
        "test": SUITE, "entry_point": "f", "libs": "[]", "doc_struct": "{}",
    },
}  # fmt: skip

EVALPLUS_TEMPLATE: dict[str, Any] = {
    "task_id": "HumanEval/0", "prompt": "def inc(x):\n", "entry_point": "inc",
    "canonical_solution": "    return x + 1\n", "base_input": [[1], [2]], "plus_input": [[3]], "atol": 0,
    "contract": "", "test": "",
}  # fmt: skip

# Leaves: huge, signed and special numbers, unicode (lone surrogates and NUL included: JSON can
# carry them as escapes), and the literals JSON has.
TEXT = st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=12)
NUMBERS = st.one_of(
    st.integers(),
    st.sampled_from([0, -1, 2**63, -(2**63) - 1, 2**64, 10**30, -(10**300), 10**4000]),
    st.floats(allow_nan=True, allow_infinity=True),
)
# Text that has broken real parsers: a lone surrogate, NUL, a BOM, right-to-left override, astral
# characters, a long string.
ODD_TEXT = st.sampled_from(["\ud800", "a\udfff", "\x00", "\ufeff", "\u202e", "é😀", "\r", "x" * 20000])
LEAVES = st.one_of(st.none(), st.booleans(), NUMBERS, TEXT, ODD_TEXT)


def _nested(depth: int) -> list[object]:
    value: list[object] = []
    for _ in range(depth):
        value = [value]
    return value


# Every field of every template gets each of these in turn (TestEveryFieldMistyped).
EDGE_VALUES: list[object] = [
    None, True, 0, -1, 1.5, 10**400, -(10**400), 2**63, 2**64, 1e308, math.nan, math.inf, -math.inf,
    "", " ", "\ud800", "x\x00", "[", "[" * 5000, "{}", "[]", "2026-13-45",
    [], {}, [None], [[]], {"": None}, ["x"], _nested(600),
]  # fmt: skip
JSON_VALUES = st.recursive(
    LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(TEXT, inner, max_size=4)),
    max_leaves=12,
)


IDENTIFYING = ("format", "question_id", "private_test_cases", "task_id", "entry_point", "input_output",
               "test", "turns", "original_json", "question_content", "tests", "complete_prompt",
               "instruct_prompt", "code_prompt")  # fmt: skip
"""The keys the formats are told apart by."""


@st.composite
def keyed_objects(draw: st.DrawFn) -> dict[str, Any]:
    """An object with any mix of the identifying keys, and other keys of the formats or random ones."""
    row = draw(st.dictionaries(st.sampled_from(IDENTIFYING), JSON_VALUES, max_size=5))
    others = st.one_of(TEXT, st.sampled_from(sorted({key for t in TEMPLATES.values() for key in t})))
    row.update(draw(st.dictionaries(others, JSON_VALUES, max_size=3)))
    return row


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place inside a row (dict keys, list indexes), parents before children."""
    found: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found += _paths(child, (*prefix, key))
    return found


def _parent(row: Any, path: tuple[Any, ...]) -> Any:
    for key in path[:-1]:
        row = row[key]
    return row


@st.composite
def mutated_row(draw: st.DrawFn, template: dict[str, Any] | None = None) -> dict[str, Any]:
    """A template with one to three fields replaced by random JSON, deleted, re-typed or added;
    fields holding JSON text (LiveBench's test lists) are mutated inside that text too."""
    row = copy.deepcopy(
        template if template is not None else TEMPLATES[draw(st.sampled_from(sorted(TEMPLATES)))]
    )
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(row)
        op = draw(st.sampled_from(["replace", "delete", "add", "inner", "retype", "odd"]))
        if op == "add" or not paths:
            row[draw(st.sampled_from([*sorted(row), "format", "tests", "id"]) | TEXT)] = draw(JSON_VALUES)
            continue
        path = draw(st.sampled_from(paths))
        parent, key = _parent(row, path), path[-1]
        value = parent[key]
        if op == "delete" and isinstance(parent, dict):
            del parent[key]
        elif op == "inner" and isinstance(value, str) and value[:1] in "[{":
            try:
                inner = json.loads(value)
            except ValueError:
                continue
            parent[key] = dumps(draw(mutated_row(inner)) if isinstance(inner, dict) else draw(JSON_VALUES))
        elif op == "odd":
            # The same kind of value, at an edge: odd text, or a huge or special number.
            if isinstance(value, str):
                parent[key] = draw(st.sampled_from(["", value + draw(ODD_TEXT), draw(ODD_TEXT)]))
            else:
                parent[key] = draw(NUMBERS)
        elif op == "retype":
            # The same value, of a type the field does not take.
            parent[key] = draw(st.sampled_from([[value], {"v": value}, str(value), None, 1, 1.5, True]))
        else:
            parent[key] = draw(JSON_VALUES)
    return row


def dumps(row: object) -> str:
    try:
        return json.dumps(row)  # NaN and Infinity as JSON's common extension, as Python writes them
    except ValueError:  # an integer over Python's 4300-digit limit: the text is still worth reading
        return "{" + '"id": ' + "9" * 5000 + "}"


@st.composite
def line_text(draw: st.DrawFn) -> str:
    """One line: a valid row, a mutated row, random JSON, a truncated row, or raw garbage."""
    kind = draw(st.sampled_from(["valid", "mutated", "mutated", "mutated", "json", "truncated", "raw"]))
    if kind == "valid":
        return dumps(TEMPLATES[draw(st.sampled_from(sorted(TEMPLATES)))])
    if kind == "mutated":
        return dumps(draw(mutated_row()))
    if kind == "json":
        return dumps(draw(JSON_VALUES))
    if kind == "truncated":
        text = dumps(draw(mutated_row()))
        return text[: draw(st.integers(0, len(text) - 1))]
    return draw(st.sampled_from(["", "   ", "[", "]", "{", "null", "NaN", "-Infinity", '{"a":1}{"b":2}',
                                 "[1, 2", "9" * 5000, '"\\ud800"', "\x00", "\ufeff{}"]) | TEXT)  # fmt: skip


@st.composite
def file_bytes(draw: st.DrawFn) -> bytes:
    """A whole source file: JSON Lines or one JSON array, maybe gzipped, maybe cut; or garbage."""
    layout = draw(st.sampled_from(["lines", "lines", "lines", "array", "binary"]))
    if layout == "binary":
        return draw(st.binary(max_size=300))
    lines = draw(st.lists(line_text(), min_size=1, max_size=4))
    if layout == "array":
        text = "[\n" + ",\n".join(line or "null" for line in lines) + "\n]\n"
    else:
        text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\r\n"]))
    data = text.encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        data = gzip.compress(data)
    if draw(st.integers(0, 4)) == 0:
        data = data[: draw(st.integers(0, max(0, len(data) - 1)))]
    return data


def assert_names_file_and_line(error: BankFormatError, paths: list[Path]) -> None:
    assert error.path in {str(p) for p in paths}, error
    if error.line is None:
        assert error.reason == "file holds no rows", error  # the one error no line can locate
    else:
        assert error.line >= 1
        assert str(error).startswith(f"{error.path}:{error.line}: "), error


def build_outcome(files: list[bytes]) -> None:
    """Builds a bank from `files`; asserts the outcome is a bank or a well-formed BankFormatError."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        paths = []
        for n, data in enumerate(files):
            path = folder / f"source-{n}.jsonl"
            path.write_bytes(data)
            paths.append(path)
        out = folder / "bank.db"
        error: BankFormatError | None = None
        try:
            report = build_bank(out, paths)
        except BankFormatError as exc:  # any other exception fails the test
            error = exc
        if error is not None:
            assert_names_file_and_line(error, [*paths, out])
            assert not out.exists()
        else:
            store = BankStore.open(out)
            try:
                assert store.count() == report.total_questions > 0
            finally:
                store.close()
        leftovers = sorted(p.name for p in folder.iterdir() if p.name.startswith((".bank", "bank")))
        assert leftovers in ([], ["bank.db"]), leftovers


class TestBankFilesFuzzed:
    """Whatever the files hold, the build ends in a bank or a BankFormatError naming file and line."""

    @FUZZ
    @given(file_bytes())
    def test_one_file(self, data: bytes) -> None:
        build_outcome([data])

    @FUZZ
    @given(st.lists(file_bytes(), min_size=2, max_size=3))
    def test_several_files_joined(self, files: list[bytes]) -> None:
        build_outcome(files)

    @FUZZ
    @given(st.lists(st.sampled_from(sorted(TEMPLATES)), min_size=1, max_size=4), st.data())
    def test_valid_rows_with_one_mutated(self, names: list[str], data: st.DataObject) -> None:
        rows = [dumps(TEMPLATES[name]) for name in names]
        at = data.draw(st.integers(0, len(rows)))
        rows.insert(at, dumps(data.draw(mutated_row())))
        build_outcome(["\n".join(rows).encode("utf-8", errors="surrogatepass")])

    @FUZZ
    @given(st.one_of(mutated_row(), keyed_objects()))
    def test_format_detector(self, row: dict[str, Any]) -> None:
        """Any object: the format its keys identify, by the documented rules, or a RowError saying
        the shape is unrecognised when no rule matches; never another exception."""
        expected = shape_of(row.keys())
        if expected is None:
            with pytest.raises(RowError, match="unrecognised row shape"):
                detect_row_format(row)
        else:
            assert detect_row_format(row) is expected, sorted(row)


TEMPLATE_FORMATS = {
    "native-stdin": RowFormat.NATIVE, "native-call": RowFormat.NATIVE, "native-humaneval": RowFormat.NATIVE,
    "livebench": RowFormat.LIVEBENCH, "livebench-completion": RowFormat.LIVEBENCH,
    "livecodebench": RowFormat.LIVECODEBENCH, "humaneval": RowFormat.HUMANEVAL,
    "leetcode": RowFormat.LEETCODE, "withheld": RowFormat.WITHHELD,
    "native-unittest": RowFormat.NATIVE, "livebench-code-generation": RowFormat.LIVEBENCH,
    "withheld-suite": RowFormat.WITHHELD, "bigcodebench": RowFormat.BIGCODEBENCH,
}  # fmt: skip


def shape_of(keys: Collection[str]) -> RowFormat | None:
    """The README's rules, written out apart from the detector: which format a row's keys name."""
    has = set(keys)
    if "format" in has:
        return RowFormat.NATIVE
    if has in ({"question_id", "private_test_cases"}, {"question_id", "tests"}):
        return RowFormat.WITHHELD
    if {"task_id", "entry_point", "input_output"} <= has:
        return RowFormat.LEETCODE
    if {"task_id", "complete_prompt", "instruct_prompt", "code_prompt", "test", "entry_point"} <= has:
        return RowFormat.BIGCODEBENCH
    if {"task_id", "test"} <= has:
        return RowFormat.HUMANEVAL
    if "question_id" in has and has & {"turns", "original_json"}:
        return RowFormat.LIVEBENCH
    if {"question_id", "question_content"} <= has:
        return RowFormat.LIVECODEBENCH
    return None


@pytest.mark.parametrize("name", sorted(TEMPLATES))
def test_each_shape_detected(name: str) -> None:
    """Each valid row of every supported shape is detected as that shape."""
    assert detect_row_format(TEMPLATES[name]) is TEMPLATE_FORMATS[name]


def _json_text_paths(row: dict[str, Any]) -> list[tuple[str, tuple[Any, ...]]]:
    """Places inside the fields that hold JSON as text (LiveBench's test lists, metadata)."""
    found = []
    for key, value in row.items():
        if isinstance(value, str) and value[:1] in "[{":
            with contextlib.suppress(ValueError):
                found += [(key, inner) for inner in _paths(json.loads(value))]
    return found


def every_field_mistyped(template: dict[str, Any]) -> list[dict[str, Any]]:
    """The template with each field, in turn, deleted or set to each edge value — also inside the
    fields holding JSON as text."""
    rows = []
    for path in _paths(template):
        for value in [*EDGE_VALUES, KeyError]:
            row = copy.deepcopy(template)
            parent = _parent(row, path)
            if value is KeyError:
                if isinstance(parent, dict):
                    del parent[path[-1]]
                    rows.append(row)
                continue
            parent[path[-1]] = value
            rows.append(row)
    for key, path in _json_text_paths(template):
        for value in EDGE_VALUES:
            row = copy.deepcopy(template)
            inner = json.loads(row[key])
            _parent(inner, path)[path[-1]] = value
            row[key] = dumps(inner)
            rows.append(row)
    return rows


def read_evalplus(path: Path, test_set: TestSet) -> None:
    """Reads an EvalPlus file as `grader bank build` does before the reference run; asserts the
    outcome is tasks with tests or a well-formed BankFormatError."""
    error: BankFormatError | None = None
    try:
        if is_evalplus_file(path):
            tasks = read_reference_tasks(path, test_set)
            assert all(task.question.tests for task, _ in tasks)
    except BankFormatError as exc:  # any other exception fails the test
        error = exc
    if error is not None:
        assert_names_file_and_line(error, [path])


class TestEveryFieldMistyped:
    """Systematically, not by chance: every field of every shape, each edge value in turn."""

    @pytest.mark.parametrize("name", sorted(TEMPLATES))
    def test_template(self, name: str) -> None:
        for row in every_field_mistyped(TEMPLATES[name]):
            build_outcome([dumps(row).encode("utf-8", errors="surrogatepass")])

    def test_evalplus(self, tmp_path: Path) -> None:
        path = tmp_path / "evalplus.jsonl"
        for row in every_field_mistyped(EVALPLUS_TEMPLATE):
            path.write_text(dumps(row), encoding="utf-8", errors="surrogatepass")
            for test_set in TestSet:
                read_evalplus(path, test_set)


class TestEvalPlusFilesFuzzed:
    """EvalPlus files (read before their reference run) fail only with a BankFormatError too."""

    @FUZZ
    @given(st.lists(mutated_row(EVALPLUS_TEMPLATE), min_size=1, max_size=3), st.sampled_from(list(TestSet)))
    def test_mutated_rows(self, rows: list[dict[str, Any]], test_set: TestSet) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "evalplus.jsonl"
            path.write_text("\n".join(dumps(r) for r in rows), encoding="utf-8", errors="surrogatepass")
            read_evalplus(path, test_set)
