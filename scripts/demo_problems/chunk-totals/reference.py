"""The reference solution of chunk-totals: every expected output is computed by it."""

from __future__ import annotations


def solve(values: list[int], size: int) -> list[int]:
    return [sum(values[i : i + size]) for i in range(0, len(values), size)]
