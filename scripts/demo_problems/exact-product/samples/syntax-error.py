import sys

data = sys.stdin.read().split()
product = 1
for token in data[1:]
    product *= int(token)
print(product)
