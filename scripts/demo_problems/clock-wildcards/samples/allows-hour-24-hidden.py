class Solution:
    def countTimes(self, pattern: str) -> int:
        total = 0
        for h in range(25):  # 24:xx is not a valid time
            for m in range(60):
                text = "%02d:%02d" % (h, m)
                if all(p == "?" or p == t for p, t in zip(pattern, text)):
                    total += 1
        return total
