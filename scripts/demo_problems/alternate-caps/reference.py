"""The reference solution of alternate-caps: every expected output is computed by it."""

from __future__ import annotations


def solve(text: str) -> str:
    out, upper = [], True
    for ch in text:
        if ch.isalpha():
            out.append(ch.upper() if upper else ch.lower())
            upper = not upper
        else:
            out.append(ch)
    return "".join(out)
