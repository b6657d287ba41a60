"""The arguments of each assert in vowel-heavy's check(candidate); the reference gives each value."""

from __future__ import annotations

CASES = [
    ("Aurora ate an egg",),
    ("",),
    ("rhythm myths",),
    ("IOU AIEE",),
    ("an at it",),
    ("queue, audio! idea?",),
    ("  oboe   ",),
    ("1234 ... a",),
]
