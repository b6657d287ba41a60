"""The reference solution of second-highest: every expected output is computed by it."""

from __future__ import annotations


def solve(scores: list[int]) -> int | None:
    distinct = sorted(set(scores), reverse=True)
    return distinct[1] if len(distinct) >= 2 else None
