import sys

def main():
    lines = sys.stdin.read().split("\n")
    balance, n = map(int, lines[0].split())
    out = []
    for row in lines[1:1 + n]:
        op, amount = row.split()
        x = int(amount)
        if op == "deposit":
            balance += x
        elif balance - x >= 0:
            balance -= x
        else:
            out.append("DECLINED")
            continue
        out.append(str(balance))
    sys.stdout.write("\n".join(out) + "\n")

main()
