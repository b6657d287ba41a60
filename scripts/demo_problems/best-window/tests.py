"""The test inputs of best-window, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import ints, seeded

rng = seeded(1212)
big = ints(rng, 20000, -10000, 10000)
for i in range(len(big) - 50, len(big)):
    big[i] = 10000 - rng.randint(0, 3)
PUBLIC = [([2, -1, 3, 4, -10, 1], 2), ([5, 5, -3, 1], 3)]
PRIVATE = [
    ([1, 2, 3, 10], 2),
    ([4, -2, 7], 3),
    ([-5, -2, -9], 1),
    ([-3, -1, -4, -1, -5], 2),
    (big, 50),
    (big, 1),
]
