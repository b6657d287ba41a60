"""The test inputs of run-length, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import seeded

rng = seeded(1111)
long_text = "".join(rng.choice("abc") * rng.choice((1, 1, 2, 3, 9, 10, 11, 27)) for _ in range(800))
PUBLIC = [("aaabccdddd",), ("xyz",)]
PRIVATE = [("",), ("q",), ("a" * 12,), ("zzzzzzzzzzy",), ("abababab",), (long_text,)]
