import sys
sys.setrecursionlimit(10**6)

def main():
    data = sys.stdin.buffer.read().split()
    n = int(data[0])
    managers = list(map(int, data[1:n + 1]))
    children = [[] for _ in range(n + 1)]
    root = managers.index(0) + 1
    for i, m in enumerate(managers, 1):
        if m:
            children[m].append(i)
    per_level = [0] * (n + 2)

    def visit(v, level):
        per_level[level] += 1
        for c in children[v]:
            visit(c, level + 1)

    visit(root, 1)
    deepest = max(i for i, c in enumerate(per_level) if c)
    print(deepest, per_level[deepest])

main()
