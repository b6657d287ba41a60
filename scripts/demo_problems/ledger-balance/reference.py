"""The reference solution of ledger-balance: every expected output is computed by it."""

from __future__ import annotations


def solve(inp: str) -> str:
    head, *rows = inp.split("\n")
    balance, n = map(int, head.split())
    out = []
    for op, amount in (row.split() for row in rows[:n]):
        x = int(amount)
        if op == "withdraw" and x > balance:
            out.append("DECLINED")
            continue
        balance += x if op == "deposit" else -x
        out.append(str(balance))
    return "\n".join(out) + "\n"
