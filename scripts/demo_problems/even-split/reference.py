"""The reference solution of even-split: every expected output is computed by it."""

from __future__ import annotations


def solve(weights: list[int]) -> bool:
    total = sum(weights)
    prefix = 0
    for w in weights[:-1]:
        prefix += w
        if 2 * prefix == total:
            return True
    return False
