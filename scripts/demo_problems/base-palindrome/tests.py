"""The arguments of each assert in base-palindrome's check(candidate); the reference gives each value."""

from __future__ import annotations

CASES = [
    (5, 2),
    (10, 10),
    (0, 7),
    (9, 10),
    (121, 10),
    (6, 2),
    (255, 16),
    (1295, 36),
    (1296, 36),
    (585, 2),
]
