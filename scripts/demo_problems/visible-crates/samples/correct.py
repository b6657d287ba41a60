import sys

def main():
    data = sys.stdin.read().split()
    n = int(data[0])
    tallest = 0
    visible = 0
    for token in data[1:1 + n]:
        h = int(token)
        if h > tallest:
            tallest = h
            visible += 1
    print(visible)

main()
