"""The test inputs of visible-crates, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import ints, line, seeded

rng = seeded(101)
big = ints(rng, 2000, 1, 10**6)
stairs = sorted(ints(rng, 500, 1, 60))
PUBLIC = ["6\n3 1 4 1 5 2\n", "5\n1 2 3 4 5\n"]
PRIVATE = [
    "1\n42\n",
    "4\n7 7 7 7\n",
    "6\n9 8 7 6 5 4\n",
    "7\n2 2 5 5 9 9 10\n",
    f"{len(stairs)}\n{line(stairs)}\n",
    f"{len(big)}\n{line(big)}\n",
]
