"""The parity report's rules: which disagreements count, and what evidence explains one."""

from __future__ import annotations

import pytest

from bench.parity import NEAR_LIMIT, Disagreement, compare
from grader.evaluate import Sample, SampleResult


def disagreement(ours: str, **evidence: object) -> Disagreement:
    d = Disagreement("m", "base", "T/1", "code", ours, "base pass", 0, **evidence)  # type: ignore[arg-type]
    d.settle()
    return d


def test_fresh_peer_verdict_agreeing_with_ours_explains_any_verdict() -> None:
    d = disagreement("WRONG_ANSWER", fresh="base fail", fresh_agrees=True)
    assert d.explained
    assert "fresh" in d.why


@pytest.mark.parametrize("ours", ["TIME_LIMIT_EXCEEDED", "ACCEPTED"])
@pytest.mark.parametrize(
    ("cpu_ms", "explained"),
    [(1000 * (1 - NEAR_LIMIT), True), (1000 * (1 + NEAR_LIMIT), True), (1000, True),
     (1000 * (1 + NEAR_LIMIT) + 1, False), (1000 * (1 - NEAR_LIMIT) - 1, False), (0, False)],
)  # fmt: skip
def test_cpu_near_the_limit_explains_a_time_shaped_one(ours: str, cpu_ms: float, explained: bool) -> None:
    d = disagreement(ours, fresh_agrees=False, limit_ms=1000.0, cpu_ms=cpu_ms, cpu_finished=True)
    assert d.explained is explained


def test_our_timeout_on_an_input_that_needs_well_under_the_limit_is_never_explained() -> None:
    d = disagreement("TIME_LIMIT_EXCEEDED", fresh="base fail", fresh_agrees=True, limit_ms=1000.0,
                     cpu_ms=650.0, cpu_finished=True)  # fmt: skip
    assert not d.explained
    assert "well under" in d.why


def test_cpu_stopped_at_the_raised_limit_explains_nothing() -> None:
    d = disagreement("TIME_LIMIT_EXCEEDED", fresh_agrees=False, limit_ms=1000.0, cpu_ms=1000.0)
    assert not d.explained


@pytest.mark.parametrize("ours", ["WRONG_ANSWER", "RUNTIME_ERROR", "MEMORY_LIMIT_EXCEEDED"])
def test_cpu_near_the_limit_does_not_explain_a_wrong_answer(ours: str) -> None:
    d = disagreement(ours, fresh_agrees=False, limit_ms=1000.0, cpu_ms=1000.0, cpu_finished=True)
    assert not d.explained


def test_nothing_measured_is_unexplained() -> None:
    assert not disagreement("TIME_LIMIT_EXCEEDED").explained


def test_an_ungraded_sample_is_never_explained() -> None:
    d = disagreement("not graded", graded=False, fresh_agrees=True, limit_ms=1000.0, cpu_ms=1000.0,
                     cpu_finished=True)  # fmt: skip
    assert not d.explained


def result(task: str, verdict: str, code: str = "x = 1") -> SampleResult:
    return SampleResult(Sample(0, task, code, None), verdict, tests=[verdict])


def test_compare_counts_agreement_and_lists_every_disagreement_both_ways() -> None:
    rows = {
        "A": {"base_status": "pass", "plus_status": "pass"},
        "B": {"base_status": "fail", "plus_status": "fail"},
        "C": {"base_status": "pass", "plus_status": "fail"},
        "D": {"base_status": "fail", "plus_status": "fail"},
        "E": {"base_status": "pass", "plus_status": "pass"},
        "F": {"base_status": "fail", "plus_status": "fail"},
    }
    results = [
        result("A", "ACCEPTED"),
        result("B", "WRONG_ANSWER"),
        result("C", "TIME_LIMIT_EXCEEDED"),  # a pass there: listed
        result("D", "ACCEPTED"),  # a fail there: listed
        result("E", "ERROR_NOT_FOUND"),  # not in the bank: listed, never agreement
        result("F", "ERROR_INVALID_ARGUMENT", code=" "),  # blank: a fail both sides
    ]
    agree, found = compare("m", rows, results, "base")
    assert agree == 3
    assert [(d.task, d.ours.split(" ")[0], d.graded) for d in found] == [
        ("C", "TIME_LIMIT_EXCEEDED", True), ("D", "ACCEPTED", True), ("E", "not", False)
    ]  # fmt: skip
    assert found[0].failed_input == 0
    assert found[1].failed_input is None
    agree_plus, found_plus = compare("m", rows, results, "plus")
    assert agree_plus == 4  # C fails plus there too
    assert [d.task for d in found_plus] == ["D", "E"]
