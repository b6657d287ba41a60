"""Hostile answers against the judge: numbers a Decimal context traps on, exponents past its
range, nesting deeper than a recursion limit, integers past Python's digit limit, giant outputs,
invalid UTF-8, and answers forged by rewriting the runner's encoder. Each gets a candidate verdict
(WRONG_ANSWER), never INTERNAL_ERROR; the question's correct submission right after is ACCEPTED;
and judging a giant answer leaves the server's event loop free to serve other calls."""

from __future__ import annotations

import asyncio
import time

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import JUDGE_TEXT_CHECKERS
from tests.support.attacks import attack
from tests.support.server import RunningServer, grade

CORRECT_STDOUT = 'print("1 2 3")\n'
CORRECT_RETURN = {
    "json": "def f(n):\n    return [float(i) for i in range(1, n + 1)]\n",
    "evalplus": "def f(n):\n    return [float(i) for i in range(1, n + 1)]\n",
    "poly_root": "def f(xs):\n    return 2.0\n",
}

# About 15 MiB of two-digit numbers on one line (under the 16 MiB output limit), no newline.
GIANT_LINE = (
    "import sys\nperiod = ' '.join(str(n) for n in range(10, 100)) + ' '\n"
    "sys.stdout.write(period * (15 * 2**20 // len(period)))\n"
)

HOSTILE_STDOUT = {
    "snan": 'print("sNaN")',
    "snan_among_numbers": 'print("1 sNaN 3")',
    "nan": 'print("NaN 2 3")',
    "infinities": 'print("Infinity -Infinity inf")',
    "huge_exponent": 'print("1 2 1e1000000")',
    "tiny_exponent": 'print("1 2 1e-1000000")',
    "exponent_past_decimal_range": 'print("1 2 1e9999999999999999999999")',
    "deep_nesting": 'print("[" * 100000 + "]" * 100000)',
    "huge_integer": 'print("1 2 " + "3" * 5000)',
    "giant_line": GIANT_LINE,
    "many_tiny_lines": 'import sys\nsys.stdout.write("1\\n" * 7_000_000)',
    "invalid_utf8": 'import sys\nsys.stdout.buffer.write(b"1 \\xff\\xfe\\xed\\xa0\\x80 3\\n")',
    "empty": "pass",
}

# Rewrites the runner's encoder (any module's JSON_DUMPS) so that the answer crossing to the host
# is `text` whatever the function returns: what a candidate that owns its address space can send.
FORGE = (
    "import sys\nfor _m in list(sys.modules.values()):\n"
    "    if getattr(_m, 'JSON_DUMPS', None) is not None:\n"
    "        _m.JSON_DUMPS = lambda *args, **kwargs: TEXT\n"
)


def forged(text: str) -> str:
    return f"TEXT = {text}\n{FORGE}def f(*args):\n    return 1\n"


HOSTILE_RETURNS = {
    "huge_ints": "def f(*args):\n    return [10**400] * 3\n",
    "ints_past_the_digit_limit": (
        "import sys\nsys.set_int_max_str_digits(0)\ndef f(*args):\n    return [10**5000, 2, 3]\n"
    ),
    "nan_and_infinities": "def f(*args):\n    return [float('nan'), float('inf'), -float('inf')]\n",
    "deep_nesting": (
        "import sys\nsys.setrecursionlimit(100000)\ndef f(*args):\n    x = []\n"
        "    for _ in range(5000):\n        x = [x]\n    return x\n"
    ),
    "giant_list": "def f(*args):\n    return [10 + i % 90 for i in range(3_500_000)]\n",
    "forged_deep_nesting": forged("'[' * 100000 + ']' * 100000"),
    "forged_snan": forged("'[1, sNaN, 3]'"),
    "forged_huge_exponent": forged("'[1e1000000, 2.0, 3.0]'"),
    "forged_huge_bytes": forged("""'{"$t": "bytes", "v": 1000000000000000}'"""),
    "forged_lone_surrogate": forged("'\"' + chr(0xD800) + '\"'"),
    "forged_invalid_json": forged("'[1, 2'"),
}


def assert_candidate_verdict(target: RunningServer, question: str, code: str, correct: str) -> None:
    response = attack(target, question, code)
    assert response.verdict == pb.WRONG_ANSWER, [pb.Verdict.Name(t.verdict) for t in response.tests]
    follow_up = grade(target.stub, question, correct)
    assert follow_up.verdict == pb.ACCEPTED, [t.detail for t in follow_up.tests]


@pytest.mark.parametrize("checker", JUDGE_TEXT_CHECKERS)
@pytest.mark.parametrize("name", HOSTILE_STDOUT)
def test_hostile_stdout(target: RunningServer, checker: str, name: str) -> None:
    assert_candidate_verdict(target, f"sec/judge-{checker}", HOSTILE_STDOUT[name], CORRECT_STDOUT)


@pytest.mark.parametrize("checker", ["json", "evalplus", "poly_root"])
@pytest.mark.parametrize("name", HOSTILE_RETURNS)
def test_hostile_return(target: RunningServer, checker: str, name: str) -> None:
    assert_candidate_verdict(target, f"sec/judge-{checker}", HOSTILE_RETURNS[name], CORRECT_RETURN[checker])


@pytest.mark.parametrize(
    ("question", "code"),
    [("sec/judge-lcb", GIANT_LINE), ("sec/judge-tokens", GIANT_LINE),
     ("sec/judge-json", HOSTILE_RETURNS["giant_list"]),
     ("sec/judge-evalplus", HOSTILE_RETURNS["giant_list"])],
    ids=["lcb", "tokens", "json", "evalplus"],
)  # fmt: skip
def test_judging_a_giant_answer_leaves_the_event_loop_free(
    target: RunningServer, question: str, code: str
) -> None:
    """While the judge works on a 15 MiB answer, the server's loop still turns: the longest wait
    for it stays far below the judge's time (seconds when it ran on the loop)."""

    async def nothing() -> None:
        await asyncio.sleep(0)

    longest = 0.0
    pending = target.stub.Grade.future(pb.GradeRequest(question_id=question, code=code), timeout=300)
    while not pending.done():
        started = time.monotonic()
        asyncio.run_coroutine_threadsafe(nothing(), target.loop).result(60)
        longest = max(longest, time.monotonic() - started)
        time.sleep(0.01)
    assert pending.result().verdict == pb.WRONG_ANSWER
    print(f"longest wait for the event loop: {longest:.3f} s")
    assert longest < 1.0, f"the event loop stalled for {longest:.2f} s"
