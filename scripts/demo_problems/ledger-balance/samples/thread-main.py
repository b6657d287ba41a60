import sys
import threading

def main():
    data = sys.stdin.read().split()
    balance, n = int(data[0]), int(data[1])
    out = []
    for i in range(n):
        op, x = data[2 + 2 * i], int(data[3 + 2 * i])
        if op == "deposit":
            balance += x
            out.append(str(balance))
        elif x <= balance:
            balance -= x
            out.append(str(balance))
        else:
            out.append("DECLINED")
    print("\n".join(out))

threading.Thread(target=main).start()
