t = int(input())
for _ in range(t):
    s = input().strip()
    print(abs(s.count("(") - s.count(")")))
