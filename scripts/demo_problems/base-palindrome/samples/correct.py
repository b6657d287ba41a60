    digits = [n % base]
    n //= base
    while n:
        digits.append(n % base)
        n //= base
    return digits == digits[::-1]
