n = int(input())
heights = list(map(int, input().split()))
while True:
    pass
