"""The test inputs of bracket-repair, from a seeded RNG where they are large."""

from __future__ import annotations

from testdata import seeded

rng = seeded(808)
strings = ["".join(rng.choice("()") for _ in range(rng.randint(1, 500))) for _ in range(200)]
PUBLIC = ["3\n(()\n())\n()\n"]
PRIVATE = [
    "1\n)(\n",
    "4\n)))\n(((\n)))(((\n()()\n",
    "1\n" + "(" * 1000 + "\n",
    f"{len(strings)}\n" + "".join(x + "\n" for x in strings),
]
