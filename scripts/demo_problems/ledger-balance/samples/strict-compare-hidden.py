b, n = map(int, input().split())
for _ in range(n):
    op, x = input().split()
    x = int(x)
    if op == "deposit":
        b += x
        print(b)
    elif x < b:  # declines a withdrawal of exactly the balance
        b -= x
        print(b)
    else:
        print("DECLINED")
