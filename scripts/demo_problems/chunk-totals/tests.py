"""The arguments of each assert in chunk-totals's check(candidate); the reference gives each value."""

from __future__ import annotations

CASES = [
    ([1, 2, 3, 4, 5], 2),
    ([], 3),
    ([5], 1),
    ([1, 1, 1], 5),
    ([4, -4, 4, -4], 2),
    (list(range(10)), 3),
    ([9, 8, 7], 1),
]
