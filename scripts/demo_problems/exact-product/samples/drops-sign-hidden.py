import math
import sys

data = sys.stdin.read().split()
n = int(data[0])
print(abs(math.prod(int(t) for t in data[1:1 + n])))
