def chunk_totals(values: list, size: int) -> list:
    """Split values into consecutive chunks of `size` items (the last chunk may be
    shorter) and return the list of the chunks' sums. size is at least 1.

    >>> chunk_totals([1, 2, 3, 4, 5], 2)
    [3, 7, 5]
    >>> chunk_totals([], 3)
    []
    """
