import sys

def main():
    data = sys.stdin.buffer.read().split()
    n, k = int(data[0]), int(data[1])
    h = list(map(int, data[2:2 + n]))
    best = cur = 1
    prev = h[0]
    for x in h[1:]:
        cur = cur + 1 if abs(x - prev) <= k else 1
        best = max(best, cur)
        prev = x
    sys.stdout.buffer.write(b"%d\n" % best)

main()
