def vowel_heavy_words(sentence: str) -> int:
    """Count the words of sentence (separated by whitespace) that contain more vowels
    than consonants. Vowels are a, e, i, o and u in either case, every other letter is
    a consonant, and characters that are not letters are ignored.

    >>> vowel_heavy_words("Aurora ate an egg")
    2
    """
