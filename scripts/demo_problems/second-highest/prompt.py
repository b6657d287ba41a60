def second_highest(scores: list):
    """Return the second-highest distinct value in scores, or None when scores holds
    fewer than two distinct values.

    >>> second_highest([4, 9, 9, 2])
    4
    >>> second_highest([3, 3]) is None
    True
    """
