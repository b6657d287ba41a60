n, k = map(int, input().split())
h = list(map(int, input().split()))
best = 1
for i in range(n):
    j = i
    while j + 1 < n and abs(h[j + 1] - h[j]) <= k:
        j += 1
    best = max(best, j - i + 1)
print(best)
