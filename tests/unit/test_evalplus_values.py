"""EvalPlus's output comparison on tagged JSON, outside the sandbox."""

from __future__ import annotations

import json
import sys

from grader.bank.model import CheckerName, CheckerSpec
from grader.judge.values import evalplus_equal
from grader.runner.codec import tagged

DEFAULT_DIGITS = sys.get_int_max_str_digits()
SPEC = CheckerSpec(CheckerName.EVALPLUS, abs_tol=0.0, rel_tol=1e-7)


def typed(value: object) -> str:
    return json.dumps(tagged(value), allow_nan=True)


class TestEvalPlusEqual:
    def test_equal_values(self) -> None:
        assert evalplus_equal(typed([1, "a", (2, 3)]), typed([1, "a", (2, 3)]), SPEC)

    def test_a_tuple_is_not_a_list(self) -> None:
        assert not evalplus_equal(typed([2, 3]), typed((2, 3)), SPEC)

    def test_floats_within_the_default_tolerance(self) -> None:
        assert evalplus_equal(typed([0.1 + 0.2]), typed([0.3]), SPEC)
        assert not evalplus_equal(typed([0.31]), typed([0.3]), SPEC)

    def test_ints_past_4300_digits(self) -> None:
        """Python refuses to decode such ints (the sandbox writes them); the same answer is still
        the same answer, and another one is wrong, not a crash."""
        big = 18 * 10**5000
        sys.set_int_max_str_digits(0)
        try:
            one, two, pair = typed(big), typed(big + 1), typed([big, big + 1])
        finally:
            sys.set_int_max_str_digits(DEFAULT_DIGITS)
        assert evalplus_equal(one, one, SPEC)
        assert evalplus_equal(pair, pair, SPEC)
        assert not evalplus_equal(two, one, SPEC)

    def test_nan_is_never_equal(self) -> None:
        """As in EvalPlus: nan == nan is false, and allclose does not take nans as equal."""
        assert not evalplus_equal(typed(float("nan")), typed(float("nan")), SPEC)

    def test_set_oracle_still_decides_for_identical_text(self) -> None:
        """Mbpp's set-equality tasks compare as sets even when the texts are the same."""
        answer = typed([3, 1, 2])
        assert evalplus_equal(answer, answer, SPEC, task_id="Mbpp/2", entry_point="similar_elements")
        assert evalplus_equal(
            typed([1, 2, 3]), answer, SPEC, task_id="Mbpp/2", entry_point="similar_elements"
        )
