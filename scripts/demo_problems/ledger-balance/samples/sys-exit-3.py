import sys

b, n = map(int, input().split())
for _ in range(n):
    op, x = input().split()
    if op == "deposit":
        b += int(x)
    elif int(x) <= b:
        b -= int(x)
    else:
        print("DECLINED")
        continue
    print(b)
sys.exit(3)
