"""The reference solution of exact-product: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    toks = inp.split()
    n = int(toks[0])
    product = 1
    for a in map(int, toks[1 : 1 + n]):
        product *= a
    return f"{product}\n"
