"""The reference solution of busy-dock: every expected output is computed by it."""

from __future__ import annotations


def solve(visits: list[list[int]]) -> int:
    events = sorted([(a, 1) for a, _ in visits] + [(b, -1) for _, b in visits])
    best = cur = 0
    for _, delta in events:  # at equal times, departures (-1) sort first
        cur += delta
        best = max(best, cur)
    return best
