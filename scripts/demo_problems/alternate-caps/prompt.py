def alternate_caps(text: str) -> str:
    """Return text with its letters alternately upper- and lower-cased.

    The first letter becomes upper case, the second lower case, and so on. Characters
    that are not letters are kept as they are and do not take part in the alternation.

    >>> alternate_caps("hello world")
    'HeLlO wOrLd'
    >>> alternate_caps("a-b-c")
    'A-b-C'
    """
