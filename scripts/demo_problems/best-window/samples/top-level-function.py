from itertools import accumulate

def bestWindow(sales, k):
    prefix = [0, *accumulate(sales)]
    return max(prefix[i + k] - prefix[i] for i in range(len(sales) - k + 1))
