"""The reference solution of bracket-repair: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    lines = inp.split("\n")
    t = int(lines[0])
    out = []
    for s in lines[1 : 1 + t]:
        open_, added = 0, 0
        for ch in s:
            if ch == "(":
                open_ += 1
            elif open_:
                open_ -= 1
            else:
                added += 1
        out.append(str(added + open_))
    return "\n".join(out) + "\n"
