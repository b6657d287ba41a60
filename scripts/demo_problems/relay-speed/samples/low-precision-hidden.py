n = int(input())
dist = time = 0
for _ in range(n):
    d, v = map(int, input().split())
    dist += d
    time += d / v
print(f"{dist / time:.2f}")
