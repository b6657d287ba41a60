class Solution:
    def peakHours(self, visitors: List[int]) -> List[int]:
        padded = [-1] + visitors + [-1]
        return {
            i - 1
            for i in range(1, len(padded) - 1)
            if padded[i] > padded[i - 1] and padded[i] > padded[i + 1]
        }
