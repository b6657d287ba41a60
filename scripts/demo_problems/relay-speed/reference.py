"""The reference solution of relay-speed: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    toks = inp.split()
    n = int(toks[0])
    distance = 0
    hours = 0.0
    for i in range(n):
        d, v = int(toks[1 + 2 * i]), int(toks[2 + 2 * i])
        distance += d
        hours += d / v
    return f"{distance / hours:.10f}\n"
