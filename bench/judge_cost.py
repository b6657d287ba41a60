"""Server-side cost of judging one hostile answer: CPU seconds and peak RSS growth of
`judge_test` on a 16 MiB answer (one line of short numbers, by default), one checker per fresh
process so that peaks do not mix.

    .venv/bin/python -m bench.judge_cost [--mb 16] [--checker lcb tokens float exact json evalplus]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time

from grader.bank.model import CheckerName, CheckerSpec, Limits, QuestionInfo, QuestionKind, TestCase
from grader.judge.outcome import judge_test
from grader.sandbox.interface import Answer, TestRun

CALL_CHECKERS = ("json", "evalplus", "poly_root")
CHECKERS = ("lcb", "tokens", "float", "exact", "json", "evalplus")


def _numbers(size: int, separator: str) -> str:
    """About `size` characters of two-digit numbers: distinct objects once split (Python caches
    one-character strings), built without a list of them (which would raise the baseline peak)."""
    period = separator.join(str(n) for n in range(10, 100)) + separator
    return (period * (size // len(period) + 1))[:size].rsplit(separator, 1)[0]


def _rss_kb() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def measure(checker: str, size: int, matching: bool) -> dict[str, float | str]:
    """Judges one answer of `size` bytes in this process; returns CPU s, wall s, and how far the
    peak RSS rose above the RSS before the call, in MiB."""
    kind = QuestionKind.CALL if checker in CALL_CHECKERS else QuestionKind.STDIN
    info = QuestionInfo(id="bench/judge", title="judge", kind=kind, entry_point="f",
                        limits=Limits(output_mb=size >> 20 or 1),
                        checker=CheckerSpec(CheckerName(checker)))  # fmt: skip
    if kind is QuestionKind.CALL:
        answer = "[" + _numbers(size, ", ") + "]"
        said = Answer(reported=True, value=answer, typed=answer)
        expected = answer[: answer.rindex(" ")] + " 0]" if matching else "[1, 2, 3]"
        test = TestCase(input="[1, 2]\n", output=expected, public=False)
    else:
        text = _numbers(size, " ")
        said = Answer(stdout=text.encode())
        expected = text[: text.rindex(" ")] + " 0\n" if matching else "1 2 3\n"
        test = TestCase(input="", output=expected, public=False)
        del text
    run = TestRun(exit_code=0, signal=None, cpu_ms=1.0, wall_ms=1.0, peak_memory_kb=1, timed_out=False,
                  oom_killed=False, output_exceeded=False, answer=said)  # fmt: skip
    rss_before = _rss_kb()
    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    verdict = judge_test(info, test, run).verdict
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return {"checker": checker, "verdict": verdict.name, "cpu_s": round(cpu, 3), "wall_s": round(wall, 3),
            "peak_rss_growth_mib": round((after.ru_maxrss - rss_before) / 1024, 1)}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=16)
    parser.add_argument("--checker", nargs="*", default=list(CHECKERS))
    parser.add_argument(
        "--matching",
        action="store_true",
        help="expect the answer itself but for its last number (the most work)",
    )
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.mb << 20, args.matching)))
        return
    for checker in args.checker:
        command = [sys.executable, "-m", "bench.judge_cost", "--mb", str(args.mb), "--one", checker]
        command += ["--matching"] if args.matching else []
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        print(out.stdout.strip() or f"{checker}: failed {out.stderr.strip().splitlines()[-1:]}")


if __name__ == "__main__":
    main()
