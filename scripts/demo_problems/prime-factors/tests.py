"""The test inputs of prime-factors, from a seeded RNG where they are large."""

from __future__ import annotations

import math

from testdata import ints, seeded


def is_prime(n: int) -> bool:
    return n >= 2 and all(n % d for d in range(2, math.isqrt(n) + 1))


big_primes: list[int] = []
candidate = 10**9
while len(big_primes) < 20:
    if is_prime(candidate):
        big_primes.append(candidate)
    candidate -= 1
rng = seeded(505)
mixed = ints(rng, 20, 2, 10**9)
PUBLIC = ["3\n12\n7\n100\n"]
PRIVATE = [
    "1\n2\n",
    "4\n999999937\n536870912\n999999999\n1000000000\n",
    "3\n900660121\n2\n3\n",
    f"{len(big_primes)}\n" + "".join(f"{p}\n" for p in big_primes),
    f"{len(mixed)}\n" + "".join(f"{x}\n" for x in mixed),
]
