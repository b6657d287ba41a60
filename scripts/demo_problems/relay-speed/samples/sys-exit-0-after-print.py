import sys

data = sys.stdin.read().split()
n = int(data[0])
dist = sum(int(data[1 + 2 * i]) for i in range(n))
time = sum(int(data[1 + 2 * i]) / int(data[2 + 2 * i]) for i in range(n))
print("%.9f" % (dist / time))
sys.exit(0)
