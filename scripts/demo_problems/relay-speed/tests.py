"""The test inputs of relay-speed, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import seeded

rng = seeded(404)
legs = [(rng.randint(1, 1000), rng.randint(1, 1000)) for _ in range(1000)]
PUBLIC = ["2\n60 40\n60 60\n"]
PRIVATE = [
    "1\n5 17\n",
    "3\n1 3\n1 7\n1 11\n",
    "4\n10 9\n20 7\n30 13\n5 3\n",
    "2\n1000 1\n1 1000\n",
    f"{len(legs)}\n" + "".join(f"{d} {v}\n" for d, v in legs),
]
