class Solution:
    def canSplit(self, weights: List[int]) -> bool:
        total = sum(weights)
        left = 0
        for w in weights[:-1]:
            left += w
            if left == total - left:
                return True
        return False
