def factorise(n):
    primes = []
    while n % 2 == 0:
        primes.append(2)
        n //= 2
    d = 3
    while d * d <= n:
        while n % d == 0:
            primes.append(d)
            n //= d
        d += 2
    if n > 1:
        primes.append(n)
    return primes

t = int(input())
for _ in range(t):
    print(*factorise(int(input())))
