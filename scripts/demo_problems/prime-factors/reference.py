"""The reference solution of prime-factors: every expected output is computed by it."""

from __future__ import annotations

import math


def smallest_divisor(n: int) -> int:
    return next((d for d in range(2, math.isqrt(n) + 1) if n % d == 0), n)


def factor(n: int) -> list[int]:
    out = []
    while n > 1:
        d = smallest_divisor(n)
        out.append(d)
        n //= d
    return out


def solve(inp: str) -> str:
    toks = inp.split()
    t = int(toks[0])
    return "".join(" ".join(map(str, factor(int(x)))) + "\n" for x in toks[1 : 1 + t])
