#!/usr/bin/env python3
"""Generates the built-in demo bank: grader/bank/demo/questions.jsonl and samples.jsonl.

Every problem here is our own. Expected outputs are never typed by hand: each test's answer is
computed by the reference solution next to the problem (an in-process function, written
independently of the sample programs, so `scripts/check_demo_bank.py` cross-checks the two).
Test data comes from a seeded RNG, so re-running this script reproduces the files byte for byte.

    python3 scripts/make_demo_bank.py            # writes both files
    python3 scripts/check_demo_bank.py           # validates them and runs the trusted samples
"""

from __future__ import annotations

import itertools
import json
import random
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.set_int_max_str_digits(0)  # the exact-product answers have ~18 000 digits

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "grader" / "bank" / "demo"
FORMAT = "grader.v1"
LIMITS = {"time_s": 2, "memory_mb": 256}

QUESTIONS: list[dict[str, Any]] = []
SAMPLES: list[dict[str, str]] = []


def _dedent(text: str) -> str:
    return textwrap.dedent(text).strip("\n") + "\n"


def stdin_question(
    slug: str,
    title: str,
    date: str,
    prompt: str,
    ref: Callable[[str], str],
    public: list[str],
    private: list[str],
    checker: Any = "lcb",
    limits: dict[str, Any] | None = None,
) -> None:
    tests: list[dict[str, Any]] = []
    for inp, is_public in [(i, True) for i in public] + [(i, False) for i in private]:
        out = ref(inp)
        if not out.endswith("\n"):
            raise ValueError(f"{slug}: a stdin answer must end with a newline")
        tests.append({"input": inp, "output": out, "public": is_public})
    QUESTIONS.append(
        {
            "format": FORMAT,
            "id": f"demo/{slug}",
            "title": title,
            "kind": "stdin",
            "prompt": _dedent(prompt),
            "starter_code": "",
            "entry_point": "",
            "release_date": date,
            "checker": checker,
            "limits": limits or dict(LIMITS),
            "prelude": "none",
            "tests": tests,
        }
    )


def call_question(
    slug: str,
    title: str,
    date: str,
    prompt: str,
    signature: str,
    ref: Callable[..., Any],
    public: list[tuple[Any, ...]],
    private: list[tuple[Any, ...]],
) -> None:
    entry_point = signature.split("(")[0].split()[-1]
    tests = []
    for args, is_public in [(a, True) for a in public] + [(a, False) for a in private]:
        tests.append(
            {
                "input": "\n".join(json.dumps(a) for a in args),
                "output": json.dumps(ref(*args)),
                "public": is_public,
            }
        )
    QUESTIONS.append(
        {
            "format": FORMAT,
            "id": f"demo/{slug}",
            "title": title,
            "kind": "call",
            "prompt": _dedent(prompt),
            "starter_code": f"class Solution:\n    def {signature}:\n        ",
            "entry_point": entry_point,
            "release_date": date,
            "checker": "json",
            "limits": dict(LIMITS),
            "prelude": "lcb",
            "tests": tests,
        }
    )


def humaneval_question(
    slug: str,
    title: str,
    date: str,
    prompt: str,
    entry_point: str,
    ref: Callable[..., Any],
    cases: list[tuple[Any, ...]],
) -> str:
    lines = ["def check(candidate):"]
    for args in cases:
        call = f"candidate({', '.join(repr(a) for a in args)})"
        expected = ref(*args)
        if expected is None:
            lines.append(f"    assert {call} is None")
        else:
            lines.append(f"    assert {call} == {expected!r}")
    prompt_text = _dedent(prompt)
    QUESTIONS.append(
        {
            "format": FORMAT,
            "id": f"demo/{slug}",
            "title": title,
            "kind": "humaneval",
            "prompt": prompt_text,
            "starter_code": prompt_text,
            "entry_point": entry_point,
            "release_date": date,
            "limits": dict(LIMITS),
            "prelude": "none",
            "check": "\n".join(lines) + "\n",
        }
    )
    return prompt_text


def sample(slug: str, label: str, expect: str, code: str) -> None:
    SAMPLES.append({"question_id": f"demo/{slug}", "code": _dedent(code), "label": label, "expect": expect})


def he_sample(prompt_text: str, slug: str, label: str, expect: str, completion: str) -> None:
    """A HumanEval answer: the prompt followed by a completion (already indented)."""
    body = textwrap.dedent(completion).strip("\n")
    body = textwrap.indent(body, "    ") if not body.startswith(" ") else body
    SAMPLES.append(
        {
            "question_id": f"demo/{slug}",
            "code": prompt_text + body + "\n",
            "label": label,
            "expect": expect,
        }
    )


def raw_sample(prompt_text: str, slug: str, label: str, expect: str, tail: str) -> None:
    """A HumanEval answer whose text after the prompt is given verbatim."""
    SAMPLES.append(
        {"question_id": f"demo/{slug}", "code": prompt_text + tail, "label": label, "expect": expect}
    )


def seeded(seed: int) -> random.Random:
    """A reproducible RNG for test data (not for anything secret)."""
    return random.Random(seed)  # noqa: S311


def ints(rng: random.Random, n: int, lo: int, hi: int) -> list[int]:
    return [rng.randint(lo, hi) for _ in range(n)]


def line(values: list[int]) -> str:
    return " ".join(map(str, values))


# ---------------------------------------------------------------------------------------------
# stdin problems
# ---------------------------------------------------------------------------------------------


def build_visible_crates() -> None:
    def ref(inp: str) -> str:
        toks = inp.split()
        n = int(toks[0])
        best, seen = 0, 0
        for h in map(int, toks[1 : 1 + n]):
            if h > best:
                best, seen = h, seen + 1
        return f"{seen}\n"

    rng = seeded(101)
    big = ints(rng, 2000, 1, 10**6)
    stairs = sorted(ints(rng, 500, 1, 60))  # non-decreasing with many ties
    stdin_question(
        "visible-crates",
        "Crates on a conveyor",
        "2025-01-14",
        """
        Crates stand in a single row on a conveyor belt, numbered from the front. A camera at the
        front of the belt looks down the row. It can see a crate only if that crate is strictly
        taller than every crate in front of it; the first crate is always visible.

        Given the heights, print how many crates the camera can see.

        Input
        The first line holds N (1 <= N <= 100000). The second line holds N integers
        h_1 ... h_N (1 <= h_i <= 10^9), the heights from front to back.

        Output
        One integer: the number of visible crates.

        Example
        Input:
        6
        3 1 4 1 5 2
        Output:
        3
        """,
        ref,
        public=["6\n3 1 4 1 5 2\n", "5\n1 2 3 4 5\n"],
        private=[
            "1\n42\n",
            "4\n7 7 7 7\n",
            "6\n9 8 7 6 5 4\n",
            "7\n2 2 5 5 9 9 10\n",
            f"{len(stairs)}\n{line(stairs)}\n",
            f"{len(big)}\n{line(big)}\n",
        ],
        limits={**LIMITS, "output_mb": 1},
    )
    s = "visible-crates"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
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
        """,
    )
    sample(
        s,
        "os-write",
        "ACCEPTED",
        r"""
        import os
        import sys

        data = sys.stdin.buffer.read().split()
        n = int(data[0])
        tallest = visible = 0
        for h in map(int, data[1:1 + n]):
            if h > tallest:
                tallest, visible = h, visible + 1
        os.write(1, f"{visible}\n".encode())
        """,
    )
    sample(
        s,
        "non-strict-hidden",
        "WRONG_ANSWER",
        r"""
        n = int(input())
        heights = list(map(int, input().split()))
        tallest = 0
        visible = 0
        for h in heights:
            if h >= tallest:  # ties are not visible: should be >
                tallest = h
                visible += 1
        print(visible)
        """,
    )
    sample(
        s,
        "output-flood",
        "OUTPUT_LIMIT_EXCEEDED",
        r"""
        while True:
            print('x' * 1000)
        """,
    )
    sample(
        s,
        "infinite-loop",
        "TIME_LIMIT_EXCEEDED",
        r"""
        n = int(input())
        heights = list(map(int, input().split()))
        while True:
            pass
        """,
    )


def build_exact_product() -> None:
    def ref(inp: str) -> str:
        toks = inp.split()
        n = int(toks[0])
        product = 1
        for a in map(int, toks[1 : 1 + n]):
            product *= a
        return f"{product}\n"

    rng = seeded(202)
    big = [rng.randint(10**8, 10**9) * rng.choice((1, -1)) for _ in range(2000)]
    if sum(1 for a in big if a < 0) % 2 == 0:
        big[0] = -big[0]  # an odd number of negatives: the product is negative
    nines = [999999999] * 1500
    stdin_question(
        "exact-product",
        "Exact product",
        "2025-02-20",
        """
        Print the exact product of N integers.

        Input
        The first line holds N (1 <= N <= 2000). The second line holds N integers a_1 ... a_N
        with |a_i| <= 10^9.

        Output
        The product in decimal, without leading zeros and with a leading minus sign if it is
        negative. It can be many thousands of digits long.

        Example
        Input:
        3
        2 3 7
        Output:
        42
        """,
        ref,
        public=["3\n2 3 7\n", "4\n1000000000 1000000000 1000000000 7\n"],
        private=[
            "1\n-5\n",
            "3\n-2 3 4\n",
            "5\n12 0 -7 999999999 3\n",
            "2\n-1 -1\n",
            f"{len(nines)}\n{line(nines)}\n",
            f"{len(big)}\n{line(big)}\n",
        ],
    )
    s = "exact-product"
    sample(
        s,
        "correct-bigint-print",
        "ACCEPTED",
        r"""
        import sys

        data = sys.stdin.read().split()
        n = int(data[0])
        product = 1
        for token in data[1:1 + n]:
            product *= int(token)
        print(product)
        """,
    )
    sample(
        s,
        "drops-sign-hidden",
        "WRONG_ANSWER",
        r"""
        import math
        import sys

        data = sys.stdin.read().split()
        n = int(data[0])
        print(abs(math.prod(int(t) for t in data[1:1 + n])))
        """,
    )
    sample(
        s,
        "syntax-error",
        "COMPILE_ERROR",
        r"""
        import sys

        data = sys.stdin.read().split()
        product = 1
        for token in data[1:]
            product *= int(token)
        print(product)
        """,
    )


def build_ledger_balance() -> None:
    def ref(inp: str) -> str:
        lines = inp.split("\n")
        balance, n = map(int, lines[0].split())
        out = []
        for row in lines[1 : 1 + n]:
            op, amount = row.split()
            x = int(amount)
            if op == "deposit":
                balance += x
                out.append(str(balance))
            elif x <= balance:
                balance -= x
                out.append(str(balance))
            else:
                out.append("DECLINED")
        return "\n".join(out) + "\n"

    def random_ops(rng: random.Random, start: int, n: int) -> str:
        balance = start
        rows = []
        for _ in range(n):
            r = rng.random()
            if r < 0.4:
                x = rng.randint(1, 10**6)
                rows.append(f"deposit {x}")
                balance += x
            elif r < 0.55 and balance > 0:
                rows.append(f"withdraw {balance}")  # exactly the balance: allowed
                balance = 0
            else:
                x = rng.randint(1, 2 * 10**6)
                rows.append(f"withdraw {x}")
                if x <= balance:
                    balance -= x
        return f"{start} {n}\n" + "\n".join(rows) + "\n"

    rng = seeded(303)
    stdin_question(
        "ledger-balance",
        "Ledger with an overdraft guard",
        "2025-04-08",
        """
        An account starts with balance B. N operations follow, each either `deposit X` or
        `withdraw X`. A withdrawal that would make the balance negative is declined and leaves
        the balance unchanged; a withdrawal of exactly the whole balance is allowed.

        After each operation print the new balance, or the word DECLINED for a declined
        withdrawal.

        Input
        The first line holds B and N (0 <= B <= 10^9, 1 <= N <= 10^5). Each of the next N lines
        holds one operation; 1 <= X <= 10^9.

        Output
        N lines, one per operation.

        Example
        Input:
        10 4
        deposit 5
        withdraw 20
        withdraw 3
        deposit 1
        Output:
        15
        DECLINED
        12
        13
        """,
        ref,
        public=["10 4\ndeposit 5\nwithdraw 20\nwithdraw 3\ndeposit 1\n"],
        private=[
            "7 3\nwithdraw 7\nwithdraw 1\ndeposit 2\n",
            "0 1\nwithdraw 1\n",
            "1000000000 3\ndeposit 1000000000\nwithdraw 2000000000\nwithdraw 1\n",
            random_ops(rng, 500, 200),
            random_ops(rng, 10**6, 10000),
        ],
    )
    s = "ledger-balance"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        import sys

        def main():
            lines = sys.stdin.read().split("\n")
            balance, n = map(int, lines[0].split())
            out = []
            for row in lines[1:1 + n]:
                op, amount = row.split()
                x = int(amount)
                if op == "deposit":
                    balance += x
                elif balance - x >= 0:
                    balance -= x
                else:
                    out.append("DECLINED")
                    continue
                out.append(str(balance))
            sys.stdout.write("\n".join(out) + "\n")

        main()
        """,
    )
    sample(
        s,
        "thread-main",
        "ACCEPTED",
        r"""
        import sys
        import threading

        def main():
            data = sys.stdin.read().split()
            balance, n = int(data[0]), int(data[1])
            out = []
            for i in range(n):
                op, x = data[2 + 2 * i], int(data[3 + 2 * i])
                if op == "deposit":
                    balance += x
                    out.append(str(balance))
                elif x <= balance:
                    balance -= x
                    out.append(str(balance))
                else:
                    out.append("DECLINED")
            print("\n".join(out))

        threading.Thread(target=main).start()
        """,
    )
    sample(
        s,
        "strict-compare-hidden",
        "WRONG_ANSWER",
        r"""
        b, n = map(int, input().split())
        for _ in range(n):
            op, x = input().split()
            x = int(x)
            if op == "deposit":
                b += x
                print(b)
            elif x < b:  # declines a withdrawal of exactly the balance
                b -= x
                print(b)
            else:
                print("DECLINED")
        """,
    )
    sample(
        s,
        "sys-exit-3",
        "RUNTIME_ERROR",
        r"""
        import sys

        b, n = map(int, input().split())
        for _ in range(n):
            op, x = input().split()
            if op == "deposit":
                b += int(x)
            elif int(x) <= b:
                b -= int(x)
            else:
                print("DECLINED")
                continue
            print(b)
        sys.exit(3)
        """,
    )


def build_relay_speed() -> None:
    def ref(inp: str) -> str:
        toks = inp.split()
        n = int(toks[0])
        distance = 0
        hours = 0.0
        for i in range(n):
            d, v = int(toks[1 + 2 * i]), int(toks[2 + 2 * i])
            distance += d
            hours += d / v
        return f"{distance / hours:.10f}\n"

    rng = seeded(404)
    legs = [(rng.randint(1, 1000), rng.randint(1, 1000)) for _ in range(1000)]
    stdin_question(
        "relay-speed",
        "Relay average speed",
        "2025-06-05",
        """
        A relay race covers N legs. Leg i is d_i kilometres long and is run at a constant speed
        of v_i km/h. Print the average speed over the whole race in km/h: the total distance
        divided by the total time.

        Input
        The first line holds N (1 <= N <= 1000). Each of the next N lines holds two integers d_i
        and v_i (1 <= d_i, v_i <= 1000).

        Output
        One number. Answers within an absolute or relative error of 1e-6 are accepted.

        Example
        Input:
        2
        60 40
        60 60
        Output:
        48.0000000000
        """,
        ref,
        public=["2\n60 40\n60 60\n"],
        private=[
            "1\n5 17\n",
            "3\n1 3\n1 7\n1 11\n",
            "4\n10 9\n20 7\n30 13\n5 3\n",
            "2\n1000 1\n1 1000\n",
            f"{len(legs)}\n" + "".join(f"{d} {v}\n" for d, v in legs),
        ],
        checker={"name": "float", "abs_tol": 1e-6, "rel_tol": 1e-6},
    )
    s = "relay-speed"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        from fractions import Fraction

        n = int(input())
        total = 0
        time = Fraction(0)
        for _ in range(n):
            d, v = map(int, input().split())
            total += d
            time += Fraction(d, v)
        print(float(total / time))
        """,
    )
    sample(
        s,
        "sys-exit-0-after-print",
        "ACCEPTED",
        r"""
        import sys

        data = sys.stdin.read().split()
        n = int(data[0])
        dist = sum(int(data[1 + 2 * i]) for i in range(n))
        time = sum(int(data[1 + 2 * i]) / int(data[2 + 2 * i]) for i in range(n))
        print("%.9f" % (dist / time))
        sys.exit(0)
        """,
    )
    sample(
        s,
        "low-precision-hidden",
        "WRONG_ANSWER",
        r"""
        n = int(input())
        dist = time = 0
        for _ in range(n):
            d, v = map(int, input().split())
            dist += d
            time += d / v
        print(f"{dist / time:.2f}")
        """,
    )


def build_prime_factors() -> None:
    def factor(n: int) -> list[int]:
        out = []
        d = 2
        while d * d <= n:
            while n % d == 0:
                out.append(d)
                n //= d
            d += 1
        if n > 1:
            out.append(n)
        return out

    def ref(inp: str) -> str:
        toks = inp.split()
        t = int(toks[0])
        return "".join(" ".join(map(str, factor(int(x)))) + "\n" for x in toks[1 : 1 + t])

    def is_prime(n: int) -> bool:
        return n >= 2 and factor(n) == [n]

    big_primes: list[int] = []
    candidate = 10**9
    while len(big_primes) < 20:
        if is_prime(candidate):
            big_primes.append(candidate)
        candidate -= 1
    rng = seeded(505)
    mixed = ints(rng, 20, 2, 10**9)
    stdin_question(
        "prime-factors",
        "Prime factor lists",
        "2025-09-09",
        """
        For each of T integers n, print its prime factors in non-decreasing order, each prime
        repeated as many times as it divides n.

        Input
        The first line holds T (1 <= T <= 20). Each of the next T lines holds one integer n
        (2 <= n <= 10^9).

        Output
        T lines; line i lists the prime factors of the i-th number separated by spaces. The
        answer is compared token by token, so the amount of whitespace does not matter, but the
        order of the factors does.

        Example
        Input:
        3
        12
        7
        100
        Output:
        2 2 3
        7
        2 2 5 5
        """,
        ref,
        public=["3\n12\n7\n100\n"],
        private=[
            "1\n2\n",
            "4\n999999937\n536870912\n999999999\n1000000000\n",
            "3\n900660121\n2\n3\n",
            f"{len(big_primes)}\n" + "".join(f"{p}\n" for p in big_primes),
            f"{len(mixed)}\n" + "".join(f"{x}\n" for x in mixed),
        ],
        checker="tokens",
    )
    s = "prime-factors"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        def factorise(n):
            primes = []
            while n % 2 == 0:
                primes.append(2)
                n //= 2
            d = 3
            while d * d <= n:
                while n % d == 0:
                    primes.append(d)
                    n //= d
                d += 2
            if n > 1:
                primes.append(n)
            return primes

        t = int(input())
        for _ in range(t):
            print(*factorise(int(input())))
        """,
    )
    sample(
        s,
        "from-sys-import-stdout",
        "ACCEPTED",
        r"""
        from sys import stdin, stdout

        def factorise(n):
            primes = []
            d = 2
            while d * d <= n:
                while n % d == 0:
                    primes.append(str(d))
                    n //= d
                d += 1 if d == 2 else 2
            if n > 1:
                primes.append(str(n))
            return " ".join(primes)

        values = stdin.read().split()
        stdout.write("\n".join(factorise(int(v)) for v in values[1:]) + "\n")
        """,
    )
    sample(
        s,
        "small-divisors-only-hidden",
        "WRONG_ANSWER",
        r"""
        t = int(input())
        for _ in range(t):
            n = int(input())
            primes = []
            for d in range(2, 10001):  # misses any prime factor above 10^4
                while n % d == 0:
                    primes.append(d)
                    n //= d
            print(*primes)
        """,
    )


def build_calm_stretch() -> None:
    def ref(inp: str) -> str:
        toks = inp.split()
        n, k = int(toks[0]), int(toks[1])
        h = list(map(int, toks[2 : 2 + n]))
        best = run = 1
        for i in range(1, n):
            run = run + 1 if abs(h[i] - h[i - 1]) <= k else 1
            best = max(best, run)
        return f"{best}\n"

    def walk(rng: random.Random, n: int, step: int, start: int) -> list[int]:
        h, out = start, []
        for _ in range(n):
            h = min(1000, max(0, h + rng.randint(-step, step)))
            out.append(h)
        return out

    rng = seeded(606)
    small = walk(rng, 1000, 6, 500)
    # 200 000 readings: a choppy first quarter, then one long calm tail (so a quadratic
    # scan of the tail takes about 10^10 steps).
    big = walk(rng, 50000, 12, 500) + walk(rng, 150000, 7, 500)
    stdin_question(
        "calm-stretch",
        "Calm stretch",
        "2025-12-04",
        """
        A sensor logged N readings h_1 ... h_N. A stretch (a contiguous run of readings) is calm
        if every two neighbouring readings in it differ by at most K. A single reading is always
        calm. Print the length of the longest calm stretch.

        Input
        The first line holds N and K (1 <= N <= 200000, 0 <= K <= 1000). The second line holds
        the N readings (0 <= h_i <= 1000).

        Output
        One integer.

        Example
        Input:
        8 2
        5 6 8 3 4 4 6 1
        Output:
        4
        """,
        ref,
        public=["8 2\n5 6 8 3 4 4 6 1\n"],
        private=[
            "1 0\n7\n",
            "5 0\n3 3 3 3 3\n",
            "6 0\n1 2 3 4 5 6\n",
            "6 1000\n0 1000 0 1000 0 1000\n",
            f"{len(small)} 4\n{line(small)}\n",
            f"{len(big)} 7\n{line(big)}\n",
        ],
    )
    s = "calm-stretch"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        import sys

        data = sys.stdin.read().split()
        n, k = int(data[0]), int(data[1])
        h = list(map(int, data[2:2 + n]))
        best = cur = 1
        for i in range(1, n):
            if abs(h[i] - h[i - 1]) <= k:
                cur += 1
                if cur > best:
                    best = cur
            else:
                cur = 1
        print(best)
        """,
    )
    sample(
        s,
        "stdin-buffer",
        "ACCEPTED",
        r"""
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
        """,
    )
    sample(
        s,
        "off-by-one",
        "WRONG_ANSWER",
        r"""
        n, k = map(int, input().split())
        h = list(map(int, input().split()))
        best = cur = 0
        for i in range(1, n):
            cur = cur + 1 if abs(h[i] - h[i - 1]) <= k else 0
            best = max(best, cur)
        print(best)  # counts calm gaps, not readings
        """,
    )
    sample(
        s,
        "quadratic-too-slow",
        "TIME_LIMIT_EXCEEDED",
        r"""
        n, k = map(int, input().split())
        h = list(map(int, input().split()))
        best = 1
        for i in range(n):
            j = i
            while j + 1 < n and abs(h[j + 1] - h[j]) <= k:
                j += 1
            best = max(best, j - i + 1)
        print(best)
        """,
    )
    sample(
        s,
        "bytearray-1GiB",
        "MEMORY_LIMIT_EXCEEDED",
        r"""
        import sys

        scratch = bytearray(1 << 30)
        for i in range(0, len(scratch), 4096):  # touch every page
            scratch[i] = 1
        data = sys.stdin.read().split()
        print(len(data))
        """,
    )


def build_chain_of_command() -> None:
    def ref(inp: str) -> str:
        toks = inp.split()
        n = int(toks[0])
        children: list[list[int]] = [[] for _ in range(n + 1)]
        root = 0
        for i in range(1, n + 1):
            m = int(toks[i])
            if m == 0:
                root = i
            else:
                children[m].append(i)
        level = [root]
        depth = 1
        while True:
            nxt = [c for v in level for c in children[v]]
            if not nxt:
                return f"{depth} {len(level)}\n"
            level, depth = nxt, depth + 1

    def encode(parents: dict[int, int], n: int) -> str:
        return f"{n}\n" + line([parents[i] for i in range(1, n + 1)]) + "\n"

    rng = seeded(707)
    # A single chain of 100 000 employees under shuffled numbers.
    n_chain = 100000
    order = list(range(1, n_chain + 1))
    rng.shuffle(order)
    chain = {order[0]: 0}
    for a, b in itertools.pairwise(order):
        chain[b] = a
    # A random tree of 20 000 whose director is not employee 1.
    n_tree = 20000
    labels = list(range(1, n_tree + 1))
    rng.shuffle(labels)
    tree = {labels[0]: 0}
    for i in range(1, n_tree):
        tree[labels[i]] = labels[rng.randrange(max(0, i - 50), i)]
    star = {i: (0 if i == 500 else 500) for i in range(1, 1001)}
    stdin_question(
        "chain-of-command",
        "Chain of command",
        "2026-03-02",
        """
        A company has N employees numbered 1 to N. Everyone except the director has exactly one
        direct manager; the director has none. The director is on level 1, and every other
        employee is one level below their manager. Print the number of levels and how many
        employees are on the deepest level.

        Input
        The first line holds N (1 <= N <= 100000). The second line holds N integers
        m_1 ... m_N: m_i is the manager of employee i, or 0 if employee i is the director.
        The reporting lines always form a single tree.

        Output
        Two integers: the number of levels and the number of employees on the deepest level.

        Example
        Input:
        5
        0 1 1 2 2
        Output:
        3 2
        """,
        ref,
        public=["5\n0 1 1 2 2\n", "1\n0\n"],
        private=[
            "4\n2 0 2 2\n",
            "6\n0 1 2 3 4 5\n",
            "7\n3 3 0 1 1 2 2\n",
            encode(star, 1000),
            encode(tree, n_tree),
            encode(chain, n_chain),
        ],
    )
    s = "chain-of-command"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        import sys
        from collections import deque

        data = sys.stdin.buffer.read().split()
        n = int(data[0])
        managers = list(map(int, data[1:n + 1]))
        children = [[] for _ in range(n + 1)]
        root = 0
        for i, m in enumerate(managers, 1):
            if m:
                children[m].append(i)
            else:
                root = i
        depth = [0] * (n + 1)
        depth[root] = 1
        queue = deque([root])
        while queue:
            v = queue.popleft()
            for c in children[v]:
                depth[c] = depth[v] + 1
                queue.append(c)
        deepest = max(depth)
        print(deepest, depth.count(deepest))
        """,
    )
    sample(
        s,
        "deep-recursion",
        "ACCEPTED",
        r"""
        import sys
        sys.setrecursionlimit(10**6)

        def main():
            data = sys.stdin.buffer.read().split()
            n = int(data[0])
            managers = list(map(int, data[1:n + 1]))
            children = [[] for _ in range(n + 1)]
            root = managers.index(0) + 1
            for i, m in enumerate(managers, 1):
                if m:
                    children[m].append(i)
            per_level = [0] * (n + 2)

            def visit(v, level):
                per_level[level] += 1
                for c in children[v]:
                    visit(c, level + 1)

            visit(root, 1)
            deepest = max(i for i, c in enumerate(per_level) if c)
            print(deepest, per_level[deepest])

        main()
        """,
    )
    sample(
        s,
        "root-is-one-hidden",
        "WRONG_ANSWER",
        r"""
        n = int(input())
        managers = list(map(int, input().split()))
        children = [[] for _ in range(n + 1)]
        for i, m in enumerate(managers, start=1):
            if m:
                children[m].append(i)
        level = [1]  # assumes employee 1 is the director
        depth = 1
        while True:
            nxt = [c for v in level for c in children[v]]
            if not nxt:
                break
            level = nxt
            depth += 1
        print(depth, len(level))
        """,
    )
    sample(
        s,
        "list-grows-forever",
        "MEMORY_LIMIT_EXCEEDED",
        r"""
        import sys

        data = sys.stdin.read().split()
        cache = []
        while True:
            cache.append([0] * 10000)
        """,
    )


def build_bracket_repair() -> None:
    def ref(inp: str) -> str:
        lines = inp.split("\n")
        t = int(lines[0])
        out = []
        for s in lines[1 : 1 + t]:
            open_, added = 0, 0
            for ch in s:
                if ch == "(":
                    open_ += 1
                elif open_:
                    open_ -= 1
                else:
                    added += 1
            out.append(str(added + open_))
        return "\n".join(out) + "\n"

    rng = seeded(808)
    strings = ["".join(rng.choice("()") for _ in range(rng.randint(1, 500))) for _ in range(200)]
    stdin_question(
        "bracket-repair",
        "Bracket repair",
        "2026-07-07",
        """
        For each of T strings made of '(' and ')', print the smallest number of brackets that
        must be inserted (anywhere in the string) to make it balanced.

        Input
        The first line holds T (1 <= T <= 1000). Each of the next T lines holds a non-empty
        string of at most 1000 brackets.

        Output
        T lines, one integer each.

        Example
        Input:
        3
        (()
        ())
        ()
        Output:
        1
        1
        0
        """,
        ref,
        public=["3\n(()\n())\n()\n"],
        private=[
            "1\n)(\n",
            "4\n)))\n(((\n)))(((\n()()\n",
            "1\n" + "(" * 1000 + "\n",
            f"{len(strings)}\n" + "".join(x + "\n" for x in strings),
        ],
    )
    s = "bracket-repair"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        t = int(input())
        for _ in range(t):
            s = input().strip()
            depth = 0
            inserted = 0
            for ch in s:
                if ch == "(":
                    depth += 1
                elif depth > 0:
                    depth -= 1
                else:
                    inserted += 1
            print(inserted + depth)
        """,
    )
    sample(
        s,
        "for-line-in-stdin",
        "ACCEPTED",
        r"""
        import sys

        answers = []
        first = True
        for line in sys.stdin:
            if first:
                first = False
                continue
            s = line.strip()
            if not s:
                continue
            balance = need = 0
            for ch in s:
                balance += 1 if ch == "(" else -1
                if balance < 0:
                    need += 1
                    balance = 0
            answers.append(need + balance)
        print("\n".join(map(str, answers)))
        """,
    )
    sample(
        s,
        "ignores-order-hidden",
        "WRONG_ANSWER",
        r"""
        t = int(input())
        for _ in range(t):
            s = input().strip()
            print(abs(s.count("(") - s.count(")")))
        """,
    )
    sample(
        s,
        "uncaught-exception",
        "RUNTIME_ERROR",
        r"""
        t = int(input())
        for _ in range(t):
            s = input().strip()
            stack = []
            for ch in s:
                if ch == "(":
                    stack.append(ch)
                else:
                    stack.pop()  # IndexError on an unmatched ')'
            print(len(stack))
        """,
    )


# ---------------------------------------------------------------------------------------------
# call (LeetCode-style) problems
# ---------------------------------------------------------------------------------------------


def build_peak_hours() -> None:
    def ref(visitors: list[int]) -> list[int]:
        n = len(visitors)
        return [
            i
            for i in range(n)
            if (i == 0 or visitors[i] > visitors[i - 1]) and (i == n - 1 or visitors[i] > visitors[i + 1])
        ]

    rng = seeded(909)
    call_question(
        "peak-hours",
        "Peak hours",
        "2025-02-03",
        """
        visitors[i] is the number of visitors a museum had in hour i of a day. Hour i is a peak
        if its count is strictly greater than the count of each neighbouring hour (hour i - 1
        and hour i + 1, where they exist). A day of a single hour has that hour as its peak.

        Return the peak hours in increasing order.

        Example 1: visitors = [1,3,2,5,5,1] -> [1]   (the two 5s are not strictly greater than
        each other)
        Example 2: visitors = [4,1,4] -> [0,2]

        Constraints: 1 <= len(visitors) <= 10^4, 0 <= visitors[i] <= 10^6.
        """,
        "peakHours(self, visitors: List[int]) -> List[int]",
        ref,
        public=[([1, 3, 2, 5, 5, 1],), ([4, 1, 4],)],
        private=[
            ([7],),
            ([2, 2, 2],),
            ([1, 2, 3, 4],),
            ([5, 4],),
            (ints(rng, 10000, 0, 50),),
            (ints(rng, 10000, 0, 10**6),),
        ],
    )
    s = "peak-hours"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        class Solution:
            def peakHours(self, visitors: List[int]) -> List[int]:
                n = len(visitors)
                peaks = []
                for i, v in enumerate(visitors):
                    left_ok = i == 0 or v > visitors[i - 1]
                    right_ok = i == n - 1 or v > visitors[i + 1]
                    if left_ok and right_ok:
                        peaks.append(i)
                return peaks
        """,
    )
    sample(
        s,
        "tuple-return",
        "ACCEPTED",
        r"""
        class Solution:
            def peakHours(self, visitors: List[int]) -> List[int]:
                padded = [-1] + visitors + [-1]
                return tuple(
                    i - 1
                    for i in range(1, len(padded) - 1)
                    if padded[i] > padded[i - 1] and padded[i] > padded[i + 1]
                )
        """,
    )
    sample(
        s,
        "set-return",
        "WRONG_ANSWER",
        r"""
        class Solution:
            def peakHours(self, visitors: List[int]) -> List[int]:
                padded = [-1] + visitors + [-1]
                return {
                    i - 1
                    for i in range(1, len(padded) - 1)
                    if padded[i] > padded[i - 1] and padded[i] > padded[i + 1]
                }
        """,
    )


def build_even_split() -> None:
    def ref(weights: list[int]) -> bool:
        total = sum(weights)
        prefix = 0
        for w in weights[:-1]:
            prefix += w
            if 2 * prefix == total:
                return True
        return False

    rng = seeded(1010)
    left = ints(rng, 5000, -1000, 1000)
    right = ints(rng, 4999, -1000, 1000)
    right.append(sum(left) - sum(right))  # equal halves, with negative weights mixed in
    odd_total = ints(rng, 8000, 0, 1000)
    if sum(odd_total) % 2 == 0:
        odd_total[0] += 1  # an odd total can never split evenly
    call_question(
        "even-split",
        "Even split",
        "2025-05-16",
        """
        A row of parcels has the given weights; some weights are negative (balloons). Decide
        whether the row can be cut once into a non-empty left part and a non-empty right part
        whose total weights are equal.

        Example 1: weights = [1,2,3] -> true   (1 + 2 == 3)
        Example 2: weights = [1,1,1] -> false

        Constraints: 1 <= len(weights) <= 10^4, -1000 <= weights[i] <= 1000.
        """,
        "canSplit(self, weights: List[int]) -> bool",
        ref,
        public=[([1, 2, 3],), ([1, 1, 1],)],
        private=[
            ([5],),
            ([0, 0],),
            ([3, -1, 2],),
            ([-2, 5, -3],),
            ([2, -2, 4, -4],),
            (left + right,),
            (odd_total,),
        ],
    )
    s = "even-split"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        class Solution:
            def canSplit(self, weights: List[int]) -> bool:
                total = sum(weights)
                left = 0
                for w in weights[:-1]:
                    left += w
                    if left == total - left:
                        return True
                return False
        """,
    )
    sample(
        s,
        "list-annotation-no-import",
        "ACCEPTED",
        r"""
        Weights = List[int]  # no `from typing import List`: the lcb prelude provides it

        def prefix_sums(values: Weights) -> List[int]:
            out = []
            running = 0
            for v in values:
                running += v
                out.append(running)
            return out

        class Solution:
            def canSplit(self, weights: List[int]) -> bool:
                sums = prefix_sums(weights)
                total = sums[-1]
                return any(2 * p == total for p in sums[:-1])
        """,
    )
    sample(
        s,
        "assumes-nonnegative-hidden",
        "WRONG_ANSWER",
        r"""
        class Solution:
            def canSplit(self, weights: List[int]) -> bool:
                total = sum(weights)
                prefix = 0
                for w in weights[:-1]:
                    prefix += w
                    if prefix * 2 == total:
                        return True
                    if prefix * 2 > total:  # only valid when no weight is negative
                        break
                return False
        """,
    )


def build_run_length() -> None:
    def ref(s: str) -> str:
        out = []
        i = 0
        while i < len(s):
            j = i
            while j < len(s) and s[j] == s[i]:
                j += 1
            out.append(s[i] + (str(j - i) if j - i > 1 else ""))
            i = j
        return "".join(out)

    rng = seeded(1111)
    long_text = "".join(rng.choice("abc") * rng.choice((1, 1, 2, 3, 9, 10, 11, 27)) for _ in range(800))
    call_question(
        "run-length",
        "Run-length code",
        "2025-08-12",
        """
        Encode a string of lowercase letters by runs: every maximal run of k equal letters c is
        written as c alone when k = 1, and as c followed by k in decimal when k >= 2.

        Example 1: s = "aaabccdddd" -> "a3bc2d4"
        Example 2: s = "xyz" -> "xyz"

        Constraints: 0 <= len(s) <= 10^4, s holds lowercase English letters only.
        """,
        "encode(self, s: str) -> str",
        ref,
        public=[("aaabccdddd",), ("xyz",)],
        private=[("",), ("q",), ("a" * 12,), ("zzzzzzzzzzy",), ("abababab",), (long_text,)],
    )
    s = "run-length"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        class Solution:
            def encode(self, s: str) -> str:
                parts = []
                for letter, run in groupby(s):
                    k = len(list(run))
                    parts.append(letter if k == 1 else f"{letter}{k}")
                return "".join(parts)
        """,
    )
    sample(
        s,
        "forgets-last-run",
        "WRONG_ANSWER",
        r"""
        class Solution:
            def encode(self, s: str) -> str:
                out = ""
                count = 1
                for i in range(1, len(s)):
                    if s[i] == s[i - 1]:
                        count += 1
                    else:
                        out += s[i - 1] + (str(count) if count > 1 else "")
                        count = 1
                return out  # the final run is never written
        """,
    )
    sample(
        s,
        "missing-colon",
        "COMPILE_ERROR",
        r"""
        class Solution:
            def encode(self, s: str) -> str
                return s
        """,
    )


def build_best_window() -> None:
    def ref(sales: list[int], k: int) -> int:
        return max(sum(sales[i : i + k]) for i in range(len(sales) - k + 1))

    rng = seeded(1212)
    big = ints(rng, 20000, -10000, 10000)
    for i in range(len(big) - 50, len(big)):
        big[i] = 10000 - rng.randint(0, 3)  # the best window is the very last one
    call_question(
        "best-window",
        "Best selling streak",
        "2025-10-01",
        """
        sales[i] is a shop's profit on day i (negative for a loss). Return the largest total
        profit over k consecutive days.

        Example 1: sales = [2,-1,3,4,-10,1], k = 2 -> 7   (days 2 and 3)
        Example 2: sales = [5,5,-3,1], k = 3 -> 7

        Constraints: 1 <= k <= len(sales) <= 2 * 10^4, -10^4 <= sales[i] <= 10^4.
        """,
        "bestWindow(self, sales: List[int], k: int) -> int",
        ref,
        public=[([2, -1, 3, 4, -10, 1], 2), ([5, 5, -3, 1], 3)],
        private=[
            ([1, 2, 3, 10], 2),
            ([4, -2, 7], 3),
            ([-5, -2, -9], 1),
            ([-3, -1, -4, -1, -5], 2),
            (big, 50),
            (big, 1),
        ],
    )
    s = "best-window"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        class Solution:
            def bestWindow(self, sales: List[int], k: int) -> int:
                window = sum(sales[:k])
                best = window
                for i in range(k, len(sales)):
                    window += sales[i] - sales[i - k]
                    best = max(best, window)
                return best
        """,
    )
    sample(
        s,
        "top-level-function",
        "ACCEPTED",
        r"""
        from itertools import accumulate

        def bestWindow(sales, k):
            prefix = [0, *accumulate(sales)]
            return max(prefix[i + k] - prefix[i] for i in range(len(sales) - k + 1))
        """,
    )
    sample(
        s,
        "off-by-one-hidden",
        "WRONG_ANSWER",
        r"""
        class Solution:
            def bestWindow(self, sales: List[int], k: int) -> int:
                window = sum(sales[:k])
                best = window
                for i in range(k, len(sales) - 1):  # never reaches the last window
                    window += sales[i] - sales[i - k]
                    best = max(best, window)
                return best
        """,
    )


def build_busy_dock() -> None:
    def ref(visits: list[list[int]]) -> int:
        events = sorted([(a, 1) for a, _ in visits] + [(b, -1) for _, b in visits])
        best = cur = 0
        for _, delta in events:  # at equal times, departures (-1) sort first
            cur += delta
            best = max(best, cur)
        return best

    rng = seeded(1313)
    many = []
    for _ in range(5000):
        a = rng.randint(0, 999)
        many.append([a, a + rng.randint(1, 30)])
    relay = [[i, i + 1] for i in range(300)]
    call_question(
        "busy-dock",
        "Busy dock",
        "2026-01-27",
        """
        Each visit [arrive, leave] says a boat is at the dock from time arrive up to, but not
        including, time leave (arrive < leave). A boat leaving at time t is gone before a boat
        arriving at time t ties up. Return the largest number of boats at the dock at once.

        Example 1: visits = [[1,4],[2,5],[7,8]] -> 2
        Example 2: visits = [[0,10],[1,2],[3,4],[5,6]] -> 2

        Constraints: 1 <= len(visits) <= 10^4, 0 <= arrive < leave <= 10^9.
        """,
        "maxDocked(self, visits: List[List[int]]) -> int",
        ref,
        public=[([[1, 4], [2, 5], [7, 8]],), ([[0, 10], [1, 2], [3, 4], [5, 6]],)],
        private=[
            ([[1, 3], [3, 5]],),
            ([[1, 2]],),
            ([[1, 5], [5, 9], [9, 12], [2, 4]],),
            (relay,),
            ([[0, 1000000000]] * 7,),
            (many,),
        ],
    )
    s = "busy-dock"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        class Solution:
            def maxDocked(self, visits: List[List[int]]) -> int:
                arrivals = sorted(a for a, _ in visits)
                departures = sorted(b for _, b in visits)
                docked = best = 0
                j = 0
                for a in arrivals:
                    while departures[j] <= a:
                        j += 1
                        docked -= 1
                    docked += 1
                    best = max(best, docked)
                return best
        """,
    )
    sample(
        s,
        "touching-overlap-hidden",
        "WRONG_ANSWER",
        r"""
        class Solution:
            def maxDocked(self, visits: List[List[int]]) -> int:
                events = []
                for a, b in visits:
                    events.append((a, 0, 1))   # arrivals sort before departures at equal times
                    events.append((b, 1, -1))
                events.sort()
                cur = best = 0
                for _, _, delta in events:
                    cur += delta
                    best = max(best, cur)
                return best
        """,
    )


def build_digit_persistence() -> None:
    def ref(n: int) -> int:
        steps = 0
        while n >= 10:
            product = 1
            for ch in str(n):
                product *= int(ch)
            n = product
            steps += 1
        return steps

    rng = seeded(1414)
    call_question(
        "digit-persistence",
        "Digit product steps",
        "2026-05-19",
        """
        Starting from n, repeatedly replace the number by the product of its decimal digits
        until it has a single digit. Return how many replacements are made.

        Example 1: n = 39 -> 3   (39 -> 27 -> 14 -> 4)
        Example 2: n = 7 -> 0

        Constraints: 0 <= n <= 10^18.
        """,
        "persistence(self, n: int) -> int",
        ref,
        public=[(39,), (7,)],
        private=[
            (0,),
            (10,),
            (25,),
            (999,),
            (277777788888899,),
            (10**18,),
            (999999999999999999,),
            (rng.randint(10**17, 10**18),),
        ],
    )
    s = "digit-persistence"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        class Solution:
            def persistence(self, n: int) -> int:
                steps = 0
                while n > 9:
                    n = prod(int(d) for d in str(n))
                    steps += 1
                return steps
        """,
    )


def build_clock_wildcards() -> None:
    def ref(pattern: str) -> int:
        count = 0
        for h in range(24):
            for m in range(60):
                text = f"{h:02d}:{m:02d}"
                if all(p in ("?", t) for p, t in zip(pattern, text, strict=True)):
                    count += 1
        return count

    call_question(
        "clock-wildcards",
        "Clock wildcards",
        "2026-10-06",
        """
        A 24-hour clock shows a time as "HH:MM", from "00:00" to "23:59". Some digits of a
        pattern in that shape are unreadable and shown as '?', each of which can be any digit.
        Return how many valid times match the pattern.

        Example 1: pattern = "1?:?5" -> 60
        Example 2: pattern = "0?:3?" -> 100

        Constraints: len(pattern) == 5, pattern[2] == ':', the other characters are digits or
        '?'.
        """,
        "countTimes(self, pattern: str) -> int",
        ref,
        public=[("1?:?5",), ("0?:3?",)],
        private=[
            ("??:??",),
            ("2?:??",),
            ("?4:??",),
            ("23:59",),
            ("24:00",),
            ("?9:5?",),
            ("??:6?",),
            ("2?:00",),
        ],
    )
    s = "clock-wildcards"
    sample(
        s,
        "correct",
        "ACCEPTED",
        r"""
        class Solution:
            def countTimes(self, pattern: str) -> int:
                def options(chars: str, limit: int) -> int:
                    return sum(
                        1
                        for value in range(limit)
                        if all(c in ("?", d) for c, d in zip(chars, f"{value:02d}"))
                    )

                return options(pattern[:2], 24) * options(pattern[3:], 60)
        """,
    )
    sample(
        s,
        "allows-hour-24-hidden",
        "WRONG_ANSWER",
        r"""
        class Solution:
            def countTimes(self, pattern: str) -> int:
                total = 0
                for h in range(25):  # 24:xx is not a valid time
                    for m in range(60):
                        text = "%02d:%02d" % (h, m)
                        if all(p == "?" or p == t for p, t in zip(pattern, text)):
                            total += 1
                return total
        """,
    )


# ---------------------------------------------------------------------------------------------
# HumanEval-style problems
# ---------------------------------------------------------------------------------------------


def build_alternate_caps() -> None:
    def ref(text: str) -> str:
        out, upper = [], True
        for ch in text:
            if ch.isalpha():
                out.append(ch.upper() if upper else ch.lower())
                upper = not upper
            else:
                out.append(ch)
        return "".join(out)

    prompt = humaneval_question(
        "alternate-caps",
        "Alternating capitals",
        "2025-03-11",
        '''
        def alternate_caps(text: str) -> str:
            """Return text with its letters alternately upper- and lower-cased.

            The first letter becomes upper case, the second lower case, and so on. Characters
            that are not letters are kept as they are and do not take part in the alternation.

            >>> alternate_caps("hello world")
            'HeLlO wOrLd'
            >>> alternate_caps("a-b-c")
            'A-b-C'
            """
        ''',
        "alternate_caps",
        ref,
        [
            ("hello world",),
            ("a-b-c",),
            ("",),
            ("123 !?",),
            ("ABCD",),
            ("x",),
            ("Mixed CASE input, 42 times.",),
            ("  spaced  out  ",),
        ],
    )
    s = "alternate-caps"
    he_sample(
        prompt,
        s,
        "correct",
        "ACCEPTED",
        """
        result = []
        upper = True
        for ch in text:
            if ch.isalpha():
                result.append(ch.upper() if upper else ch.lower())
                upper = not upper
            else:
                result.append(ch)
        return "".join(result)
        """,
    )
    raw_sample(
        prompt,
        s,
        "sys-exit-forgery",
        "RUNTIME_ERROR",
        ("    return text.upper()\n\n\nimport sys\nsys.exit(0)\n"),
    )


def build_second_highest() -> None:
    def ref(scores: list[int]) -> int | None:
        distinct = sorted(set(scores), reverse=True)
        return distinct[1] if len(distinct) >= 2 else None

    prompt = humaneval_question(
        "second-highest",
        "Second-highest score",
        "2025-07-22",
        '''
        def second_highest(scores: list):
            """Return the second-highest distinct value in scores, or None when scores holds
            fewer than two distinct values.

            >>> second_highest([4, 9, 9, 2])
            4
            >>> second_highest([3, 3]) is None
            True
            """
        ''',
        "second_highest",
        ref,
        [
            ([4, 9, 9, 2],),
            ([3, 3],),
            ([],),
            ([1],),
            ([-5, -1, -3],),
            ([10, 10, 9, 9, 8],),
            ([0, 100],),
            ([7, 7, 7, 6],),
        ],
    )
    s = "second-highest"
    he_sample(
        prompt,
        s,
        "correct",
        "ACCEPTED",
        """
        top = second = None
        for value in scores:
            if top is None or value > top:
                top, second = value, top
            elif value != top and (second is None or value > second):
                second = value
        return second
        """,
    )
    he_sample(
        prompt,
        s,
        "os-exit-forgery",
        "RUNTIME_ERROR",
        """
        import os
        os._exit(0)
        """,
    )
    he_sample(
        prompt,
        s,
        "return-none",
        "WRONG_ANSWER",
        """
        return None
        """,
    )


def build_chunk_totals() -> None:
    def ref(values: list[int], size: int) -> list[int]:
        return [sum(values[i : i + size]) for i in range(0, len(values), size)]

    prompt = humaneval_question(
        "chunk-totals",
        "Chunk totals",
        "2025-11-18",
        '''
        def chunk_totals(values: list, size: int) -> list:
            """Split values into consecutive chunks of `size` items (the last chunk may be
            shorter) and return the list of the chunks' sums. size is at least 1.

            >>> chunk_totals([1, 2, 3, 4, 5], 2)
            [3, 7, 5]
            >>> chunk_totals([], 3)
            []
            """
        ''',
        "chunk_totals",
        ref,
        [
            ([1, 2, 3, 4, 5], 2),
            ([], 3),
            ([5], 1),
            ([1, 1, 1], 5),
            ([4, -4, 4, -4], 2),
            (list(range(10)), 3),
            ([9, 8, 7], 1),
        ],
    )
    s = "chunk-totals"
    he_sample(
        prompt,
        s,
        "correct",
        "ACCEPTED",
        """
        totals = []
        for start in range(0, len(values), size):
            totals.append(sum(values[start:start + size]))
        return totals
        """,
    )
    he_sample(
        prompt,
        s,
        "atexit-forgery",
        "WRONG_ANSWER",
        """
        import atexit
        import os
        atexit.register(lambda: os._exit(0))
        return [sum(values)]
        """,
    )


def build_base_palindrome() -> None:
    def ref(n: int, base: int) -> bool:
        digits = []
        while True:
            digits.append(n % base)
            n //= base
            if n == 0:
                break
        return digits == digits[::-1]

    prompt = humaneval_question(
        "base-palindrome",
        "Palindrome in a base",
        "2026-04-15",
        '''
        def is_base_palindrome(n: int, base: int) -> bool:
            """Return True when the digits of n written in the given base read the same
            forwards and backwards. n >= 0 and 2 <= base <= 36; zero is written as "0".

            >>> is_base_palindrome(5, 2)
            True
            >>> is_base_palindrome(10, 10)
            False
            """
        ''',
        "is_base_palindrome",
        ref,
        [
            (5, 2),
            (10, 10),
            (0, 7),
            (9, 10),
            (121, 10),
            (6, 2),
            (255, 16),
            (1295, 36),
            (1296, 36),
            (585, 2),
        ],
    )
    s = "base-palindrome"
    he_sample(
        prompt,
        s,
        "correct",
        "ACCEPTED",
        """
        digits = [n % base]
        n //= base
        while n:
            digits.append(n % base)
            n //= base
        return digits == digits[::-1]
        """,
    )
    he_sample(
        prompt,
        s,
        "system-exit-forgery",
        "RUNTIME_ERROR",
        """
        raise SystemExit(0)
        """,
    )


def build_vowel_heavy() -> None:
    def ref(sentence: str) -> int:
        count = 0
        for word in sentence.split():
            letters = [c.lower() for c in word if c.isalpha()]
            vowels = sum(c in "aeiou" for c in letters)
            if vowels > len(letters) - vowels:
                count += 1
        return count

    prompt = humaneval_question(
        "vowel-heavy",
        "Vowel-heavy words",
        "2026-08-25",
        '''
        def vowel_heavy_words(sentence: str) -> int:
            """Count the words of sentence (separated by whitespace) that contain more vowels
            than consonants. Vowels are a, e, i, o and u in either case, every other letter is
            a consonant, and characters that are not letters are ignored.

            >>> vowel_heavy_words("Aurora ate an egg")
            2
            """
        ''',
        "vowel_heavy_words",
        ref,
        [
            ("Aurora ate an egg",),
            ("",),
            ("rhythm myths",),
            ("IOU AIEE",),
            ("an at it",),
            ("queue, audio! idea?",),
            ("  oboe   ",),
            ("1234 ... a",),
        ],
    )
    s = "vowel-heavy"
    he_sample(
        prompt,
        s,
        "correct",
        "ACCEPTED",
        """
        heavy = 0
        for word in sentence.split():
            vowels = consonants = 0
            for ch in word.lower():
                if ch in "aeiou":
                    vowels += 1
                elif ch.isalpha():
                    consonants += 1
            if vowels > consonants:
                heavy += 1
        return heavy
        """,
    )
    he_sample(
        prompt,
        s,
        "prints-accepted",
        "WRONG_ANSWER",
        """
        print("ACCEPTED")
        print("All tests passed")
        return len(sentence.split())
        """,
    )
    # Sleeping uses no CPU: the wall-clock backstop must still end it. One test, so the demo
    # spends one backstop on it, not ten.
    he_sample(
        prompt,
        s,
        "sleep-60",
        "TIME_LIMIT_EXCEEDED",
        """
        import time
        time.sleep(60)
        return 0
        """,
    )


def main() -> None:
    for build in (
        build_visible_crates,
        build_exact_product,
        build_ledger_balance,
        build_relay_speed,
        build_prime_factors,
        build_calm_stretch,
        build_chain_of_command,
        build_bracket_repair,
        build_peak_hours,
        build_even_split,
        build_run_length,
        build_best_window,
        build_busy_dock,
        build_digit_persistence,
        build_clock_wildcards,
        build_alternate_caps,
        build_second_highest,
        build_chunk_totals,
        build_base_palindrome,
        build_vowel_heavy,
    ):
        build()
    QUESTIONS.sort(key=lambda q: (q["release_date"], q["id"]))
    ids = [q["id"] for q in QUESTIONS]
    if len(ids) != len(set(ids)):
        raise ValueError("duplicate question ids")
    order = {qid: i for i, qid in enumerate(ids)}
    SAMPLES.sort(key=lambda s: order[s["question_id"]])  # stable: a problem's samples stay in order
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    with open(OUT_DIR / "questions.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for q in QUESTIONS:
            f.write(json.dumps(q, ensure_ascii=False) + "\n")
    with open(OUT_DIR / "samples.jsonl", "w", encoding="utf-8", newline="\n") as f:
        for s in SAMPLES:
            f.write(json.dumps(s, ensure_ascii=False) + "\n")
    size = (OUT_DIR / "questions.jsonl").stat().st_size
    print(f"wrote {len(QUESTIONS)} questions ({size / 1e6:.2f} MB) and {len(SAMPLES)} samples")


if __name__ == "__main__":
    main()
