n = int(input())
managers = list(map(int, input().split()))
children = [[] for _ in range(n + 1)]
for i, m in enumerate(managers, start=1):
    if m:
        children[m].append(i)
level = [1]  # assumes employee 1 is the director
depth = 1
while True:
    nxt = [c for v in level for c in children[v]]
    if not nxt:
        break
    level = nxt
    depth += 1
print(depth, len(level))
