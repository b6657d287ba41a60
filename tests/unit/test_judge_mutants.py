"""Tests that kill mutants of the judge: each pins a rule a one-line change would break (make mutate)."""

from __future__ import annotations

import asyncio
import json
import math
from typing import ClassVar

import pytest
from structlog.testing import capture_logs

from grader.api.batch import SUMMARY_STEP, summary
from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind, TestCase
from grader.judge import checkers, outcome
from grader.judge.checkers import INT_DIGITS, lcb_equal, poly_root, text_equal, value_equal
from grader.judge.outcome import SHOWN, Judgement, judge_test, judge_tests
from grader.judge.passk import EXACT_UP_TO, Tallies, pass_at_k
from grader.judge.values import Opaque, TaggedValueError, allclose, decode, evalplus_equal, is_floats, loads
from grader.judge.values import _equal as values_equal
from grader.judge.verdict import TestVerdict, Verdict, overall
from grader.runner.codec import TYPED_MARKER, tagged
from tests.support.runs import run

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
        test = TestCase("[]\n", self.OTHER, False)
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
        test = TestCase("\n", "1 2\n", False)
        for checker in (LCB, TOKENS, FLOAT):
            verdict = judge_test(stdin_question(checker), test, run(stdout=b"2 1\n")).verdict
            assert verdict is Verdict.WRONG_ANSWER, checker
            assert judge_test(stdin_question(checker), test, run(stdout=b"1 2\n")).verdict is Verdict.ACCEPTED


EP = CheckerSpec(CheckerName.EVALPLUS, abs_tol=0.0, rel_tol=1e-7)


def typed(value: object) -> str:
    return json.dumps(tagged(value), allow_nan=True)


def mbpp_input(*args: object) -> str:
    return "\n".join([TYPED_MARKER, *(typed(a) for a in args)])


def mbpp(got: object, expected: object, entry_point: str, *args: object, spec: CheckerSpec = EP) -> bool:
    return evalplus_equal(typed(got), typed(expected), spec, task_id="Mbpp/1", entry_point=entry_point,
                          test_input=mbpp_input(*args))  # fmt: skip


class TestMbppOracles:
    """EvalPlus's special oracles for MBPP+ tasks, and only for MBPP+ tasks."""

    def test_are_equivalent_takes_any_answer(self) -> None:
        assert mbpp(True, False, "are_equivalent", 1, 2)
        assert not evalplus_equal(
            typed(True), typed(False), EP, task_id="HumanEval/1", entry_point="are_equivalent"
        )
        assert not mbpp(True, False, "are_equivalent_not", 1, 2)

    def test_sum_div_takes_zero_too(self) -> None:
        assert mbpp(0, 5, "sum_div", 7)
        assert mbpp(5, 5, "sum_div", 7)
        assert not mbpp(3, 5, "sum_div", 7)
        assert not mbpp(1, 5, "sum_div", 7)

    def test_surface_area_takes_the_formula(self) -> None:
        # round(3**2 + 2*3*sqrt(1.5**2 + 4**2)) = round(9 + 6 * 4.272) = 35
        assert mbpp(35, 33, "surface_Area", 3, 4)
        assert mbpp(33, 33, "surface_Area", 3, 4)
        assert not mbpp(36, 33, "surface_Area", 3, 4)
        assert not mbpp(34, 33, "surface_Area", 3, 4)
        # with a tolerance: within it of the formula's answer
        assert mbpp(35.5, 33, "surface_Area", 3, 4, spec=CheckerSpec(CheckerName.EVALPLUS, abs_tol=0.5))
        assert not mbpp(35.6, 33, "surface_Area", 3, 4, spec=CheckerSpec(CheckerName.EVALPLUS, abs_tol=0.5))
        # (5, 2): round(25 + 10 * sqrt(6.25 + 4)) = round(25 + 32.02) = 57
        assert mbpp(57, 1, "surface_Area", 5, 2)
        assert not mbpp(58, 1, "surface_Area", 5, 2)

    def test_surface_area_without_arguments_is_wrong_not_a_crash(self) -> None:
        assert not mbpp(35, 33, "surface_Area")
        assert not mbpp("x", 33, "surface_Area", 3, 4)

    def test_digit_distance_of_the_padded_numbers(self) -> None:
        # 123 against 056: 1 + 3 + 3
        assert mbpp(7, 8, "digit_distance_nums", 123, 56)
        assert mbpp(7, 8, "digit_distance_nums", 56, 123)
        assert mbpp(8, 8, "digit_distance_nums", 123, 56)
        assert not mbpp(6, 8, "digit_distance_nums", 123, 56)
        assert not mbpp(-5, 8, "digit_distance_nums", 123, 56)
        # 9 against 1: 8 (no padding)
        assert mbpp(8, 0, "digit_distance_nums", 9, 1)
        assert not mbpp(10, 0, "digit_distance_nums", 9, 1)
        # 4071 against 2: 4 + 0 + 7 + 1
        assert mbpp(12, 0, "digit_distance_nums", 4071, 2)
        assert mbpp(12, 0, "digit_distance_nums", 2, 4071)

    def test_set_equal_tasks(self) -> None:
        assert mbpp([2, 1], [1, 2], "similar_elements")
        assert mbpp((2, 1, 1), [1, 2], "Diff")
        assert not mbpp([1, 3], [1, 2], "similar_elements")
        assert not mbpp([[1]], [[1]], "similar_elements")  # unhashable: no set, never equal
        assert not mbpp([1, 2], [[1]], "similar_elements")
        assert not evalplus_equal(typed([2, 1]), typed([1, 2]), EP, task_id="HumanEval/1", entry_point="Diff")

    def test_not_none_tasks(self) -> None:
        assert mbpp(False, None, "check_str", "a")
        assert not mbpp(True, None, "check_str", "a")
        assert mbpp(True, "Valid", "text_match_three", "a")
        assert not mbpp(False, "Valid", "text_match_three", "a")
        assert mbpp("Found", "Valid", "text_starta_endb", "a")
        assert not mbpp(None, "Valid", "text_starta_endb", "a")
        assert mbpp(None, None, "text_starta_endb", "a")
        assert not mbpp("Found", None, "text_starta_endb", "a")

    def test_other_tasks_compare_exactly(self) -> None:
        assert mbpp([1, 2], [1, 2], "other")
        assert not mbpp([1, 2], [2, 1], "other")
        assert not mbpp(0, 5, "other")

    def test_undecodable_arguments_are_no_arguments(self) -> None:
        broken = f"{TYPED_MARKER}\n{{not json"
        assert not evalplus_equal(typed(35), typed(33), EP, task_id="Mbpp/581", entry_point="surface_Area",
                                  test_input=broken)  # fmt: skip
        assert evalplus_equal(
            typed(0), typed(5), EP, task_id="Mbpp/295", entry_point="sum_div", test_input=broken
        )


class TestAllclose:
    """numpy.allclose on scalars and flat sequences: a single number broadcasts, other lengths differ."""

    def test_equal_lengths_compare_pairwise(self) -> None:
        assert allclose([1.0, 2.0], [1.0, 2.0], 0.0, 0.0)
        assert allclose((1.0, 2.0, 3.0), [1.0, 2.0, 3.0], 0.0, 0.0)
        assert not allclose([1.0, 2.0], [2.0, 1.0], 0.0, 0.0)

    def test_a_single_number_broadcasts_on_either_side(self) -> None:
        assert allclose(1.0, [1.0, 1.0], 0.0, 0.0)
        assert allclose([1.0, 1.0], 1.0, 0.0, 0.0)
        assert allclose([1.0], [1.0, 1.0, 1.0], 0.0, 0.0)
        assert allclose([1.0, 1.0, 1.0], [1.0], 0.0, 0.0)
        assert not allclose(1.0, [1.0, 2.0], 0.0, 0.0)
        assert not allclose([1.0, 2.0], 1.0, 0.0, 0.0)
        assert not allclose([2.0], [1.0, 2.0], 0.0, 0.0)

    def test_an_empty_side_against_a_single_number(self) -> None:
        assert allclose([], [1.0], 0.0, 0.0)
        assert allclose([1.0], [], 0.0, 0.0)

    @pytest.mark.parametrize(
        ("got", "expected"),
        [([1.0, 2.0], [1.0, 2.0, 3.0]), ([1.0, 2.0, 3.0], [1.0, 2.0]), ([], [1.0, 2.0]), ([1.0, 2.0], [])],
    )
    def test_other_lengths_differ(self, got: list[float], expected: list[float]) -> None:
        assert not allclose(got, expected, 1.0, 1.0)

    @pytest.mark.parametrize("other", ["x", None, [1.0, "x"], {1.0}, {1.0: 1.0}, [[1.0]]])
    def test_not_numbers_are_never_close(self, other: object) -> None:
        assert not allclose(other, [1.0], 1.0, 1.0)
        assert not allclose([1.0], other, 1.0, 1.0)

    def test_the_tolerance_is_inclusive(self) -> None:
        assert allclose(1.5, 1.0, 0.5, 0.0)
        assert not allclose(1.5, 1.0, 0.25, 0.0)

    def test_the_relative_tolerance_scales_with_the_expected_value(self) -> None:
        assert allclose(101.0, 100.0, 0.0, 0.01)
        assert allclose(101.4, 100.0, 0.5, 0.01)
        assert not allclose(101.6, 100.0, 0.5, 0.01)
        assert not allclose(102.0, 100.0, 0.0, 0.01)

    def test_infinities(self) -> None:
        inf = float("inf")
        assert allclose(inf, inf, 0.0, 0.0)
        assert allclose([-inf, 1.0], [-inf, 1.0], 0.0, 1e-7)
        assert not allclose(inf, -inf, 1.0, 1.0)

    @pytest.mark.parametrize("expected", [float("inf"), float("-inf")])
    def test_an_infinity_is_close_only_to_itself(self, expected: float) -> None:
        """As numpy.isclose: rel_tol x inf is no bound (a finite answer to an infinite expected
        output was ACCEPTED by EvalPlus questions, whose rel_tol is 1e-7)."""
        spec = CheckerSpec(CheckerName.EVALPLUS, abs_tol=0.0, rel_tol=1e-7)
        assert not allclose(5.0, expected, 0.0, 1e-7)
        assert not allclose(expected, 5.0, 0.0, 1e-7)
        assert not allclose([5.0, 1.0], [expected, 1.0], 1.0, 1.0)
        assert not evalplus_equal(typed(5.0), typed(expected), spec)
        assert not evalplus_equal(typed([5.0, 1.0]), typed([expected, 1.0]), spec)
        assert evalplus_equal(typed([expected, 1.0]), typed([expected, 1.0 + 1e-9]), spec)
        assert not allclose(10**400, 1.0, 1.0, 1.0)  # past the float range: close to nothing


class TestEvalPlusTolerance:
    def test_float_outputs_get_the_default_tolerance(self) -> None:
        exact = CheckerSpec(CheckerName.EVALPLUS, abs_tol=0.0, rel_tol=0.0)
        assert is_floats(1.5)
        assert is_floats([1.5, 2.5])
        assert not is_floats([1.5, 2])
        assert not is_floats([])
        assert evalplus_equal(typed(0.3000004), typed(0.3), exact)
        assert evalplus_equal(typed([0.3000004, 1.0]), typed([0.3, 1.0]), exact)
        assert not evalplus_equal(typed(0.300002), typed(0.3), exact)
        assert not evalplus_equal(typed(1), typed(2), exact)

    def test_an_equal_value_in_another_text(self) -> None:
        # 1 == 1.0 in Python: equal under MBPP's oracles' exact comparison too
        assert mbpp(1, 1.0, "other")
        assert mbpp(5, 5.0, "sum_div", 7)


class TestTaggedValues:
    def test_an_object_decodes_to_an_opaque_value_equal_to_nothing(self) -> None:
        text = json.dumps({"$t": "object", "type": "Node", "v": "<Node 1>"})
        value = loads(text)
        assert isinstance(value, Opaque)
        assert repr(value) == "<Node <Node 1>>"
        assert not value == loads(text)  # noqa: SIM201 - __eq__ itself is what is checked
        assert value != 1

    def test_undecodable_values_name_their_error(self) -> None:
        with pytest.raises(TaggedValueError, match=r"^TypeError$"):
            decode({"$t": "set", "v": [[1]]})  # an unhashable element
        with pytest.raises(TaggedValueError, match=r"^bytes not given as a list$"):
            loads('{"$t": "bytes", "v": 1000000}')

    def test_a_comparison_that_raises_is_not_equal(self) -> None:
        class Raises:
            def __eq__(self, other: object) -> bool:
                raise TypeError("no")

            __hash__ = object.__hash__

        assert not values_equal(Raises(), 1)
        assert values_equal(1, 1.0)


class TestLongIntegerNeighbours:
    def test_short_integers_beside_a_long_one_are_still_numbers(self) -> None:
        long = "1" + "0" * (INT_DIGITS + 1)
        assert value_equal(f"[1, {long}]", f"[1.0, {long}]", JSON)
        assert not value_equal(f"[1, {long}]", f"[2, {long}]", JSON)


class TestPolyRoot:
    SPEC = CheckerSpec(CheckerName.POLY_ROOT, abs_tol=1e-6, rel_tol=0.0)

    def test_a_root_after_the_marker_and_blank_lines(self) -> None:
        # p(x) = -2 + x: the first line that is neither blank nor a comment holds the coefficients
        test_input = f"{TYPED_MARKER}\n\n[-2, 1]\n[3]\n"
        assert poly_root(test_input, "2.0", self.SPEC)
        assert poly_root(test_input, "2", self.SPEC)
        assert not poly_root(test_input, "3.0", self.SPEC)

    def test_no_coefficients_no_root(self) -> None:
        assert not poly_root(f"{TYPED_MARKER}\n", "2.0", self.SPEC)
        assert not poly_root("", "0.0", self.SPEC)


class TestOverallDefaults:
    def test_no_compile_output_unless_given(self) -> None:
        ok = TestVerdict(index=0, verdict=Verdict.ACCEPTED, public=True)
        assert overall([ok]).compile_output == ""


async def test_summary_of_a_batch() -> None:
    result = await summary([2, 1, 2, 3], Tallies({"b": (2, 2), "a": (3, 1)}), errors=1)
    assert (result.graded, result.errors, result.accepted) == (4, 1, 3)
    assert [(q.question_id, q.samples, q.correct) for q in result.questions] == [("a", 3, 1), ("b", 2, 2)]
    a, b = result.questions
    assert [(p.k, round(p.value, 9)) for p in a.pass_at_k] == [
        (1, round(1 / 3, 9)),
        (2, round(2 / 3, 9)),
        (3, 1.0),
    ]
    assert [(p.k, p.value) for p in b.pass_at_k] == [(1, 1.0), (2, 1.0)]  # k up to each question's samples
    # overall: only the k every question has samples for
    assert [(p.k, round(p.value, 9)) for p in result.overall] == [(1, round(2 / 3, 9)), (2, round(5 / 6, 9))]


async def test_summary_without_ks_uses_those_every_question_allows() -> None:
    result = await summary([], Tallies({"a": (5, 5), "b": (7, 0)}), errors=0)
    assert [p.k for p in result.overall] == [1, 5]
    assert [p.k for p in result.questions[1].pass_at_k] == [1, 5]
    assert [round(p.value, 9) for p in result.overall] == [0.5, 0.5]


async def test_summary_of_nothing() -> None:
    result = await summary([1], Tallies(), errors=0)
    assert (result.graded, result.accepted, len(result.questions), len(result.overall)) == (0, 0, 0, 0)


async def test_summary_yields_to_the_loop_every_step() -> None:
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0)

    count = 2 * SUMMARY_STEP + 100
    samples = Tallies({f"q{i:05}": (1, 0) for i in range(count)})
    task = asyncio.ensure_future(ticker())
    await asyncio.sleep(0)
    started = ticks
    await summary([1], samples, errors=0)
    task.cancel()
    assert ticks - started == 2  # once after each SUMMARY_STEP questions


class TestFloatCheckerOnValues:
    """The float checker walks JSON values: numbers within the tolerances, everything else equal."""

    def test_strings_beside_numbers_must_be_equal(self) -> None:
        assert value_equal('["x", 1.0]', '["x", 1.0000000001]', FLOAT)
        assert value_equal('{"k": "v", "n": null}', '{"k": "v", "n": null}', FLOAT)
        assert not value_equal('["x", 1.0]', '["y", 1.0]', FLOAT)

    @pytest.mark.parametrize(
        ("got", "expected"),
        [('["a", "b"]', '"ab"'), ('"ab"', '["a", "b"]'), ("[1]", "null"), ('{"a": 1}', '["a"]'),
         ('["a"]', '{"a": 1}'), ('{"a": 1}', '"a"'), ("[1.0]", "1.0"), ("1.0", '"1.0"'), ("null", "0")],
    )  # fmt: skip
    def test_other_shapes_are_not_equal(self, got: str, expected: str) -> None:
        assert not value_equal(got, expected, FLOAT)
        assert not value_equal(expected, got, FLOAT)


class TestPolyRootAnswers:
    SPEC = CheckerSpec(CheckerName.POLY_ROOT, abs_tol=1e-6, rel_tol=0.0)

    @pytest.mark.parametrize("answer", ["true", '"1"', "[1]", "null", "not json", '{"x": 1}'])
    def test_only_a_number_is_an_answer(self, answer: str) -> None:
        assert poly_root("[-1, 1]\n", "1.0", self.SPEC)
        assert not poly_root("[-1, 1]\n", answer, self.SPEC)

    @pytest.mark.parametrize("coefficients", ['"0"', '"1"', '{"0": 0}', "0", "not json", '["a"]', "[[0]]"])
    def test_only_a_list_of_numbers_is_a_polynomial(self, coefficients: str) -> None:
        assert not poly_root(f"{coefficients}\n", "1.0", self.SPEC)

    def test_an_overflowing_value_is_no_root(self) -> None:
        assert not poly_root("[0, 0, 1]\n", "1e308", self.SPEC)

    def test_the_tolerance_is_inclusive(self) -> None:
        assert poly_root("[0.5]\n", "3", CheckerSpec(CheckerName.POLY_ROOT, abs_tol=0.5))
        assert not poly_root("[0.5]\n", "3", CheckerSpec(CheckerName.POLY_ROOT, abs_tol=0.25))


class TestEvalPlusRule:
    """Python's ==, then a tolerance only for float outputs (or the task's atol), same type and length."""

    def test_equal_values_in_other_texts(self) -> None:
        assert evalplus_equal(typed(1), typed(1.0), EP)
        assert evalplus_equal(typed([1, 2]), "[1,2]", EP)

    def test_no_tolerance_unless_the_output_is_floats(self) -> None:
        assert not evalplus_equal(typed([1, 2]), typed([1, 2.0000001]), EP)
        assert not evalplus_equal(typed(100000001), typed(100000000), EP)
        assert evalplus_equal(typed([1.0, 2.0000001]), typed([1.0, 2.0]), EP)

    def test_the_tolerance_needs_the_same_type_and_length(self) -> None:
        assert not evalplus_equal(typed([0.3000001]), typed((0.3,)), EP)
        assert not evalplus_equal(typed([0.3, 0.3]), typed([0.3]), EP)  # allclose alone would broadcast
        assert not evalplus_equal(typed([0.3]), typed([0.3, 0.3]), EP)

    def test_mbpp_arguments_are_lines_not_words(self) -> None:
        spaced = f'{TYPED_MARKER}\n{{"$t": "float", "v": "3.0"}}\n4'
        assert evalplus_equal(typed(35), typed(33), EP, task_id="Mbpp/581", entry_point="surface_Area",
                              test_input=spaced)  # fmt: skip


class TestPieces:
    """Long answers are split in pieces of about CHUNK characters: the pieces never change a result."""

    PAIRS: ClassVar[list[tuple[str, str, bool]]] = [
        ("1\n2\n3\n4\n5\n6", "1\n2\n3\n4\n5\n6", True),
        ("1\n2\n3\n4\n5\n6", "1\n2\n3\n4\n5\n7", False),
        ("12\n345\n6789\n0", "12\n345\n6789\n0.0", True),
        ("12\n345\n6789\n0", "12\n345\n678\n90", False),
        ("1 2\n3  4\n5 6", "1  2\n3 4\n5 6", True),
        ("1 2\n3 4\n5 6", "1\n2 3\n4 5 6", False),
        ("a\n\nb\n\nc", "a\n\nb\n\nc", True),
        ("a\n\nb\n\nc", "a\n\nb\nc\n", False),
    ]

    @pytest.mark.parametrize("chunk", [1, 2, 3, 4, 5, 7])
    def test_lines_in_pieces(self, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(checkers, "CHUNK", chunk)
        for got, expected, equal in self.PAIRS:
            assert lcb_equal(got, expected) is equal, (got, expected)
            assert lcb_equal(expected, got) is equal, (expected, got)

    @pytest.mark.parametrize("chunk", [1, 2, 3, 5])
    def test_tokens_in_pieces(self, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(checkers, "CHUNK", chunk)
        assert text_equal("10 200 3000 4 5", "10  200\n3000 4 5", TOKENS)
        assert not text_equal("10 200 3000 4 5", "10 200 300 04 5", TOKENS)
        assert not text_equal("10 200 3000 4 5", "10 200 3000 4", TOKENS)


class TestFloatTokens:
    SPEC = CheckerSpec(CheckerName.FLOAT, abs_tol=0.5, rel_tol=0.0)

    def test_infinities_in_other_spellings(self) -> None:
        assert text_equal("Infinity", "inf", FLOAT)
        assert text_equal("-inf", "-Infinity", FLOAT)
        assert not text_equal("inf", "-inf", FLOAT)
        assert not text_equal("inf", "1e308", FLOAT)

    def test_a_difference_past_any_number_is_not_close(self) -> None:
        huge = "9E+999999999999999999"
        assert not text_equal(huge, f"-{huge}", CheckerSpec(CheckerName.FLOAT, abs_tol=1e300, rel_tol=1.0))

    def test_the_tolerance_is_inclusive(self) -> None:
        assert text_equal("1.5", "1.0", self.SPEC)
        assert not text_equal("1.6", "1.0", self.SPEC)

    def test_a_signalling_nan_is_a_wrong_token(self) -> None:
        assert not lcb_equal("sNaN", "1")
        assert not lcb_equal("1", "sNaN")
        assert not text_equal("sNaN", "1", FLOAT)


class TestDetails:
    def test_an_answer_of_exactly_shown_characters_is_not_clipped(self) -> None:
        test = TestCase("\n", "1\n", True)
        detail = judge_test(stdin_question(), test, run(stdout=b"x" * SHOWN)).detail
        assert "chars)" not in detail
        assert "x" * SHOWN in detail
        assert (
            f"({SHOWN + 1} chars)"
            in judge_test(stdin_question(), test, run(stdout=b"x" * (SHOWN + 1))).detail
        )

    def test_a_lone_surrogate_in_an_answer_is_replaced_in_the_detail(self) -> None:
        test = TestCase("[]\n", "1", True)
        judgement = judge_test(call_question(), test, run(report={"value": '"\ud800"'}))
        assert judgement.verdict is Verdict.WRONG_ANSWER
        assert judgement.detail.startswith("expected 1, got ")
        judgement.detail.encode("utf-8")


class TestJudgeTests:
    def test_every_test_is_judged_unless_asked_to_stop(self) -> None:
        question = stdin_question()
        items = [(i, TestCase("\n", "1\n", False), run(stdout=b"2\n")) for i in range(3)]
        assert [j.verdict for j in judge_tests(question, items)] == [Verdict.WRONG_ANSWER] * 3
        assert len(judge_tests(question, items, stop_early=True)) == 1


def evalplus_question(qid: str = "Mbpp/295", entry_point: str = "sum_div") -> QuestionInfo:
    return QuestionInfo(id=qid, title="Q", kind=QuestionKind.CALL, entry_point=entry_point, limits=LIMITS,
                        checker=EP)  # fmt: skip


class TestJudgeCalls:
    """A call's answer under its question's rule: EvalPlus's on the typed value, poly roots, JSON."""

    def test_evalplus_questions_use_the_typed_value_and_the_task(self) -> None:
        test = TestCase(mbpp_input(7), typed(5), False)
        zero = run(report={"value": "0", "typed": typed(0)})
        assert judge_test(evalplus_question(), test, zero).verdict is Verdict.ACCEPTED  # MBPP's oracle
        other = evalplus_question("HumanEval/1", "sum_div")
        assert judge_test(other, test, zero).verdict is Verdict.WRONG_ANSWER
        wrong = judge_test(evalplus_question(), test, run(report={"value": "3", "typed": typed(3)}))
        assert (wrong.verdict, wrong.detail) == (Verdict.WRONG_ANSWER, "expected 5, got 3")

    def test_the_oracles_read_the_tests_arguments(self) -> None:
        test = TestCase(mbpp_input(3, 4), typed(33), False)
        formula = run(report={"value": "35", "typed": typed(35)})
        assert (
            judge_test(evalplus_question("Mbpp/581", "surface_Area"), test, formula).verdict
            is Verdict.ACCEPTED
        )

    def test_the_tuple_in_a_typed_value_counts(self) -> None:
        test = TestCase(mbpp_input(7), typed((1, 2)), False)
        as_list = run(report={"value": "[1, 2]", "typed": typed([1, 2])})
        assert (
            judge_test(evalplus_question("HumanEval/2", "f"), test, as_list).verdict is Verdict.WRONG_ANSWER
        )

    def test_other_checkers_use_the_plain_value(self) -> None:
        test = TestCase("[]\n", "[1, 2]", False)
        answer = run(report={"value": "[1, 2]", "typed": typed((1, 2))})
        assert judge_test(call_question(), test, answer).verdict is Verdict.ACCEPTED

    def test_poly_root_answers_plain_or_typed(self) -> None:
        spec = CheckerSpec(CheckerName.POLY_ROOT, abs_tol=1e-6, rel_tol=0.0)
        question = call_question(spec)
        test = TestCase(
            f"{TYPED_MARKER}\n[-2, 1]\n", "7.0", False
        )  # any root is right, not only the expected
        assert judge_test(question, test, run(report={"value": "2.0"})).verdict is Verdict.ACCEPTED
        assert judge_test(question, test, run(report={"typed": "2.0"})).verdict is Verdict.ACCEPTED
        assert (
            judge_test(question, test, run(report={"value": "2.0", "typed": "3.0"})).verdict
            is Verdict.ACCEPTED
        )
        wrong = judge_test(question, test, run(report={"value": "3.0"}))
        assert (wrong.verdict, wrong.detail) == (Verdict.WRONG_ANSWER, "expected 7.0, got 3.0")
        # without the poly-root checker, a typed value alone is no plain value
        json_only = judge_test(call_question(), TestCase("[]\n", "2.0", False), run(report={"typed": "2.0"}))
        assert json_only.verdict is Verdict.RUNTIME_ERROR

    def test_undecodable_stdout_is_replaced_not_refused(self) -> None:
        test = TestCase("\n", "\ufffd\n", False)
        assert judge_test(stdin_question(), test, run(stdout=b"\xff\n")).verdict is Verdict.ACCEPTED

    def test_an_exception_without_a_message(self) -> None:
        report = {"exception": "ValueError", "message": ""}
        judgement = judge_test(stdin_question(), TestCase("\n", "1\n", True), run(exit_code=1, report=report))
        assert (judgement.verdict, judgement.detail) == (Verdict.RUNTIME_ERROR, "ValueError")


class TestCheckerFailure:
    def test_a_checker_that_raises_is_a_wrong_answer_logged_by_name(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        def broken(*_args: object) -> bool:
            raise KeyError("secret expected output")

        monkeypatch.setattr(outcome, "text_equal", broken)
        with capture_logs() as logs:
            judgement = judge_test(
                stdin_question(), TestCase("\n", "1\n", False), run(stdout=b"1\n"), index=4
            )
        assert judgement == Judgement(Verdict.WRONG_ANSWER, "the answer could not be judged")
        expected = {"event": "checker_failed", "log_level": "error", "checker": "lcb", "question_id": "q",
                    "test_index": 4, "error_type": "KeyError"}  # fmt: skip
        assert logs == [expected]


class TestPassAtKExactness:
    def test_exact_up_to_and_including_exact_up_to(self) -> None:
        """At n = EXACT_UP_TO the binomials, rounded once (the product rounds at each factor)."""
        for c, k in ((1, 14), (1, 36), (1, 39), (1, 57)):
            assert pass_at_k(EXACT_UP_TO, c, k) == 1.0 - math.comb(EXACT_UP_TO - c, k) / math.comb(
                EXACT_UP_TO, k
            )
