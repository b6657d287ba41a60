import sys
from collections import deque

data = sys.stdin.buffer.read().split()
n = int(data[0])
managers = list(map(int, data[1:n + 1]))
children = [[] for _ in range(n + 1)]
root = 0
for i, m in enumerate(managers, 1):
    if m:
        children[m].append(i)
    else:
        root = i
depth = [0] * (n + 1)
depth[root] = 1
queue = deque([root])
while queue:
    v = queue.popleft()
    for c in children[v]:
        depth[c] = depth[v] + 1
        queue.append(c)
deepest = max(depth)
print(deepest, depth.count(deepest))
