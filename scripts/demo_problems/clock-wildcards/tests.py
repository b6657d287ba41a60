"""The test inputs of clock-wildcards, from a seeded RNG where they are large."""

from __future__ import annotations

PUBLIC = [("1?:?5",), ("0?:3?",)]
PRIVATE = [
    ("??:??",),
    ("2?:??",),
    ("?4:??",),
    ("23:59",),
    ("24:00",),
    ("?9:5?",),
    ("??:6?",),
    ("2?:00",),
]
