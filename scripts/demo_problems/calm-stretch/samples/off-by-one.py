n, k = map(int, input().split())
h = list(map(int, input().split()))
best = cur = 0
for i in range(1, n):
    cur = cur + 1 if abs(h[i] - h[i - 1]) <= k else 0
    best = max(best, cur)
print(best)  # counts calm gaps, not readings
