"""Source rows of the bank's formats, as the datasets spell them, for the bank tests to vary."""

from __future__ import annotations

import base64
import json
import pickle
import zlib
from typing import Any


def compress(value: object) -> str:
    """LiveCodeBench's encoding: base64(zlib(pickle protocol 4 of the JSON text))."""
    text = value if isinstance(value, str) else json.dumps(value)
    return base64.b64encode(zlib.compress(pickle.dumps(text, protocol=4))).decode("ascii")


def lcb_test(inp: str, out: str, testtype: str = "stdin") -> dict[str, str]:
    return {"input": inp, "output": out, "testtype": testtype}


def livebench_call_row(**changes: Any) -> dict[str, Any]:
    """A LiveBench LCB_generation row for a LeetCode (call-based) question."""
    row: dict[str, Any] = {
        "question_id": "a3f1" * 16,
        "category": "coding",
        "task": "LCB_generation",
        "turns": ["Write maximumStrongPairXor."],
        "question_title": "maximum-strong-pair-xor-i",
        "public_test_cases": json.dumps([lcb_test("[1, 2, 3, 4, 5]", "7", "functional")]),
        "private_test_cases": compress(
            [lcb_test("[10, 100]", "0", "functional"), lcb_test("[5, 6, 25, 30]", "7", "functional")]
        ),
        "original_json": {
            "question_title": "maximum-strong-pair-xor-i",
            "question_content": "...",
            "platform": "leetcode",
            "question_id": "3193",
            "contest_id": "weekly-contest-371",
            "contest_date": "2023-11-12T00:00:00",
            "starter_code": "class Solution:\n    def maximumStrongPairXor(self, nums: List[int]) -> int:\n",
            "difficulty": "easy",
            "metadata": '{"func_name": "maximumStrongPairXor"}',
        },
        "release_date": 1719187200000,
        "livebench_release_date": "2024-06-24",
        "livebench_removal_date": "",
    }
    row.update(changes)
    return row


def livebench_completion_row(**changes: Any) -> dict[str, Any]:
    """A LiveBench coding_completion row for a stdin program, original_json as a string."""
    original = {
        "question_title": "A. Short Sort",
        "question_content": "...",
        "platform": "codeforces",
        "question_id": "1873_A",
        "contest_id": "1873",
        "contest_date": "2023-08-21T00:00:00",
        "starter_code": "",
        "difficulty": "easy",
        "metadata": "{}",
    }
    row: dict[str, Any] = {
        "question_id": "b7c2" * 16,
        "category": "coding",
        "task": "coding_completion",
        "turns": ["Complete the program."],
        "question_title": "A. Short Sort",
        "public_test_cases": json.dumps([lcb_test("1\nabc\n", "YES\n")]),
        "private_test_cases": json.dumps([lcb_test("1\nbca\n", "NO\n"), lcb_test("1\nacb\n", "YES\n")]),
        "original_json": json.dumps(original),
        "release_date": "2024-07-26T00:00:00",
        "partial_solution": "import sys\n",
    }
    row.update(changes)
    return row


def native_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "format": "grader.v1",
        "id": "demo/sum-pairs",
        "title": "Sum of pairs",
        "kind": "stdin",
        "prompt": "Read N pairs.",
        "tests": [
            {"input": "1\n1 2\n", "output": "3\n", "public": True},
            {"input": "1\n3 4\n", "output": "7\n", "public": False},
        ],
    }
    row.update(changes)
    return row


# A BigCodeBench-style task, small: its suite inherits a method, has helpers that are not tests,
# and lists its methods out of name order.
SUITE = """import unittest

class _Shared(unittest.TestCase):
    def test_shared_zero(self):
        self.assertEqual(task_func([]), 0)

class TestCases(_Shared):
    def setUp(self):
        self.data = [3, 1, 2]

    def helper(self):
        return sorted(self.data)

    def test_sum_b(self):
        self.assertEqual(task_func(self.data), 6)

    def test_sum_a_negative(self):
        self.assertEqual(task_func([-1, 1]), 0)
"""
SUITE_METHODS = ("test_shared_zero", "test_sum_a_negative", "test_sum_b")
"""The suite's test methods in unittest's loader order (sorted by name)."""
CODE_PROMPT = "import numpy as np\ndef task_func(values):\n"
DOCSTRING = '    """Sum the values.\n\n    >>> task_func([1, 2])\n    3\n    """\n'
SOLUTION_HEAD = "    total = 0\n    for v in values:\n"
SOLUTION_TAIL = "        total += v\n    return int(total)\n"


def bigcodebench_row(**changes: Any) -> dict[str, Any]:
    """A BigCodeBench v0.1.0 row, as the dataset spells it."""
    row: dict[str, Any] = {
        "task_id": "BigCodeBench/9001",
        "complete_prompt": CODE_PROMPT + DOCSTRING,
        "instruct_prompt": "Sum the values.\nYou should write self-contained code starting with:\n"
        f"```\n{CODE_PROMPT}```",
        "canonical_solution": SOLUTION_HEAD + SOLUTION_TAIL,
        "code_prompt": CODE_PROMPT,
        "test": SUITE,
        "entry_point": "task_func",
        "doc_struct": '{"description": ["Sum the values."]}',
        "libs": "['numpy']",
    }
    row.update(changes)
    return row


def livebench_generation_row(**changes: Any) -> dict[str, Any]:
    """A LiveBench code_generation row made from the BigCodeBench task as LiveBench makes them."""
    row: dict[str, Any] = {
        "question_id": "c9d3" * 16,
        "category": "coding",
        "task": "code_generation",
        "turns": [bigcodebench_row()["instruct_prompt"]],
        "question_title": "BigCodeBench/9001",
        "tests": SUITE,
        "entry_point": "task_func",
        "code_prompt": CODE_PROMPT,
        "expected_time": 2.5,
        "ground_truth": CODE_PROMPT + SOLUTION_HEAD + SOLUTION_TAIL,
        "release_date": "2025-04-25",
        "livebench_release_date": "2025-04-25",
        "livebench_removal_date": "",
    }
    row.update(changes)
    return row


def livebench_code_completion_row(**changes: Any) -> dict[str, Any]:
    """A LiveBench code_completion row: partial_solution a prefix of the reference (ground_truth),
    remainder the rest, as LiveBench's scripts make them."""
    row = livebench_generation_row(
        question_id="d4e5" * 16,
        task="code_completion",
        turns=["Complete the function.\n```python\n" + CODE_PROMPT + SOLUTION_HEAD + "```"],
        partial_solution=CODE_PROMPT + SOLUTION_HEAD,
        remainder=SOLUTION_TAIL,
    )
    row.update(changes)
    return row


def native_unittest_row(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "format": "grader.v1",
        "id": "demo/sum-suite",
        "title": "Sum with a suite",
        "kind": "unittest",
        "prompt": "Sum the values.",
        "entry_point": "task_func",
        "code_prompt": "def task_func(values):\n",
        "suite": SUITE,
        "reference": "def task_func(values):\n    return sum(values)\n",
    }
    row.update(changes)
    return row
