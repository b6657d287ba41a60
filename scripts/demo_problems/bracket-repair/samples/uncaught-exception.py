t = int(input())
for _ in range(t):
    s = input().strip()
    stack = []
    for ch in s:
        if ch == "(":
            stack.append(ch)
        else:
            stack.pop()  # IndexError on an unmatched ')'
    print(len(stack))
