"""The reference solution of calm-stretch: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    toks = inp.split()
    n, k = int(toks[0]), int(toks[1])
    h = list(map(int, toks[2 : 2 + n]))
    best = run = 1
    for i in range(1, n):
        run = run + 1 if abs(h[i] - h[i - 1]) <= k else 1
        best = max(best, run)
    return f"{best}\n"
