"""The test inputs of even-split, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import ints, seeded

rng = seeded(1010)
left = ints(rng, 5000, -1000, 1000)
right = ints(rng, 4999, -1000, 1000)
right.append(sum(left) - sum(right))
odd_total = ints(rng, 8000, 0, 1000)
if sum(odd_total) % 2 == 0:
    odd_total[0] += 1
PUBLIC = [([1, 2, 3],), ([1, 1, 1],)]
PRIVATE = [
    ([5],),
    ([0, 0],),
    ([3, -1, 2],),
    ([-2, 5, -3],),
    ([2, -2, 4, -4],),
    (left + right,),
    (odd_total,),
]
