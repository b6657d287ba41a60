"""The test inputs of busy-dock, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import seeded

rng = seeded(1313)
many = []
for _ in range(5000):
    a = rng.randint(0, 999)
    many.append([a, a + rng.randint(1, 30)])
relay = [[i, i + 1] for i in range(300)]
PUBLIC = [([[1, 4], [2, 5], [7, 8]],), ([[0, 10], [1, 2], [3, 4], [5, 6]],)]
PRIVATE = [
    ([[1, 3], [3, 5]],),
    ([[1, 2]],),
    ([[1, 5], [5, 9], [9, 12], [2, 4]],),
    (relay,),
    ([[0, 1000000000]] * 7,),
    (many,),
]
