import sys

scratch = bytearray(1 << 30)
for i in range(0, len(scratch), 4096):  # touch every page
    scratch[i] = 1
data = sys.stdin.read().split()
print(len(data))
