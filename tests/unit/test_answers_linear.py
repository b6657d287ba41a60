"""Answer extraction takes time linear in the answer: answers are untrusted text of any size."""

from __future__ import annotations

import re
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from grader.answers import _strip_blank_lines, extract_code, strip_reasoning

# Pieces an adversarial answer is made of: every token the extractor looks for, and filler.
_PIECES = ["<think>", "</think>", "```", "```python", "\n", "\r\n", "\r", " ", "\t", "a", "<", ">"]
_pieces = st.lists(st.sampled_from(_PIECES), min_size=1, max_size=12).map("".join)


def _reference_strip(text: str) -> str:
    """The rule as a lazy regex states it (quadratic on many unclosed ``<think>``)."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = re.sub(r"<think>.*?</think>", "", text, flags=re.DOTALL)
    if "</think>" in text:
        text = text[text.rindex("</think>") + len("</think>") :]
    if "<think>" in text:
        text = text[: text.index("<think>")]
    return text


def _reference_strip_blank_lines(text: str) -> str:
    """Leading blank lines popped one by one (quadratic on many)."""
    lines = text.rstrip().split("\n")
    while lines and not lines[0].strip():
        lines.pop(0)
    return "\n".join(lines)


def _seconds(answer: str) -> float:
    best = float("inf")
    for _ in range(3):  # the least of three: a shared machine adds noise, never removes it
        start = time.perf_counter()
        extract_code(answer)
        best = min(best, time.perf_counter() - start)
    return best


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_PIECES), max_size=40).map("".join))
def test_think_removal_matches_the_regex_rule(answer: str) -> None:
    assert strip_reasoning(answer) == _reference_strip(answer)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["\n", " ", "\t", "a", "\x0b", "\u2028", "  b"]), max_size=30).map("".join))
def test_blank_line_removal_matches_the_simple_rule(text: str) -> None:
    assert _strip_blank_lines(text) == _reference_strip_blank_lines(text)


@settings(max_examples=25, deadline=None)
@given(_pieces)
def test_time_grows_linearly_with_length(pattern: str) -> None:
    """8x the length may take 8x the time and a generous margin; quadratic work would take 64x."""
    small = pattern * (64_000 // len(pattern) + 1)
    large = pattern * (512_000 // len(pattern) + 1)
    assert _seconds(large) <= 4 * 8 * _seconds(small) + 0.05


def test_a_megabyte_adversarial_answer_is_quick() -> None:
    for answer in (
        "<think>" * ((1 << 20) // 7),
        "\n" * (1 << 20) + "x",
        "```\n" * (1 << 18),
        "<think>a</think" * (1 << 16),
    ):
        assert _seconds(answer) < 1.0
