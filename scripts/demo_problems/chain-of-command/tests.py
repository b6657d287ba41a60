"""The test inputs of chain-of-command, from a seeded RNG where they are large."""

from __future__ import annotations

import itertools

from testdata import line, seeded


def encode(parents: dict[int, int], n: int) -> str:
    return f"{n}\n" + line([parents[i] for i in range(1, n + 1)]) + "\n"


rng = seeded(707)
n_chain = 100000
order = list(range(1, n_chain + 1))
rng.shuffle(order)
chain = {order[0]: 0}
for a, b in itertools.pairwise(order):
    chain[b] = a
n_tree = 20000
labels = list(range(1, n_tree + 1))
rng.shuffle(labels)
tree = {labels[0]: 0}
for i in range(1, n_tree):
    tree[labels[i]] = labels[rng.randrange(max(0, i - 50), i)]
star = {i: (0 if i == 500 else 500) for i in range(1, 1001)}
PUBLIC = ["5\n0 1 1 2 2\n", "1\n0\n"]
PRIVATE = [
    "4\n2 0 2 2\n",
    "6\n0 1 2 3 4 5\n",
    "7\n3 3 0 1 1 2 2\n",
    encode(star, 1000),
    encode(tree, n_tree),
    encode(chain, n_chain),
]
