"""The reference solution of vowel-heavy: every expected output is computed by it."""

from __future__ import annotations


def solve(sentence: str) -> int:
    count = 0
    for word in sentence.split():
        letters = [c.lower() for c in word if c.isalpha()]
        vowels = sum(c in "aeiou" for c in letters)
        if vowels > len(letters) - vowels:
            count += 1
    return count
