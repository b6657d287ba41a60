"""LeetCodeDataset rows: detection, safe parsing of keyword-argument inputs and outputs, the
questions they make, and the published v0.3.1-test file (read from ../shared)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from grader.bank.formats import RowFormat, detect_row_format, read_bank_file
from grader.bank.formats.common import RowError
from grader.bank.formats.leetcode import (
    KWARGS_MARKER,
    NonFiniteError,
    SkippedTests,
    is_recorded_failure,
    kwargs_input,
    parse_kwargs,
    parse_leetcode,
    parse_output,
    read_leetcode_row,
)
from grader.bank.model import BankFormatError, CheckerName, CheckerSpec, Prelude, QuestionKind
from tests.support.datasets import SHARED_DATASETS

DATASETS = SHARED_DATASETS
LEETCODE = DATASETS / "leetcode" / "LeetCodeDataset-v0.3.1-test.jsonl.gz"
HUMANEVAL = DATASETS / "humaneval" / "HumanEval.jsonl"

HEADER = "from typing import *\n\ninf = float('inf')\n"
TREE_HEADER = """from typing import *
from collections import deque

class TreeNode:
    def __init__(self, val=0, left=None, right=None):
        self.val, self.left, self.right = val, left, right

def tree_node(values: list):
    if not values:
        return None
    root = TreeNode(values[0])
    queue, i = deque([root]), 1
    while queue:
        node = queue.popleft()
        if i < len(values) and values[i] is not None:
            node.left = TreeNode(values[i])
            queue.append(node.left)
        i += 1
        if i < len(values) and values[i] is not None:
            node.right = TreeNode(values[i])
            queue.append(node.right)
        i += 1
    return root
"""


def leetcode_row(
    tests: list[tuple[str, str]] | None = None,
    *,
    signature: str = "self, n: int, queries: List[List[int]]) -> List[int]",
    method: str = "solve",
    **fields: Any,
) -> dict[str, Any]:
    """A row in LeetCodeDataset's shape (every published field)."""
    starter = f"class Solution:\n    def {method}({signature}:\n        "
    tests = (
        tests if tests is not None else [("n = 3, queries = [[0,2]]", "[1]"), ("n = 2, queries = []", "[]")]
    )
    row: dict[str, Any] = {
        "task_id": "some-problem",
        "question_id": 3243,
        "difficulty": "Medium",
        "tags": ["Array"],
        "problem_description": "Solve it.",
        "starter_code": starter,
        "estimated_date": "2024-08-04",
        "prompt": HEADER,
        "completion": starter.rstrip() + "\n        return []\n",
        "entry_point": f"Solution().{method}",
        "test": "def check(candidate):\n    assert candidate(n = 3, queries = [[0, 2]]) == [1]\n",
        "input_output": [{"input": i, "output": o} for i, o in tests],
        "query": "You are an expert Python programmer...",
        "response": "```python\n...\n```",
    }
    row.update(fields)
    return row


def write_rows(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def published_rows() -> list[dict[str, Any]]:
    with gzip.open(LEETCODE, "rt", encoding="utf-8") as stream:
        return [json.loads(line) for line in stream if line.strip()]


class TestDetection:
    def test_leetcode_rows_are_not_humaneval_rows(self) -> None:
        """LeetCode rows carry HumanEval's task_id/prompt/entry_point/test too; input_output decides."""
        assert detect_row_format(leetcode_row()) is RowFormat.LEETCODE
        assert detect_row_format(published_rows()[0]) is RowFormat.LEETCODE
        humaneval = json.loads(HUMANEVAL.read_text().splitlines()[0])
        assert detect_row_format(humaneval) is RowFormat.HUMANEVAL

    def test_minimal_shape(self) -> None:
        """task_id + entry_point + input_output is enough to be read as LeetCode (and then checked)."""
        row = {"task_id": "x", "entry_point": "Solution().f", "input_output": []}
        assert detect_row_format(row) is RowFormat.LEETCODE
        with pytest.raises(RowError, match="'prompt'"):
            parse_leetcode(row)


class TestKeywordInputs:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("n = 7, queries = [[0,5],[1,6],[2,4]]", {"n": 7, "queries": [[0, 5], [1, 6], [2, 4]]}),
            ('s = "a=b, c=d", k = 2', {"s": "a=b, c=d", "k": 2}),
            ("s = 'it''s', t = \"x, y = 1\"", {"s": "its", "t": "x, y = 1"}),
            ("nums = [-1, -20, 3], k = -5", {"nums": [-1, -20, 3], "k": -5}),
            ("a = True, b = False, c = None", {"a": True, "b": False, "c": None}),
            (
                "root = [1,null,2], flag = true, off = false",
                {"root": [1, None, 2], "flag": True, "off": False},
            ),
            ("pairs = [(1, 2), (3, 4)]", {"pairs": [[1, 2], [3, 4]]}),
            ("rates = [0.5, 1e3, -2.25]", {"rates": [0.5, 1000.0, -2.25]}),
            ("words = [['ab','c'],[]]", {"words": [["ab", "c"], []]}),
            ("m = {'a': [1, {'b': 2}]}", {"m": {"a": [1, {"b": 2}]}}),
            ("big = " + "9" * 1000, {"big": int("9" * 1000)}),
            ("", {}),
            ("  x = 1 ,\n y = 2  ", {"x": 1, "y": 2}),
        ],
    )
    def test_parsed_as_literals(self, text: str, expected: dict[str, Any]) -> None:
        assert parse_kwargs(text) == expected

    def test_stored_in_the_runners_keyword_form(self) -> None:
        """The marker line, then one JSON object (what grader/runner/child.py reads)."""
        text = kwargs_input(parse_kwargs('n = 7, s = "a\\nb", ok = true'))
        marker, body = text.split("\n")
        assert marker == KWARGS_MARKER == "#kwargs"
        assert json.loads(body) == {"n": 7, "s": "a\nb", "ok": True}

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("nums = [1] * 100000", "argument 'nums': not a literal value"),
            ("nums = [i for i in range(5)]", "argument 'nums': not a literal value"),
            ("l = 10 - 1", "argument 'l': not a literal value"),
            ("x = open('/tmp/grader-leetcode-pwned', 'w')", "argument 'x': not a literal value"),
            ("x = __import__('os').system('touch /tmp/grader-leetcode-pwned')", "not a literal"),
            ("x = undefined_name", "argument 'x': not a literal value"),
            ("nums = [1, 2, 000111]", "not keyword arguments"),
            ("7, queries = []", "only keyword arguments"),
            ("7", "only keyword arguments"),
            ("**{'n': 1}", "only keyword arguments"),
            ("n = 1), print(2", "not keyword arguments"),
            ("n = 1)(m = 2", "not keyword arguments"),
            ("n = 1\n)\nimport os\nf(m = 2", "not keyword arguments"),
            ("n = ", "not keyword arguments"),
            ("s = {1, 2}", "argument 's': a set has no JSON form"),
            ("b = b'x'", "argument 'b': a bytes has no JSON form"),
            ("z = 1j", "argument 'z': a complex has no JSON form"),
            ("m = {1: 2}", "argument 'm': a dict with non-string keys"),
            ("x = inf", "argument 'x': a non-finite number"),
            ("x = [1, -inf]", "argument 'x': a non-finite number"),
        ],
    )
    def test_rejected_without_evaluating(self, text: str, reason: str) -> None:
        """Anything but keyword arguments with literal values is an error; nothing is executed."""
        pwned = Path("/tmp/grader-leetcode-pwned")
        pwned.unlink(missing_ok=True)
        with pytest.raises(RowError, match=reason):
            parse_kwargs(text)
        assert not pwned.exists()

    def test_deep_nesting_is_an_error_not_a_crash(self) -> None:
        with pytest.raises(RowError):
            parse_kwargs("x = " + "[" * 100_000 + "]" * 100_000)


class TestOutputs:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("[2, 2, 2]", [2, 2, 2]),
            ("True", True),
            ("False", False),
            ("-17", -17),
            ("2.4166666666666665", 2.4166666666666665),
            ("[['a', 'b'], ['c']]", [["a", "b"], ["c"]]),
            ("(1, 2)", [1, 2]),
            ("None", None),
            ("'quoted'", "quoted"),
            ("1" + "0" * 400, 10**400),
        ],
    )
    def test_literals_become_json(self, text: str, expected: object) -> None:
        assert json.loads(parse_output(text, returns_text=False)) == expected

    @pytest.mark.parametrize("text", ["abc", "", "123", "True", "[1, 2]", "11110011110-110-11110", " a b "])
    def test_str_methods_take_the_text_itself(self, text: str) -> None:
        """The dataset writes a ``-> str`` method's answers unquoted: the text is the string."""
        assert json.loads(parse_output(text, returns_text=True)) == text

    @pytest.mark.parametrize("text", ["inf", "-inf", "nan", "[1, inf]"])
    def test_non_finite_values_are_flagged(self, text: str) -> None:
        with pytest.raises(NonFiniteError):
            parse_output(text, returns_text=False)

    @pytest.mark.parametrize(
        ("text", "reason"),
        [
            ("abc", "not a literal value"),
            ("{1, 2}", "a set has no JSON form"),
            ("[1] * 3", "not a literal value"),
            ("", "not a literal value"),
        ],
    )
    def test_bad_outputs_are_errors(self, text: str, reason: str) -> None:
        with pytest.raises(RowError, match=reason):
            parse_output(text, returns_text=False)

    @pytest.mark.parametrize(
        ("text", "failure"),
        [
            ("Error: list index out of range", True),
            ("Error: Solution.f() missing 1 required positional argument: 'nums'", True),
            ("Execution timed out", True),
            ("Error:", False),
            ("Errors: 3", False),
            ("[1, 2]", False),
        ],
    )
    def test_recorded_failures(self, text: str, failure: bool) -> None:
        assert is_recorded_failure(text) is failure


class TestQuestions:
    def test_fields(self) -> None:
        """A CALL question: the method name, the row's prompt (header), JSON checker, no prelude."""
        q = parse_leetcode(leetcode_row(estimated_date="2024-08-04 12:30:00", task_id="a-b-c"))
        info = q.info
        assert (info.id, info.title, info.kind) == ("a-b-c", "a-b-c", QuestionKind.CALL)
        assert info.entry_point == "solve"
        assert info.prompt == HEADER
        assert info.starter_code.startswith("class Solution:\n    def solve(")
        assert info.release_date == "2024-08-04"
        assert info.prelude is Prelude.NONE
        assert info.checker == CheckerSpec(CheckerName.JSON)
        assert info.source == "leetcode"
        assert [t.public for t in q.tests] == [True, False]
        assert (info.num_public_tests, info.num_private_tests) == (1, 1)
        assert q.tests[0].input == '#kwargs\n{"n": 3, "queries": [[0, 2]]}'
        assert q.tests[0].output == "[1]"

    def test_float_methods_get_leetcodes_tolerance(self) -> None:
        row = leetcode_row([("x = 1.5", "2.25")], signature="self, x: float) -> float")
        assert parse_leetcode(row).info.checker == CheckerSpec(CheckerName.FLOAT, abs_tol=1e-5, rel_tol=1e-5)

    def test_str_method_outputs_are_unquoted_text(self) -> None:
        row = leetcode_row([("k = 5", "123"), ("k = 1", "")], signature="self, k: int) -> str")
        assert [t.output for t in parse_leetcode(row).tests] == ['"123"', '""']

    def test_recorded_failures_and_infinities_are_skipped_and_counted(self) -> None:
        """The first usable test is the public one."""
        tests = [
            ("nums = [1] * 100000", "Error: Solution.f() missing 1 required positional argument: 'nums'"),
            ("nums = [1]", "Execution timed out"),
            ("nums = [1, 2]", "-inf"),
            ("nums = [3]", "3"),
            ("nums = [4]", "4"),
        ]
        result = read_leetcode_row(leetcode_row(tests, signature="self, nums: List[int]) -> int"))
        assert result.skipped == SkippedTests(reference_failed=2, non_finite=1)
        assert result.skipped.total == 3
        assert [(t.output, t.public) for t in result.question.tests] == [("3", True), ("4", False)]

    def test_no_usable_test_is_an_error(self) -> None:
        row = leetcode_row(
            [("n = 1", "Execution timed out"), ("n = 2", "inf")], signature="self, n: int) -> int"
        )
        with pytest.raises(RowError, match="no usable test"):
            parse_leetcode(row)

    def test_error_names_file_line_and_test_but_not_the_data(self, tmp_path: Path) -> None:
        """A non-literal argument in a test with an answer fails the build: file, line, test number."""
        bad = leetcode_row(
            [
                ("n = 1, queries = []", "[]"),
                ("n = 2, queries = []", "[]"),
                ("n = 3, queries = HIDDEN_X", "[7]"),
            ],
            task_id="bad-one",
        )
        path = write_rows(tmp_path / "lc.jsonl", [leetcode_row(), bad])
        with pytest.raises(BankFormatError) as info:
            list(read_bank_file(path))
        assert info.value.line == 2
        assert str(info.value).startswith(f"{path}:2: ")
        assert "input_output: test 3: input: argument 'queries': not a literal value" in info.value.reason
        assert "HIDDEN_X" not in str(info.value)

    def test_unparseable_output_names_the_test(self, tmp_path: Path) -> None:
        row = leetcode_row([("n = 1, queries = []", "[1, 2"), ("n = 1, queries = []", "[]")])
        with pytest.raises(
            BankFormatError, match=r"lc\.jsonl:1: input_output: test 1: output: not a literal"
        ):
            list(read_bank_file(write_rows(tmp_path / "lc.jsonl", [row])))

    @pytest.mark.parametrize(
        ("fields", "reason"),
        [
            ({"entry_point": "solve"}, "expected 'Solution\\(\\).<method>'"),
            ({"entry_point": "Solution().other"}, "no method 'other' in class Solution"),
            ({"input_output": "[]"}, "expected a list of tests"),
            ({"input_output": [{"input": "n = 1"}]}, "test 1: field 'output' missing"),
            ({"input_output": ["n = 1"]}, "test 1: not a JSON object"),
            ({"estimated_date": "someday"}, "estimated_date: not an ISO date"),
            ({"prompt": ""}, "field 'prompt': must not be empty"),
        ],
    )
    def test_malformed_rows(self, fields: dict[str, Any], reason: str) -> None:
        with pytest.raises(RowError, match=reason):
            parse_leetcode(leetcode_row(**fields))

    def test_signature_from_the_reference_when_the_starter_lacks_it(self) -> None:
        """The return type decides how outputs read; the reference completion is the fallback."""
        row = leetcode_row([("k = 1", "abc")], signature="self, k: int) -> str", starter_code="")
        assert parse_leetcode(row).tests[0].output == '"abc"'


class TestTreeAndListArguments:
    def tree_row(self, **fields: Any) -> dict[str, Any]:
        completion = (
            "class Solution:\n"
            "    def depth(self, root: Optional[TreeNode], k: int) -> int:\n"
            "        if root is None:\n"
            "            return 0\n"
            "        return k * (1 + max(self.depth(root.left, 1), self.depth(root.right, 1)))\n"
        )
        return leetcode_row(
            [("root = [1,2,null,3], k = 2", "6"), ("root = [], k = 5", "0")],
            signature="self, root: Optional[TreeNode], k: int) -> int",
            method="depth",
            prompt=TREE_HEADER,
            completion=completion,
            **fields,
        )

    def test_adapter_builds_the_nodes_in_the_sandbox(self) -> None:
        """The prompt gets a function that builds the tree, then calls the method; it is the entry."""
        row = self.tree_row()
        q = parse_leetcode(row)
        assert q.info.entry_point == "grader_call_depth"
        assert q.info.prompt.startswith(TREE_HEADER)
        assert "def grader_call_depth(root, k):" in q.info.prompt
        assert q.tests[0].input == '#kwargs\n{"root": [1, 2, null, 3], "k": 2}'
        # What the runner does inside the sandbox, here with our own trusted code.
        namespace: dict[str, Any] = {}
        exec(q.info.prompt + row["completion"], namespace)  # noqa: S102
        for test in q.tests:
            kwargs = json.loads(test.input.split("\n", 1)[1])
            assert namespace[q.info.entry_point](**kwargs) == json.loads(test.output)

    def test_list_of_linked_lists(self) -> None:
        row = leetcode_row(
            [("lists = [[1,2],[3]]", "3")],
            signature="self, lists: List[Optional[ListNode]]) -> int",
            prompt=HEADER + "class ListNode: ...\ndef list_node(values: list):\n    return values\n",
        )
        assert "Solution().solve(lists=[list_node(v) for v in lists])" in parse_leetcode(row).info.prompt

    @pytest.mark.parametrize(
        ("fields", "reason"),
        [
            (
                {"signature": "self, root: Optional[TreeNode]) -> Optional[TreeNode]"},
                "returns a tree/list node",
            ),
            ({"signature": "self, root: Dict[int, TreeNode]) -> int"}, "annotation is not supported"),
            ({"prompt": HEADER}, "does not define tree_node"),
        ],
    )
    def test_unsupported(self, fields: dict[str, Any], reason: str) -> None:
        row = self.tree_row()
        if "signature" in fields:
            row["starter_code"] = f"class Solution:\n    def depth({fields.pop('signature')}:\n        "
            row["completion"] = ""
        row.update(fields)
        with pytest.raises(RowError, match=reason):
            parse_leetcode(row)


class TestPublishedDataset:
    """LeetCodeDataset v0.3.1-test: 228 rows -> 228 questions, 23,129 tests."""

    def test_every_row_imports(self) -> None:
        questions = list(read_bank_file(LEETCODE))
        assert len(questions) == 228
        assert len({q.info.id for q in questions}) == 228
        assert sum(len(q.tests) for q in questions) == 23129
        assert all(q.tests[0].public and not any(t.public for t in q.tests[1:]) for q in questions)
        assert all(q.info.kind is QuestionKind.CALL and q.info.source == "leetcode" for q in questions)
        assert all(t.input.startswith("#kwargs\n") for q in questions for t in q.tests)
        first = questions[0]
        assert first.info.id == "shortest-distance-after-road-addition-queries-i"
        assert first.info.entry_point == "shortestDistanceAfterQueries"
        assert first.info.release_date == "2024-08-04"
        assert first.tests[0].input == '#kwargs\n{"n": 7, "queries": [[0, 5], [1, 6], [2, 4]]}'
        assert first.tests[0].output == "[2, 2, 2]"
        floats = sorted(q.info.id for q in questions if q.info.checker.name is CheckerName.FLOAT)
        assert floats == [
            "maximize-amount-after-two-days-of-conversions",
            "separate-squares-i",
            "separate-squares-ii",
        ]
        adapted = [q.info.id for q in questions if q.info.entry_point.startswith("grader_call_")]
        assert adapted == ["k-th-largest-perfect-subtree-size-in-binary-tree"]

    def test_skipped_tests(self) -> None:
        """Of 24,246 tests, 1,012 record the reference failing and 105 expect an infinity."""
        rows = published_rows()
        results = [read_leetcode_row(row) for row in rows]
        assert sum(len(r["input_output"]) for r in rows) == 24246
        assert sum(r.skipped.reference_failed for r in results) == 1012
        assert sum(r.skipped.non_finite for r in results) == 105
        assert min(len(r.question.tests) for r in results) == 1
