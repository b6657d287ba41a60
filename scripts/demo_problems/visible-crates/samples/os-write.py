import os
import sys

data = sys.stdin.buffer.read().split()
n = int(data[0])
tallest = visible = 0
for h in map(int, data[1:1 + n]):
    if h > tallest:
        tallest, visible = h, visible + 1
os.write(1, f"{visible}\n".encode())
