    totals = []
    for start in range(0, len(values), size):
        totals.append(sum(values[start:start + size]))
    return totals
