"""Helpers the problems' tests.py share to write large inputs from a seeded RNG."""

from __future__ import annotations

import random


def seeded(seed: int) -> random.Random:
    """A reproducible RNG for test data (not for anything secret)."""
    return random.Random(seed)  # noqa: S311


def ints(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(n)]


def line(values: list[int]) -> str:
    return " ".join(map(str, values))
