"""The integration bank's own questions, besides the demo bank's: a stdin and a call question, one of
whose private tests carries distinctive strings that no response, error or log line may contain."""

from __future__ import annotations

# Distinctive private data: no response, error or log line may ever contain these strings.
SECRET_INPUT = "918273645 564738291\n"
SECRET_OUTPUT = "1483011936\n"

EXTRA_QUESTIONS: list[dict[str, object]] = [
    {
        "format": "grader.v1",
        "id": "it/add",
        "title": "Add two numbers",
        "kind": "stdin",
        "prompt": "Print a+b.",
        "release_date": "2026-03-01",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [
            {"input": "1 2\n", "output": "3\n", "public": True},
            {"input": "10 20\n", "output": "30\n", "public": False},
            {"input": SECRET_INPUT, "output": SECRET_OUTPUT, "public": False},
            {"input": "-5 5\n", "output": "0\n", "public": False},
        ],
    },
    {
        "format": "grader.v1",
        "id": "it/twice",
        "title": "Twice",
        "kind": "call",
        "entry_point": "twice",
        "starter_code": "class Solution:\n    def twice(self, x: int) -> int:\n        pass\n",
        "release_date": "2026-04-01",
        "prelude": "lcb",
        "limits": {"time_s": 2, "memory_mb": 256},
        "tests": [
            {"input": "2", "output": "4", "public": True},
            {"input": "21", "output": "42", "public": False},
        ],
    },
]
