class Solution:
    def maxDocked(self, visits: List[List[int]]) -> int:
        events = []
        for a, b in visits:
            events.append((a, 0, 1))   # arrivals sort before departures at equal times
            events.append((b, 1, -1))
        events.sort()
        cur = best = 0
        for _, _, delta in events:
            cur += delta
            best = max(best, cur)
        return best
