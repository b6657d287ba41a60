"""The reference solution of peak-hours: every expected output is computed by it."""

from __future__ import annotations


def solve(visitors: list[int]) -> list[int]:
    n = len(visitors)
    return [
        i
        for i in range(n)
        if (i == 0 or visitors[i] > visitors[i - 1]) and (i == n - 1 or visitors[i] > visitors[i + 1])
    ]
