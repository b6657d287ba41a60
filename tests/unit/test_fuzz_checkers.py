"""Fuzzing the judge: any bytes from the candidate, against any expected output, under every
checker, get a verdict — never an exception — within a time bound per MiB of answer."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind, TestCase
from grader.judge.outcome import judge_test
from grader.judge.verdict import Verdict
from grader.sandbox.interface import TestRun
from tests.support.runs import run as outcome

EXAMPLES = int(os.environ.get("GRADER_FUZZ_EXAMPLES", "100"))
"""Examples per property; raise it for a deeper run (GRADER_FUZZ_EXAMPLES=5000)."""
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=timedelta(seconds=10),  # a hang, or a quadratic blow-up, fails the example
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=EXAMPLES <= 100,  # CI runs are reproducible; deeper runs explore afresh
)
LIMITS = Limits(time_s=2.0, memory_mb=256, output_mb=16)

# Pieces that have broken checkers, or could: special numbers, exponents, nesting, tags.
FRAGMENTS = [
    "0", "-0", "1", "1.0", "1e3", "sNaN", "-sNaN7", "NaN", "nan", "Infinity", "-inf", "1e1000000",
    "1e-1000000", "1e9999999999999999999999", "1_000", "0x10", "9" * 4500, "1" * 4001, str(10**400),
    "[", "]", "{", "}", ",", ":", '"', '"$t"', '"v"', '"bytes"', '"tuple"', '"set"', '"dict"',
    '"complex"', '"float"', '"object"', "null", "true", "false", "\\ud800", "\u0660", "\u2003",
    " ", "\n", "\t", "\r\n", "\x00", "YES", "-",
]  # fmt: skip

NUMBERS = [f for f in FRAGMENTS if f.strip() and f[-1].isalnum()]

fragments = st.lists(st.sampled_from(FRAGMENTS), max_size=40).map("".join)
numbers = st.lists(st.sampled_from(NUMBERS), min_size=1, max_size=3).map(" ".join)
"""A few numbers on a line: what reaches the numeric comparison of every text checker."""
nested = st.integers(0, 3000).map(lambda depth: "[" * depth + "1" + "]" * depth)
texts = st.one_of(st.text(max_size=200), fragments, numbers, nested)
answers = st.one_of(st.binary(max_size=400), texts.map(lambda t: t.encode("utf-8", "surrogatepass")))
specs = st.builds(
    CheckerSpec,
    name=st.sampled_from(list(CheckerName)),
    abs_tol=st.sampled_from([0.0, 1e-9, 1e-6, 1.0]),
    rel_tol=st.sampled_from([0.0, 1e-9, 1e-3]),
)


def per_mib_bound(size: int) -> float:
    """Loose: a verdict within 1 s plus 2 s per MiB of answer on a loaded 2-core machine."""
    return 1.0 + 2.0 * size / 2**20


def question(kind: QuestionKind, spec: CheckerSpec) -> QuestionInfo:
    return QuestionInfo(id="fz/judge", title="Q", kind=kind, entry_point="f", limits=LIMITS, checker=spec)


def assert_judged(info: QuestionInfo, test: TestCase, run: TestRun, size: int) -> None:
    started = time.process_time()
    judgement = judge_test(info, test, run)
    assert time.process_time() - started < per_mib_bound(size)
    assert judgement.verdict in (Verdict.ACCEPTED, Verdict.WRONG_ANSWER)
    judgement.detail.encode()  # a response must be able to carry it


@settings(FUZZ, max_examples=3 * EXAMPLES)  # cheap examples, and the numeric pairs need many
@given(stdout=st.one_of(numbers.map(str.encode), answers), expected=st.one_of(numbers, texts), spec=specs)
def test_any_stdout_gets_a_verdict(stdout: bytes, expected: str, spec: CheckerSpec) -> None:
    assert_judged(
        question(QuestionKind.STDIN, spec), TestCase("", expected, False), outcome(stdout), len(stdout)
    )


@FUZZ
@given(answer=answers, expected=texts, test_input=texts, spec=specs)
def test_any_returned_value_gets_a_verdict(
    answer: bytes, expected: str, test_input: str, spec: CheckerSpec
) -> None:
    """The value text crosses from the candidate's process: any text, as the report carries it."""
    text = answer.decode("utf-8", "surrogatepass" if answer.isascii() else "replace")
    info = question(QuestionKind.CALL, spec)
    report: dict[str, object] = {"value": text, "typed": text}
    assert_judged(info, TestCase(test_input, expected, False), outcome(report=report), len(text))


@pytest.mark.parametrize("spec", [CheckerSpec(name) for name in CheckerName], ids=str)
def test_a_large_hostile_answer_within_the_bound(spec: CheckerSpec) -> None:
    """4 MiB of the fragments repeated: the bound holds at size, not only on small examples."""
    text = ("".join(FRAGMENTS[:20]) + " ") * (4 * 2**20 // (len("".join(FRAGMENTS[:20])) + 1))
    call = outcome(report={"value": text, "typed": text})
    runs = {QuestionKind.STDIN: outcome(text.encode()), QuestionKind.CALL: call}
    for kind, run in runs.items():
        assert_judged(question(kind, spec), TestCase("[1, 2]", "1 2 3", False), run, len(text))
        assert_judged(question(kind, spec), TestCase("[1, 2]", text, False), run, len(text))
