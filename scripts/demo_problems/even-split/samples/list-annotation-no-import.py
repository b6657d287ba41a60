Weights = List[int]  # no `from typing import List`: the lcb prelude provides it

def prefix_sums(values: Weights) -> List[int]:
    out = []
    running = 0
    for v in values:
        running += v
        out.append(running)
    return out

class Solution:
    def canSplit(self, weights: List[int]) -> bool:
        sums = prefix_sums(weights)
        total = sums[-1]
        return any(2 * p == total for p in sums[:-1])
