"""The reference solution of base-palindrome: every expected output is computed by it."""

from __future__ import annotations


def solve(n: int, base: int) -> bool:
    digits = []
    while True:
        digits.append(n % base)
        n //= base
        if n == 0:
            break
    return digits == digits[::-1]
