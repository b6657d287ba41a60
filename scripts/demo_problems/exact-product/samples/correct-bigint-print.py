import sys

data = sys.stdin.read().split()
n = int(data[0])
product = 1
for token in data[1:1 + n]:
    product *= int(token)
print(product)
