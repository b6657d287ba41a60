"""The reference solution of visible-crates: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    toks = inp.split()
    n = int(toks[0])
    best, seen = 0, 0
    for h in map(int, toks[1 : 1 + n]):
        if h > best:
            best, seen = h, seen + 1
    return f"{seen}\n"
