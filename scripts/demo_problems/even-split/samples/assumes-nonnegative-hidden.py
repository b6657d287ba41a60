class Solution:
    def canSplit(self, weights: List[int]) -> bool:
        total = sum(weights)
        prefix = 0
        for w in weights[:-1]:
            prefix += w
            if prefix * 2 == total:
                return True
            if prefix * 2 > total:  # only valid when no weight is negative
                break
        return False
