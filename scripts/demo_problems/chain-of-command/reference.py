"""The reference solution of chain-of-command: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    toks = inp.split()
    n = int(toks[0])
    children: list[list[int]] = [[] for _ in range(n + 1)]
    root = 0
    for i in range(1, n + 1):
        m = int(toks[i])
        if m == 0:
            root = i
        else:
            children[m].append(i)
    level = [root]
    depth = 1
    while True:
        nxt = [c for v in level for c in children[v]]
        if not nxt:
            return f"{depth} {len(level)}\n"
        level, depth = nxt, depth + 1
