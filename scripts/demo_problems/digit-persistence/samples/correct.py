class Solution:
    def persistence(self, n: int) -> int:
        steps = 0
        while n > 9:
            n = prod(int(d) for d in str(n))
            steps += 1
        return steps
