    top = second = None
    for value in scores:
        if top is None or value > top:
            top, second = value, top
        elif value != top and (second is None or value > second):
            second = value
    return second
