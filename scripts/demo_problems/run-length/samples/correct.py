class Solution:
    def encode(self, s: str) -> str:
        parts = []
        for letter, run in groupby(s):
            k = len(list(run))
            parts.append(letter if k == 1 else f"{letter}{k}")
        return "".join(parts)
