class Solution:
    def encode(self, s: str) -> str
        return s
