import sys

data = sys.stdin.read().split()
n, k = int(data[0]), int(data[1])
h = list(map(int, data[2:2 + n]))
best = cur = 1
for i in range(1, n):
    if abs(h[i] - h[i - 1]) <= k:
        cur += 1
        if cur > best:
            best = cur
    else:
        cur = 1
print(best)
