"""Tests that kill mutants of the judge: each pins a rule a one-line change would break (make mutate)."""

from __future__ import annotations

import pytest

from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind
from grader.bank.model import TestCase as Case  # aliased so pytest does not collect it
from grader.judge.checkers import INT_DIGITS, lcb_equal, text_equal, value_equal
from grader.judge.outcome import judge_test
from grader.judge.verdict import Verdict
from tests.unit.runs import run

LCB = CheckerSpec(CheckerName.LCB)
TOKENS = CheckerSpec(CheckerName.TOKENS)
FLOAT = CheckerSpec(CheckerName.FLOAT)
JSON = CheckerSpec(CheckerName.JSON)
LIMITS = Limits(time_s=2.0, memory_mb=256, output_mb=16)


def stdin_question(checker: CheckerSpec = LCB) -> QuestionInfo:
    return QuestionInfo(
        id="q", title="Q", kind=QuestionKind.STDIN, entry_point="", limits=LIMITS, checker=checker
    )


def call_question(checker: CheckerSpec = JSON) -> QuestionInfo:
    return QuestionInfo(
        id="q", title="Q", kind=QuestionKind.CALL, entry_point="f", limits=LIMITS, checker=checker
    )


class TestLongIntegers:
    """JSON integers past INT_DIGITS are compared by their digits, never all equal."""

    LONG = "1" + "0" * (INT_DIGITS + 500)
    OTHER = "2" + "0" * (INT_DIGITS + 500)

    @pytest.mark.parametrize("checker", [JSON, FLOAT])
    def test_two_different_long_integers_differ(self, checker: CheckerSpec) -> None:
        assert not value_equal(self.LONG, self.OTHER, checker)
        assert not value_equal(f"[{self.LONG}]", f"[{self.OTHER}]", checker)

    @pytest.mark.parametrize("checker", [JSON, FLOAT])
    def test_the_same_long_integer_is_equal(self, checker: CheckerSpec) -> None:
        assert value_equal(self.LONG, self.LONG, checker)
        assert value_equal(f'{{"a": [{self.LONG}]}}', f'{{"a": [{self.LONG}]}}', checker)

    def test_one_digit_apart_at_the_end(self) -> None:
        assert not value_equal(self.LONG, self.LONG[:-1] + "1", JSON)

    def test_a_long_integer_is_not_a_short_one_or_text(self) -> None:
        assert not value_equal(self.LONG, "1", JSON)
        assert not value_equal("1", self.LONG, JSON)
        assert not value_equal(self.LONG, f'"{self.LONG}"', JSON)

    def test_long_integers_in_a_set_of_answers(self) -> None:
        # Equal texts hash alike: a dict keyed by them (JSON objects are compared as dicts) sees one key.
        got = f'{{"k": [{self.LONG}, {self.LONG}]}}'
        assert value_equal(got, got, JSON)

    def test_a_false_accept_through_the_judge(self) -> None:
        test = Case("[]\n", self.OTHER, False)
        assert (
            judge_test(call_question(), test, run(report={"value": self.LONG})).verdict
            is Verdict.WRONG_ANSWER
        )
        assert (
            judge_test(call_question(), test, run(report={"value": self.OTHER})).verdict is Verdict.ACCEPTED
        )


class TestTokenOrder:
    """Tokens and lines are compared in order: the same tokens in another order are wrong."""

    @pytest.mark.parametrize(
        ("got", "expected"),
        [("1 2", "2 1"), ("1\n2", "2\n1"), ("1 2\n3", "2 1\n3"), ("a b", "b a"), ("1.0 2", "2 1.0")],
    )
    def test_reordered_is_not_equal(self, got: str, expected: str) -> None:
        assert not lcb_equal(got, expected)
        assert not text_equal(got, expected, LCB)
        assert not text_equal(got, expected, TOKENS)
        assert not text_equal(got, expected, FLOAT)

    def test_reordered_output_is_wrong_answer(self) -> None:
        test = Case("\n", "1 2\n", False)
        for checker in (LCB, TOKENS, FLOAT):
            verdict = judge_test(stdin_question(checker), test, run(stdout=b"2 1\n")).verdict
            assert verdict is Verdict.WRONG_ANSWER, checker
            assert judge_test(stdin_question(checker), test, run(stdout=b"1 2\n")).verdict is Verdict.ACCEPTED
