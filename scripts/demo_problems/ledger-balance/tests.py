"""The test inputs of ledger-balance, from a seeded RNG where they are large."""

from __future__ import annotations

import random

from testdata import seeded


def random_ops(rng: random.Random, start: int, n: int) -> str:
    balance = start
    rows = []
    for _ in range(n):
        r = rng.random()
        if r < 0.4:
            x = rng.randint(1, 10**6)
            rows.append(f"deposit {x}")
            balance += x
        elif r < 0.55 and balance > 0:
            rows.append(f"withdraw {balance}")  # exactly the balance: allowed
            balance = 0
        else:
            x = rng.randint(1, 2 * 10**6)
            rows.append(f"withdraw {x}")
            if x <= balance:
                balance -= x
    return f"{start} {n}\n" + "\n".join(rows) + "\n"


rng = seeded(303)
PUBLIC = ["10 4\ndeposit 5\nwithdraw 20\nwithdraw 3\ndeposit 1\n"]
PRIVATE = [
    "7 3\nwithdraw 7\nwithdraw 1\ndeposit 2\n",
    "0 1\nwithdraw 1\n",
    "1000000000 3\ndeposit 1000000000\nwithdraw 2000000000\nwithdraw 1\n",
    random_ops(rng, 500, 200),
    random_ops(rng, 10**6, 10000),
]
