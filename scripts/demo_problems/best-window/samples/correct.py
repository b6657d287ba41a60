class Solution:
    def bestWindow(self, sales: List[int], k: int) -> int:
        window = sum(sales[:k])
        best = window
        for i in range(k, len(sales)):
            window += sales[i] - sales[i - k]
            best = max(best, window)
        return best
