import sys

data = sys.stdin.read().split()
cache = []
while True:
    cache.append([0] * 10000)
