"""The reference solution of clock-wildcards: every expected output is computed by it."""

from __future__ import annotations


def solve(pattern: str) -> int:
    count = 0
    for h in range(24):
        for m in range(60):
            text = f"{h:02d}:{m:02d}"
            if all(p in ("?", t) for p, t in zip(pattern, text, strict=True)):
                count += 1
    return count
