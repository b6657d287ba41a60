"""The reference solution of ledger-balance: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    lines = inp.split("\n")
    balance, n = map(int, lines[0].split())
    out = []
    for row in lines[1 : 1 + n]:
        op, amount = row.split()
        x = int(amount)
        if op == "deposit":
            balance += x
            out.append(str(balance))
        elif x <= balance:
            balance -= x
            out.append(str(balance))
        else:
            out.append("DECLINED")
    return "\n".join(out) + "\n"
