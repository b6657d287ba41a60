"""The arguments of each assert in alternate-caps's check(candidate); the reference gives each value."""

from __future__ import annotations

CASES = [
    ("hello world",),
    ("a-b-c",),
    ("",),
    ("123 !?",),
    ("ABCD",),
    ("x",),
    ("Mixed CASE input, 42 times.",),
    ("  spaced  out  ",),
]
