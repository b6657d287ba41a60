"""The test inputs of exact-product, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import line, seeded

rng = seeded(202)
big = [rng.randint(10**8, 10**9) * rng.choice((1, -1)) for _ in range(2000)]
if sum(1 for a in big if a < 0) % 2 == 0:
    big[0] = -big[0]
nines = [999999999] * 1500
PUBLIC = ["3\n2 3 7\n", "4\n1000000000 1000000000 1000000000 7\n"]
PRIVATE = [
    "1\n-5\n",
    "3\n-2 3 4\n",
    "5\n12 0 -7 999999999 3\n",
    "2\n-1 -1\n",
    f"{len(nines)}\n{line(nines)}\n",
    f"{len(big)}\n{line(big)}\n",
]
