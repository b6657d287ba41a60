"""The reference solution of digit-persistence: every expected output is computed by it."""

from __future__ import annotations


def solve(n: int) -> int:
    steps = 0
    while n >= 10:
        product = 1
        for ch in str(n):
            product *= int(ch)
        n = product
        steps += 1
    return steps
