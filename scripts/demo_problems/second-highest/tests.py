"""The arguments of each assert in second-highest's check(candidate); the reference gives each value."""

from __future__ import annotations

CASES = [
    ([4, 9, 9, 2],),
    ([3, 3],),
    ([],),
    ([1],),
    ([-5, -1, -3],),
    ([10, 10, 9, 9, 8],),
    ([0, 100],),
    ([7, 7, 7, 6],),
]
