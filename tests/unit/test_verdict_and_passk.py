"""A submission's overall verdict from its tests', and the pass@k estimator."""

from __future__ import annotations

import math
import time
from fractions import Fraction

import pytest

from grader.judge.passk import ks_allowed, mean_pass_at_k, pass_at_k, tally
from grader.judge.verdict import TestVerdict, Verdict, overall


def suite(*verdicts: Verdict) -> list[TestVerdict]:
    return [TestVerdict(index=i, verdict=v, public=i == 0) for i, v in enumerate(verdicts)]


AC, WA, TLE, RE, SKIP = (
    Verdict.ACCEPTED,
    Verdict.WRONG_ANSWER,
    Verdict.TIME_LIMIT_EXCEEDED,
    Verdict.RUNTIME_ERROR,
    Verdict.SKIPPED,
)


class TestOverall:
    """ACCEPTED iff every test is ACCEPTED, else the first non-accepted test's verdict; never for no tests."""

    def test_all_accepted(self) -> None:
        result = overall(suite(AC, AC, AC))
        assert result.verdict is Verdict.ACCEPTED
        assert (result.tests_passed, result.tests_total) == (3, 3)
        assert result.pass_rate == 1.0

    def test_single_accepted(self) -> None:
        assert overall(suite(AC)).verdict is Verdict.ACCEPTED

    @pytest.mark.parametrize(
        ("verdicts", "expected"),
        [
            ((WA, TLE), WA),
            ((AC, TLE, WA), TLE),
            ((AC, AC, RE), RE),
            ((AC, Verdict.MEMORY_LIMIT_EXCEEDED, AC), Verdict.MEMORY_LIMIT_EXCEEDED),
            ((Verdict.COMPILE_ERROR, Verdict.COMPILE_ERROR), Verdict.COMPILE_ERROR),
            ((AC, Verdict.INTERNAL_ERROR, WA), Verdict.INTERNAL_ERROR),
        ],
    )
    def test_first_failure_decides(self, verdicts: tuple[Verdict, ...], expected: Verdict) -> None:
        result = overall(suite(*verdicts))
        assert result.verdict is expected
        assert result.tests_passed == verdicts.count(AC)

    def test_skipped_counts_as_not_passed(self) -> None:
        result = overall(suite(AC, WA, SKIP, SKIP))
        assert result.verdict is WA
        assert (result.tests_passed, result.tests_total) == (1, 4)
        assert result.pass_rate == 0.25

    def test_only_skipped_is_not_accepted(self) -> None:
        result = overall(suite(SKIP, SKIP))
        assert result.verdict is SKIP
        assert result.tests_passed == 0

    def test_empty_suite_is_never_accepted(self) -> None:
        result = overall([])
        assert result.verdict is not Verdict.ACCEPTED
        assert result.verdict is Verdict.INTERNAL_ERROR
        assert (result.tests_passed, result.tests_total, result.pass_rate) == (0, 0, 0.0)

    def test_keeps_tests_and_compile_output(self) -> None:
        tests = suite(Verdict.COMPILE_ERROR)
        result = overall(tests, "SyntaxError: x")
        assert result.tests == tuple(tests)
        assert result.compile_output == "SyntaxError: x"

    def test_pass_rate(self) -> None:
        assert overall(suite(AC, WA, AC)).pass_rate == pytest.approx(2 / 3)
        assert overall(suite(WA, WA)).pass_rate == 0.0

    def test_unspecified_verdict_is_not_accepted(self) -> None:
        result = overall(suite(AC, Verdict.VERDICT_UNSPECIFIED))
        assert result.verdict is not Verdict.ACCEPTED


def stable_pass_at_k(n: int, c: int, k: int) -> float:
    """Chen et al.'s numerically stable form."""
    return 1.0 - math.prod(1.0 - k / i for i in range(n - c + 1, n + 1))


class TestPassAtK:
    """pass@k is the unbiased estimator 1 - C(n-c, k) / C(n, k), 1.0 when n - c < k."""

    @pytest.mark.parametrize(
        ("n", "c", "k", "expected"),
        [
            (10, 3, 1, Fraction(3, 10)),
            (10, 3, 5, 1 - Fraction(21, 252)),  # C(7,5) = 21, C(10,5) = 252
            (10, 1, 5, Fraction(1, 2)),  # 1 - C(9,5)/C(10,5) = 1 - 126/252
            (5, 0, 1, Fraction(0)),
            (5, 0, 5, Fraction(0)),
            (5, 5, 1, Fraction(1)),
            (10, 3, 10, Fraction(1)),
            (1, 1, 1, Fraction(1)),
            (1, 0, 1, Fraction(0)),
            (100, 7, 10, 1 - Fraction(math.comb(93, 10), math.comb(100, 10))),
        ],
    )
    def test_hand_computed(self, n: int, c: int, k: int, expected: Fraction) -> None:
        assert pass_at_k(n, c, k) == pytest.approx(float(expected), abs=1e-12)

    @pytest.mark.parametrize(("n", "c", "k"), [(5, 3, 3), (5, 4, 2), (10, 9, 5), (6, 2, 5)])
    def test_fewer_wrong_than_k_is_certain(self, n: int, c: int, k: int) -> None:
        assert n - c < k
        assert pass_at_k(n, c, k) == 1.0

    @pytest.mark.parametrize(
        ("n", "c", "k"),
        [(5, 6, 1), (5, -1, 1), (5, 2, 0), (5, 2, 6), (0, 0, 1), (5, 2, -1), (0, 0, 0)],
    )
    def test_invalid_arguments_raise(self, n: int, c: int, k: int) -> None:
        with pytest.raises(ValueError, match=f"n={n} c={c} k={k}"):
            pass_at_k(n, c, k)

    def test_matches_the_stable_product_formula(self) -> None:
        checked = 0
        for n in range(1, 31):
            for c in range(n + 1):
                for k in range(1, n + 1):
                    assert pass_at_k(n, c, k) == pytest.approx(stable_pass_at_k(n, c, k), abs=1e-9), (n, c, k)
                    checked += 1
        assert checked == sum(n * (n + 1) for n in range(1, 31))

    def test_exact_for_small_n(self) -> None:
        """Up to EXACT_UP_TO samples: the exact binomial ratio, rounded once."""
        for n, c, k in ((200, 100, 50), (200, 1, 199), (150, 75, 75), (37, 5, 12)):
            exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k))
            assert pass_at_k(n, c, k) == float(exact), (n, c, k)

    @pytest.mark.parametrize("n", [201, 500, 1000, 2000])
    def test_large_n_matches_the_exact_value(self, n: int) -> None:
        for c in (0, 1, 2, n // 10, n // 2, n - 3, n):
            for k in (1, 2, 5, 10, 100, n // 3, n - c - 1, n - c, n):
                if not 1 <= k <= n:
                    continue
                exact = 1 - Fraction(math.comb(n - c, k), math.comb(n, k)) if n - c >= k else Fraction(1)
                assert pass_at_k(n, c, k) == pytest.approx(float(exact), rel=1e-9, abs=1e-12), (n, c, k)

    def test_every_k_up_to_10000_is_fast(self) -> None:
        """The finding: ks 1..10000 over n = 10000 spent 54 s in binomials."""
        started = time.monotonic()
        values = [pass_at_k(10_000, c, k) for c in (1, 5000, 9999) for k in range(1, 10_001)]
        assert time.monotonic() - started < 10
        assert all(0.0 <= v <= 1.0 for v in values)
        assert pass_at_k(10_000, 5000, 1) == pytest.approx(0.5)
        assert pass_at_k(10_000, 1, 10_000) == 1.0

    def test_grows_with_k_and_c(self) -> None:
        assert pass_at_k(20, 3, 1) < pass_at_k(20, 3, 5) < pass_at_k(20, 3, 10)
        assert pass_at_k(20, 1, 5) < pass_at_k(20, 2, 5) < pass_at_k(20, 3, 5)


class TestKsAllowed:
    """Only the k values every question has enough samples for are reported."""

    @pytest.mark.parametrize(
        ("counts", "expected"),
        [
            ([1], [1]),
            ([4, 100], [1]),
            ([5, 7], [1, 5]),
            ([10, 12], [1, 5, 10]),
            ([100, 200], [1, 5, 10, 100]),
            ([], []),
            ([0], []),
        ],
    )
    def test_default_candidates(self, counts: list[int], expected: list[int]) -> None:
        assert ks_allowed(counts) == expected

    def test_accepts_any_iterable_and_candidates(self) -> None:
        assert ks_allowed((n for n in (3, 8)), candidates=(1, 2, 3, 4)) == [1, 2, 3]


class TestMeanPassAtK:
    """The overall pass@k is the plain mean of the per-question values."""

    def test_mean_over_questions(self) -> None:
        results = {"a": (10, 3), "b": (5, 0), "c": (4, 4)}
        assert mean_pass_at_k(results, 1) == pytest.approx((0.3 + 0.0 + 1.0) / 3)

    def test_k_above_one(self) -> None:
        results = {"a": (10, 1), "b": (10, 0)}
        assert mean_pass_at_k(results, 5) == pytest.approx(0.25)

    def test_no_questions_is_zero(self) -> None:
        assert mean_pass_at_k({}, 1) == 0.0

    def test_k_over_a_question_sample_count_raises(self) -> None:
        with pytest.raises(ValueError):
            mean_pass_at_k({"a": (10, 1), "b": (3, 0)}, 5)


class TestTally:
    def test_each_sample_counts_once_and_only_accepted_ones_count_as_correct(self) -> None:
        tallies = tally([("q/1", True), ("q/2", False), ("q/1", False), ("q/1", True), ("q/2", False)])
        assert tallies == {"q/1": (3, 2), "q/2": (2, 0)}
        assert tallies.overall([1, 2, 5]) == {
            1: pytest.approx((2 / 3 + 0) / 2),
            2: pytest.approx((1 + 0) / 2),
        }

    def test_no_samples_no_questions(self) -> None:
        assert tally([]) == {}
        assert tally([]).overall() == {}
