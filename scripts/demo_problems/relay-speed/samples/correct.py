from fractions import Fraction

n = int(input())
total = 0
time = Fraction(0)
for _ in range(n):
    d, v = map(int, input().split())
    total += d
    time += Fraction(d, v)
print(float(total / time))
