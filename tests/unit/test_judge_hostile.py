"""Every checker on hostile answers: a verdict, never an exception, in time linear in the answer;
and the semantics that hostile inputs are most likely to break (long ints, order, exponents)."""

from __future__ import annotations

import dataclasses
import json
import time
from typing import ClassVar

import pytest
from structlog.testing import capture_logs

from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind, TestCase
from grader.judge import outcome
from grader.judge.checkers import CHUNK, INT_DIGITS, lcb_equal, poly_root, text_equal, value_equal
from grader.judge.outcome import judge_test, judge_tests
from grader.judge.values import evalplus_equal, loads
from grader.judge.verdict import Verdict
from grader.sandbox.interface import TestRun
from tests.support.runs import run

TEXT_CHECKERS = (CheckerName.LCB, CheckerName.EXACT, CheckerName.TOKENS, CheckerName.FLOAT)
VALUE_CHECKERS = (CheckerName.JSON, CheckerName.FLOAT, CheckerName.EVALPLUS, CheckerName.POLY_ROOT)
LIMITS = Limits(time_s=2.0, memory_mb=256, output_mb=16)

DEEP = {depth: "[" * depth + "]" * depth for depth in (5000, 100_000)}
GIANT_LINE = " ".join(str(10 + i % 90) for i in range(2_000_000))  # about 6 MiB of short numbers

HOSTILE_TEXT = {
    "nan": "NaN 2 3",
    "snan": "sNaN",
    "snan_among_numbers": "1 sNaN 3",
    "snan_with_payload": "1 -sNaN123 3",
    "infinities": "Infinity -Infinity inf",
    "huge_exponent": "1 2 1e1000000",
    "tiny_exponent": "1 2 1e-1000000",
    "exponent_past_decimal_range": "1 2 1e9999999999999999999999",
    "deep_5000": DEEP[5000],
    "deep_100000": DEEP[100_000],
    "int_10_400": "1 2 " + str(10**400),
    "int_5000_digits": "1 2 " + "3" * 5000,
    "giant_line": GIANT_LINE,
    "many_tiny_tokens": "1 " * 3_000_000,
    "many_tiny_lines": "1\n" * 3_000_000,
    "giant_token": "9" * 6_000_000,
    "empty": "",
    "whitespace": " \n\t\r\x0b\x0c\u2003\u3000",
}

HOSTILE_VALUES = {
    "nan": "[NaN, 2.0, 3.0]",
    "snan": "[1, sNaN, 3]",
    "infinities": "[Infinity, -Infinity, 3.0]",
    "huge_exponent": "[1e1000000, 2.0, 3.0]",
    "tiny_exponent": "[1e-1000000, 2.0, 3.0]",
    "exponent_past_decimal_range": "[1e9999999999999999999999, 2.0, 3.0]",
    "deep_5000": DEEP[5000],
    "deep_100000": DEEP[100_000],
    "ints_10_400": json.dumps([10**400] * 3),
    "int_5000_digits": "[" + "3" * 5000 + ", 2, 3]",
    "giant_list": "[" + ", ".join(str(10 + i % 90) for i in range(1_500_000)) + "]",
    "many_ints_of_int_digits": "[" + ", ".join(["7" * INT_DIGITS] * 1000) + "]",
    "many_ints_past_int_digits": "[" + ", ".join(["7" * (INT_DIGITS + 1)] * 1000) + "]",
    "tagged_bytes_10_15": '{"$t": "bytes", "v": 1000000000000000}',
    "tagged_bytes_out_of_range": '{"$t": "bytes", "v": [256, -1]}',
    "tagged_complex_overflow": '{"$t": "complex", "v": [' + str(10**400) + ", 0]}",
    "tagged_set_of_lists": '{"$t": "set", "v": [[1], [2]]}',
    "tagged_dict_bad_pairs": '{"$t": "dict", "v": [[1, 2, 3]]}',
    "tagged_unknown": '{"$t": "eval", "v": "__import__(\'os\')"}',
    "deep_tagged": '{"$t": "tuple", "v": ' * 400 + "[]" + "}" * 400,
    "lone_surrogate": '"\\ud800"',
    "invalid_json": "[1, 2",
    "empty": "",
}


def question(kind: QuestionKind, checker: CheckerName) -> QuestionInfo:
    return QuestionInfo(id="q/hostile", title="Q", kind=kind, entry_point="f", limits=LIMITS,
                        checker=CheckerSpec(checker))  # fmt: skip


def per_mib_bound(size: int) -> float:
    """Loose: a verdict within 0.5 s plus 2 s per MiB of answer on a loaded 2-core machine."""
    return 0.5 + 2.0 * size / 2**20


def judged_in_time(info: QuestionInfo, test: TestCase, outcome_: TestRun, size: int) -> Verdict:
    started = time.process_time()
    verdict = judge_test(info, test, outcome_).verdict
    assert time.process_time() - started < per_mib_bound(size)
    return verdict


@pytest.mark.parametrize("checker", TEXT_CHECKERS)
@pytest.mark.parametrize("name", HOSTILE_TEXT)
def test_hostile_stdout_is_wrong_answer(checker: CheckerName, name: str) -> None:
    text = HOSTILE_TEXT[name]
    test = TestCase("", "1 2 3\n", True)
    info = question(QuestionKind.STDIN, checker)
    assert judged_in_time(info, test, run(text.encode()), len(text)) is Verdict.WRONG_ANSWER


@pytest.mark.parametrize("checker", TEXT_CHECKERS)
@pytest.mark.parametrize("name", HOSTILE_TEXT)
def test_hostile_expected_output_against_itself_and_another(checker: CheckerName, name: str) -> None:
    """Hostile text on both sides (a bank can hold anything): identical text is always equal,
    and nothing raises."""
    text = HOSTILE_TEXT[name]
    spec = CheckerSpec(checker)
    assert text_equal(text, text, spec)
    assert isinstance(text_equal(text, "1 2 3", spec), bool)
    assert isinstance(text_equal("1 2 3", text, spec), bool)


@pytest.mark.parametrize("checker", TEXT_CHECKERS)
@pytest.mark.parametrize(
    "stdout", [b"1 \xff\xfe 3\n", b"\xed\xa0\x80 2 3", b"\xc0\xaf", b"1 2 3\xff", b"\x00" * 1000]
)
def test_invalid_utf8_is_wrong_answer(checker: CheckerName, stdout: bytes) -> None:
    info = question(QuestionKind.STDIN, checker)
    assert judge_test(info, TestCase("", "1 2 3\n", True), run(stdout)).verdict is Verdict.WRONG_ANSWER


@pytest.mark.parametrize("checker", VALUE_CHECKERS)
@pytest.mark.parametrize("name", HOSTILE_VALUES)
def test_hostile_value_is_wrong_answer(checker: CheckerName, name: str) -> None:
    text = HOSTILE_VALUES[name]
    info = question(QuestionKind.CALL, checker)
    expected = "2.0" if checker is CheckerName.POLY_ROOT else "[1.0, 2.0, 3.0]"
    test = TestCase("[-2, 1]" if checker is CheckerName.POLY_ROOT else "3", expected, True)
    verdict = judged_in_time(info, test, run(report={"value": text, "typed": text}), len(text))
    assert verdict is Verdict.WRONG_ANSWER
    # A public test's detail shows the answer; it must stay encodable as UTF-8.
    judge_test(info, test, run(report={"value": text, "typed": text})).detail.encode()


@pytest.mark.parametrize("name", HOSTILE_VALUES)
def test_hostile_value_against_itself_never_raises(name: str) -> None:
    text = HOSTILE_VALUES[name]
    for checker in (CheckerName.JSON, CheckerName.FLOAT):
        assert isinstance(value_equal(text, text, CheckerSpec(checker)), bool)
    assert isinstance(evalplus_equal(text, text, CheckerSpec(CheckerName.EVALPLUS)), bool)
    assert isinstance(poly_root(text, text, CheckerSpec(CheckerName.POLY_ROOT)), bool)


class TestLongIntegers:
    """JSON ints past Python's digit limit are compared by their digits, never all as one."""

    LONG = "9" * (INT_DIGITS + 1000)
    OTHER = "9" * (INT_DIGITS + 999) + "8"

    FAR = "8" + "9" * (INT_DIGITS + 999)
    """Further than any tolerance from LONG; OTHER is within the float checker's 1e-9."""

    def test_two_different_long_ints_are_not_equal(self) -> None:
        spec = CheckerSpec(CheckerName.JSON)
        assert value_equal(self.LONG, self.LONG, spec)
        assert not value_equal(self.LONG, self.OTHER, spec)
        assert not value_equal(self.OTHER, self.LONG, spec)
        assert not value_equal(f"[{self.LONG}, 1]", f"[{self.OTHER}, 1]", spec)
        assert not value_equal(f'{{"a": {self.LONG}}}', f'{{"a": {self.OTHER}}}', spec)

    def test_float_checker_compares_long_ints_as_numbers(self) -> None:
        spec = CheckerSpec(CheckerName.FLOAT)
        assert value_equal(self.LONG, self.OTHER, spec)  # relatively 1e-5000 apart
        assert not value_equal(self.LONG, self.FAR, spec)
        assert not value_equal(f"[{self.LONG}, 1]", f"[{self.FAR}, 1]", spec)
        exact = CheckerSpec(CheckerName.FLOAT, abs_tol=0.0, rel_tol=0.0)
        assert not value_equal(self.LONG, self.OTHER, exact)
        assert value_equal(self.LONG, self.LONG, exact)

    @pytest.mark.parametrize("checker", [CheckerName.JSON, CheckerName.FLOAT])
    def test_long_and_short_ints_are_not_equal(self, checker: CheckerName) -> None:
        assert not value_equal(self.LONG, "9" * INT_DIGITS, CheckerSpec(checker))
        assert not value_equal(self.LONG, "1e4999", CheckerSpec(checker))

    def test_long_int_is_compared_the_same_way_on_both_sides(self) -> None:
        """Just past INT_DIGITS on one side only: still one number compared with one number."""
        spec = CheckerSpec(CheckerName.JSON)
        near = "7" * (INT_DIGITS + 1)
        assert value_equal(f"[{near}, 1]", f"[{near}, 1]", spec)
        assert value_equal(f"[{near},1]", f"[{near}, 1]", spec)
        assert not value_equal(f"[{near}, 1]", f"[{near[:-1]}, 1]", spec)

    def test_text_checkers_compare_all_digits(self) -> None:
        exact_float = CheckerSpec(CheckerName.FLOAT, abs_tol=0.0, rel_tol=0.0)
        for spec in (CheckerSpec(CheckerName.LCB), CheckerSpec(CheckerName.TOKENS), exact_float):
            assert not text_equal(self.LONG, self.OTHER, spec)
        for spec in (CheckerSpec(CheckerName.LCB), exact_float):
            assert text_equal(self.LONG + ".0", self.LONG, spec)


class TestOrder:
    """Token checkers compare in order: the same tokens in another order are wrong."""

    @pytest.mark.parametrize("checker", [CheckerName.LCB, CheckerName.TOKENS, CheckerName.FLOAT])
    @pytest.mark.parametrize(("got", "expected"), [("1 2", "2 1"), ("1\n2", "2\n1"), ("a b", "b a")])
    def test_reordered_tokens_are_wrong(self, checker: CheckerName, got: str, expected: str) -> None:
        assert not text_equal(got, expected, CheckerSpec(checker))

    def test_lcb_reordered_numbers_with_other_spelling(self) -> None:
        assert not lcb_equal("2.0 1", "1 2")
        assert lcb_equal("1.0 2", "1 2")


class TestNumbersAtTheEdges:
    """Exponents past any float, and past Decimal's own range, are compared exactly or not at
    all: never as one infinity, never by raising."""

    @pytest.mark.parametrize("checker", [CheckerName.LCB, CheckerName.FLOAT])
    def test_huge_exponents(self, checker: CheckerName) -> None:
        spec = CheckerSpec(checker)
        assert text_equal("1e1000000", "10e999999", spec)
        assert not text_equal("1e1000000", "2e1000000", spec)
        assert not text_equal("1e1000000", "inf", spec)
        if checker is CheckerName.LCB:  # the float checker takes both as 0 within abs_tol
            assert not text_equal("1e-1000000", "2e-1000000", spec)
        assert not text_equal("1e9999999999999999999999", "2e9999999999999999999999", spec)
        assert not text_equal("1e9999999999999999999999", "1e9999999999999999999998", spec)

    def test_float_tolerance_near_zero_and_at_the_range_ends(self) -> None:
        spec = CheckerSpec(CheckerName.FLOAT)
        assert text_equal("1e-1000000", "0", spec)  # within abs_tol 1e-9
        assert not text_equal("1e999999999999999999", "-1e999999999999999999", spec)
        assert text_equal("1.0000000000001e999999999999999999", "1e999999999999999999", spec)

    def test_snan(self) -> None:
        for checker in (CheckerName.LCB, CheckerName.FLOAT):
            spec = CheckerSpec(checker)
            assert not text_equal("sNaN", "1", spec)
            assert not text_equal("1 sNaN", "1 2", spec)
            assert not text_equal("1 2", "1 sNaN", spec)
        assert not lcb_equal("sNaN 1", "sNaN 1.0")  # a NaN equals nothing, itself included
        assert lcb_equal("sNaN", "sNaN")  # equal lines are equal as strings


class TestPieces:
    """Long answers are split CHUNK characters at a time: no token or line is cut or lost."""

    TOKENS: ClassVar[list[str]] = [str(i * 7919 % 100003) for i in range(3 * CHUNK // 4)]

    def test_tokens_across_pieces(self) -> None:
        spaced, lined = " ".join(self.TOKENS), "\n\t".join(self.TOKENS)
        for checker in (CheckerName.TOKENS, CheckerName.FLOAT, CheckerName.LCB):
            spec = CheckerSpec(checker)
            assert text_equal(spaced, " ".join(self.TOKENS) + "  \n", spec)
            assert not text_equal(spaced, " ".join([*self.TOKENS[:-1], "1"]), spec)
            assert not text_equal(spaced, " ".join([*self.TOKENS, "1"]), spec)
            assert not text_equal(spaced + " 1", spaced, spec)
        assert text_equal(spaced, lined, CheckerSpec(CheckerName.TOKENS))
        middle = len(self.TOKENS) // 2
        changed = [*self.TOKENS[:middle], self.TOKENS[middle] + "0", *self.TOKENS[middle + 1 :]]
        assert not text_equal(spaced, " ".join(changed), CheckerSpec(CheckerName.TOKENS))

    def test_a_token_longer_than_a_piece(self) -> None:
        long_token = "7" * (3 * CHUNK)
        for checker in (CheckerName.TOKENS, CheckerName.FLOAT, CheckerName.LCB):
            spec = CheckerSpec(checker)
            assert text_equal(f"1 {long_token} 2", f"1  {long_token}\t2", spec)
            assert not text_equal(f"1 {long_token} 2", f"1 {long_token}7 2", spec)

    def test_lines_across_pieces(self) -> None:
        lines = "\n".join(self.TOKENS)
        assert lcb_equal(lines, "\n".join(t + ".0" for t in self.TOKENS))
        assert not lcb_equal(lines, " ".join(self.TOKENS))
        swapped = [*self.TOKENS[:-2], self.TOKENS[-1], self.TOKENS[-2]]
        assert not lcb_equal(lines, "\n".join(swapped))

    def test_unicode_whitespace_splits_as_str_split(self) -> None:
        assert text_equal("1\u20032\u30003\x1c4", "1 2 3 4", CheckerSpec(CheckerName.TOKENS))
        assert not text_equal("1\u200b2", "1 2", CheckerSpec(CheckerName.TOKENS))  # not whitespace


class TestEvalPlusHostile:
    def test_ints_past_the_float_range_are_not_close(self) -> None:
        spec = CheckerSpec(CheckerName.EVALPLUS)
        assert not evalplus_equal(json.dumps([10**400] * 3), "[1.0, 2.0, 3.0]", spec)
        assert not evalplus_equal(json.dumps(10**400), "1.0", spec)

    def test_tagged_bytes_must_be_a_list(self) -> None:
        with pytest.raises(ValueError, match="bytes"):
            loads('{"$t": "bytes", "v": 1000000000000000}')
        assert loads('{"$t": "bytes", "v": [104, 105]}') == b"hi"

    def test_plain_json_decodes_as_before(self) -> None:
        assert loads('[1, [2.5, null], "{"]') == [1, [2.5, None], "{"]
        assert loads('[1, {"$t": "tuple", "v": [2, 3]}]') == [1, (2, 3)]


class TestCheckerFailure:
    """A checker that raises anyway: WRONG_ANSWER and a log line with names only."""

    def test_wrong_answer_and_a_log_line_without_private_data(self, monkeypatch: pytest.MonkeyPatch) -> None:
        def broken(got: str, expected: str, spec: CheckerSpec) -> bool:
            raise ZeroDivisionError(f"{got} {expected}")

        monkeypatch.setattr(outcome, "text_equal", broken)
        info = question(QuestionKind.STDIN, CheckerName.LCB)
        with capture_logs() as logs:
            judgement = judge_test(
                info, TestCase("secret-input", "secret-expected", False), run(b"secret-got"), 7
            )
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert logs == [
            {"event": "checker_failed", "log_level": "error", "checker": "lcb",
             "question_id": "q/hostile", "test_index": 7, "error_type": "ZeroDivisionError"}
        ]  # fmt: skip
        assert "secret" not in json.dumps(logs) + judgement.detail

    def test_judge_tests_stops_after_the_first_failure_when_asked(self) -> None:
        info = question(QuestionKind.STDIN, CheckerName.LCB)
        right, wrong = run(b"1 2 3"), run(b"4")
        test = TestCase("", "1 2 3", True)
        items = [(0, test, right), (1, test, wrong), (2, test, right)]
        verdicts = [j.verdict for j in judge_tests(info, items, stop_early=True)]
        assert verdicts == [Verdict.ACCEPTED, Verdict.WRONG_ANSWER]
        assert len(judge_tests(info, items)) == 3


def test_limits_before_the_answer() -> None:
    """A hostile answer with a limit hit is judged by the limit: the checker never runs."""
    info = question(QuestionKind.STDIN, CheckerName.LCB)
    timed_out = dataclasses.replace(run(DEEP[100_000].encode()), timed_out=True)
    assert judge_test(info, TestCase("", "1", True), timed_out).verdict is Verdict.TIME_LIMIT_EXCEEDED
