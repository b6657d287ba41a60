from sys import stdin, stdout

def factorise(n):
    primes = []
    d = 2
    while d * d <= n:
        while n % d == 0:
            primes.append(str(d))
            n //= d
        d += 1 if d == 2 else 2
    if n > 1:
        primes.append(str(n))
    return " ".join(primes)

values = stdin.read().split()
stdout.write("\n".join(factorise(int(v)) for v in values[1:]) + "\n")
