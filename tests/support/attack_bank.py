"""The attack suite's bank: every private expected output is MARKER- and 16 hex digits of its input's
SHA-256, so a correct solution computes it and an attack finds it only where it can read it; one
question per program kind, batching, limit and checker an attack aims at."""

from __future__ import annotations

import hashlib

# The secret: every private expected output below starts with this prefix followed by 16 hex digits.
# The inputs never contain it: the answer is PREFIX + sha256(input)[:16], which a correct solution
# computes and an attack can only find if the expected output is somewhere it can read.
PREFIX = "MARKER-"
SECRET_INPUTS = ("zebra-one\n", "zebra-two\n")


def answer(text: str) -> str:
    return PREFIX + hashlib.sha256(text.strip().encode()).hexdigest()[:16]


SECRETS = tuple(answer(t) for t in SECRET_INPUTS)
PUBLIC_INPUT = "public-key\n"
BATCH_INPUTS = ("alpha", "beta", "gamma", "delta", "epsilon")
# Searched for by attacks: built so that the searching code itself never contains a match.
SECRET_PATTERN = 'rb"MARK" + rb"ER-[0-9a-f]{16}"'

JUDGE_TEXT_CHECKERS = ("lcb", "tokens", "float", "exact")

# The call questions' tests: the public input's, and the secret inputs' (private).
PUBLIC_CALL_TEST = {
    "input": f'"{PUBLIC_INPUT.strip()}"',
    "output": f'"{answer(PUBLIC_INPUT)}"',
    "public": True,
}
SECRET_CALL_TESTS = [
    {"input": f'"{t.strip()}"', "output": f'"{answer(t)}"', "public": False} for t in SECRET_INPUTS
]

QUESTIONS: list[dict[str, object]] = [
    {
        "format": "grader.v1", "id": "sec/stdin", "title": "Marker of a line", "kind": "stdin",
        "prompt": "Print MARKER- followed by the first 16 hex digits of the SHA-256 of the line.",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": PUBLIC_INPUT, "output": answer(PUBLIC_INPUT) + "\n", "public": True},
                  *({"input": t, "output": answer(t) + "\n", "public": False} for t in SECRET_INPUTS)],
    },
    {
        "format": "grader.v1", "id": "sec/call", "title": "Marker of a string", "kind": "call",
        "entry_point": "marker", "prelude": "lcb",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [PUBLIC_CALL_TEST, *SECRET_CALL_TESTS],
    },
    # EvalPlus's way: the checker `evalplus` runs a process per batch of inputs, not per test.
    {
        "format": "grader.v1", "id": "sec/batched", "title": "Marker of a string, batched",
        "kind": "call", "entry_point": "marker", "checker": "evalplus",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [PUBLIC_CALL_TEST, *SECRET_CALL_TESTS],
    },
    # EvalPlus-style: checked with EvalPlus's rule, so its inputs run in batches (one process for
    # many inputs). Besides the public and the secret inputs, five more, so that a batch is long.
    {
        "format": "grader.v1", "id": "sec/batch", "title": "Markers of strings", "kind": "call",
        "entry_point": "marker", "checker": "evalplus",
        "limits": {"time_s": 1, "memory_mb": 256, "output_mb": 1},
        "tests": [PUBLIC_CALL_TEST,
                  *({"input": f'"{t}"', "output": f'"{answer(t)}"', "public": True} for t in BATCH_INPUTS),
                  *SECRET_CALL_TESTS],
    },
    # A batched question whose memory limit is below the pooled container's (the pool's default
    # is 1 GiB; a question's limit is often less): what the question's limit means in a batch.
    {
        "format": "grader.v1", "id": "sec/batch-small", "title": "Markers of strings, 64 MiB",
        "kind": "call", "entry_point": "marker", "checker": "evalplus",
        "limits": {"time_s": 1, "memory_mb": 64, "output_mb": 1},
        "tests": [PUBLIC_CALL_TEST, *SECRET_CALL_TESTS],
    },
    # The same, one process per test (json checker): the control for sec/batch-small.
    {
        "format": "grader.v1", "id": "sec/call-small", "title": "Marker of a string, 64 MiB",
        "kind": "call", "entry_point": "marker",
        "limits": {"time_s": 1, "memory_mb": 64, "output_mb": 1},
        "tests": [PUBLIC_CALL_TEST, *SECRET_CALL_TESTS],
    },
    # The default output limit (16 MiB), for answers of the largest size a result may carry.
    {
        "format": "grader.v1", "id": "sec/big", "title": "Marker of a string, big limit", "kind": "call",
        "entry_point": "marker",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 16},
        "tests": [PUBLIC_CALL_TEST],
    },
    # An attack that is run for what it finds prints SAFE when every attempt was refused; anything
    # else (BREACH and what it reached, or a crash) fails the test, with the output in the detail.
    # Probes make thousands of system calls (filling every writable place, 4096 shm segments),
    # which gVisor makes slow on a loaded machine: they get more CPU time than the attacks.
    {
        "format": "grader.v1", "id": "sec/probe", "title": "Probe", "kind": "stdin",
        "limits": {"time_s": 8, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": "", "output": "SAFE\n", "public": True}],
    },
    # One question per checker, for hostile answers to the judge (test_judge.py): the expected
    # answer is small, the output limit large enough for a 16 MiB line of numbers.
    *({"format": "grader.v1", "id": f"sec/judge-{checker}", "title": f"Judge {checker}", "kind": "stdin",
       "checker": checker, "limits": {"time_s": 4, "memory_mb": 256, "output_mb": 16},
       "tests": [{"input": "", "output": "1 2 3\n", "public": True},
                 {"input": "", "output": "1 2 3\n", "public": False}]}
      for checker in JUDGE_TEXT_CHECKERS),
    *({"format": "grader.v1", "id": f"sec/judge-{checker}", "title": f"Judge {checker}", "kind": "call",
       "entry_point": "f", "checker": checker, "limits": {"time_s": 4, "memory_mb": 256, "output_mb": 16},
       "tests": [{"input": "3", "output": "[1.0, 2.0, 3.0]", "public": True},
                 {"input": "3", "output": "[1.0, 2.0, 3.0]", "public": False}]}
      for checker in ("json", "evalplus")),
    {
        # p(x) = x - 2: the one root is 2.
        "format": "grader.v1", "id": "sec/judge-poly_root", "title": "Judge poly_root", "kind": "call",
        "entry_point": "f", "checker": "poly_root",
        "limits": {"time_s": 4, "memory_mb": 256, "output_mb": 16},
        "tests": [{"input": "[-2, 1]", "output": "2.0", "public": True},
                  {"input": "[-2, 1]", "output": "2.0", "public": False}],
    },
    # A unittest suite (BigCodeBench / LiveBench code_generation): its assertions hold the secret
    # markers, its method names are private too; the suite runs in the candidate's process.
    {
        "format": "grader.v1", "id": "sec/suite", "title": "Markers by a suite", "kind": "unittest",
        "entry_point": "task_func", "code_prompt": "import hashlib\ndef task_func(s):\n",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "suite": "import unittest\nclass TestCases(unittest.TestCase):\n" + "".join(
            f"    def test_{name}_secret_method(self):\n"
            f"        self.assertEqual(task_func({t.strip()!r}), {answer(t)!r})\n"
            for name, t in (("first", SECRET_INPUTS[0]), ("second", SECRET_INPUTS[1]))
        ),
    },
]  # fmt: skip

SUITE_METHOD_WORD = "secret_method"
"""In every method name of sec/suite: a response or a log line that holds it leaked the suite."""
CORRECT_SUITE = "    return 'MARK' + 'ER-' + hashlib.sha256(s.encode()).hexdigest()[:16]\n"
"""A body-only answer to sec/suite (the code prompt is prepended)."""

CORRECT_STDIN = (
    "import hashlib\nprint('MARK' + 'ER-' + hashlib.sha256(input().strip().encode()).hexdigest()[:16])\n"
)
CORRECT_CALL = (
    "import hashlib\nclass Solution:\n    def marker(self, s):\n"
    "        return 'MARK' + 'ER-' + hashlib.sha256(s.encode()).hexdigest()[:16]\n"
)
