"""The reference solution of prime-factors: every expected output is computed by it."""

from __future__ import annotations


def factor(n: int) -> list[int]:
    out = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            out.append(d)
            n //= d
        d += 1
    if n > 1:
        out.append(n)
    return out


def solve(inp: str) -> str:
    toks = inp.split()
    t = int(toks[0])
    return "".join(" ".join(map(str, factor(int(x)))) + "\n" for x in toks[1 : 1 + t])
