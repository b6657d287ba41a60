"""The reference solution of best-window: every expected output is computed by it."""

from __future__ import annotations


def solve(sales: list[int], k: int) -> int:
    return max(sum(sales[i : i + k]) for i in range(len(sales) - k + 1))
