def is_base_palindrome(n: int, base: int) -> bool:
    """Return True when the digits of n written in the given base read the same
    forwards and backwards. n >= 0 and 2 <= base <= 36; zero is written as "0".

    >>> is_base_palindrome(5, 2)
    True
    >>> is_base_palindrome(10, 10)
    False
    """
