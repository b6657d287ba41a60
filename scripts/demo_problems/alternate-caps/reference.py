"""The reference solution of alternate-caps: every expected output is computed by it."""

from __future__ import annotations


def solve(text: str) -> str:
    out = []
    letters = 0
    for ch in text:
        if not ch.isalpha():
            out.append(ch)
            continue
        out.append(ch.lower() if letters % 2 else ch.upper())
        letters += 1
    return "".join(out)
