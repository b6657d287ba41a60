"""The test inputs of peak-hours, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import ints, seeded

rng = seeded(909)
PUBLIC = [([1, 3, 2, 5, 5, 1],), ([4, 1, 4],)]
PRIVATE = [
    ([7],),
    ([2, 2, 2],),
    ([1, 2, 3, 4],),
    ([5, 4],),
    (ints(rng, 10000, 0, 50),),
    (ints(rng, 10000, 0, 10**6),),
]
