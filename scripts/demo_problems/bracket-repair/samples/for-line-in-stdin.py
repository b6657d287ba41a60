import sys

answers = []
first = True
for line in sys.stdin:
    if first:
        first = False
        continue
    s = line.strip()
    if not s:
        continue
    balance = need = 0
    for ch in s:
        balance += 1 if ch == "(" else -1
        if balance < 0:
            need += 1
            balance = 0
    answers.append(need + balance)
print("\n".join(map(str, answers)))
