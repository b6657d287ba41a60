class Solution:
    def maxDocked(self, visits: List[List[int]]) -> int:
        arrivals = sorted(a for a, _ in visits)
        departures = sorted(b for _, b in visits)
        docked = best = 0
        j = 0
        for a in arrivals:
            while departures[j] <= a:
                j += 1
                docked -= 1
            docked += 1
            best = max(best, docked)
        return best
