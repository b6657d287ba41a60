"""The test inputs of calm-stretch, from a seeded RNG where they are large."""

from __future__ import annotations

import random

from testdata import line, seeded


def walk(rng: random.Random, n: int, step: int, start: int) -> list[int]:
    h, out = start, []
    for _ in range(n):
        h = min(1000, max(0, h + rng.randint(-step, step)))
        out.append(h)
    return out


rng = seeded(606)
small = walk(rng, 1000, 6, 500)
big = walk(rng, 50000, 12, 500) + walk(rng, 150000, 7, 500)
PUBLIC = ["8 2\n5 6 8 3 4 4 6 1\n"]
PRIVATE = [
    "1 0\n7\n",
    "5 0\n3 3 3 3 3\n",
    "6 0\n1 2 3 4 5 6\n",
    "6 1000\n0 1000 0 1000 0 1000\n",
    f"{len(small)} 4\n{line(small)}\n",
    f"{len(big)} 7\n{line(big)}\n",
]
