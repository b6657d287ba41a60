class Solution:
    def peakHours(self, visitors: List[int]) -> List[int]:
        n = len(visitors)
        peaks = []
        for i, v in enumerate(visitors):
            left_ok = i == 0 or v > visitors[i - 1]
            right_ok = i == n - 1 or v > visitors[i + 1]
            if left_ok and right_ok:
                peaks.append(i)
        return peaks
