t = int(input())
for _ in range(t):
    s = input().strip()
    depth = 0
    inserted = 0
    for ch in s:
        if ch == "(":
            depth += 1
        elif depth > 0:
            depth -= 1
        else:
            inserted += 1
    print(inserted + depth)
