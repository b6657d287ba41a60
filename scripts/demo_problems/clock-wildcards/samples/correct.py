class Solution:
    def countTimes(self, pattern: str) -> int:
        def options(chars: str, limit: int) -> int:
            return sum(
                1
                for value in range(limit)
                if all(c in ("?", d) for c, d in zip(chars, f"{value:02d}"))
            )

        return options(pattern[:2], 24) * options(pattern[3:], 60)
