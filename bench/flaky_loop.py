"""The tests that have flaked, or that race the machine's load, run many times over: prints
failures/runs per test, and exits 1 when any run failed. Not in CI (it takes minutes); run it after
touching the interceptors, the pool or the server's lifecycle.

    .venv/bin/python -m bench.flaky_loop [--runs 200] [--integration-runs 5] [--only auth]

Each group is one pytest process whose tests are parametrized `runs` times (module fixtures such as
a test server are shared by the repetitions, as in a normal run); the integration tests use the
real Docker engine and `GRADER_SANDBOX_IMAGE` / `GRADER_TEST_RUNTIME` as the suite does.
"""

from __future__ import annotations

import argparse
import collections
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
STEP = "flaky_loop_run"


@dataclass(frozen=True)
class Group:
    name: str
    tests: tuple[str, ...]
    integration: bool
    """Runs `--integration-runs` times (slow, Docker) rather than `--runs` times."""


GROUPS = (
    Group(
        "auth",
        (
            "tests/unit/test_auth.py::TestInterceptor::test_right_token",
            "tests/unit/test_auth.py::TestInterceptor::test_refused_streams_keep_their_status",
        ),
        integration=False,
    ),
    Group("faults", ("tests/integration/test_faults.py",), integration=True),
    Group("orphans", ("tests/integration/test_orphans.py",), integration=True),
    Group(
        "lifecycle",
        (
            "tests/integration/test_engine_and_lifecycle.py::TestSigterm",
            "tests/integration/test_engine_and_lifecycle.py::TestEngineAway",
        ),
        integration=True,
    ),
)


class Repeat:
    """A pytest plugin: every collected test `count` times, and each run's outcome recorded."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.outcomes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)

    def pytest_generate_tests(self, metafunc: Any) -> None:
        metafunc.fixturenames.append(STEP)
        metafunc.parametrize(STEP, range(self.count), ids=lambda i: f"run{i}")

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.when == "call" or report.outcome != "passed":
            self.outcomes[without_run(report.nodeid)][report.outcome] += 1


def without_run(nodeid: str) -> str:
    """The test's id without the repetition's `runN` parameter."""
    name, bracket, params = nodeid.partition("[")
    kept = [p for p in params.rstrip("]").split("-") if not re.fullmatch(r"run\d+", p)]
    return f"{name}[{'-'.join(kept)}]" if bracket and kept else name


def run_group(group: Group, count: int) -> dict[str, collections.Counter[str]]:
    """Runs the group in a child process (its own event loops and gRPC state) and reads back
    its outcomes, one `outcome nodeid` line each."""
    child = (
        "import sys, pytest\n"
        "from bench.flaky_loop import Repeat\n"
        "repeat = Repeat(int(sys.argv[1]))\n"
        "args = ['-q', '-p', 'no:cacheprovider', '--no-header', *sys.argv[2:]]\n"
        "pytest.main(args, plugins=[repeat])\n"
        "for test, counts in repeat.outcomes.items():\n"
        "    for outcome, n in counts.items():\n"
        "        print(f'FLAKY_LOOP {n} {outcome} {test}', file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", child, str(count), *group.tests],
        cwd=REPO, capture_output=True, text=True, check=False,
    )  # fmt: skip
    outcomes: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    for line in done.stderr.splitlines():
        if line.startswith("FLAKY_LOOP "):
            _, n, outcome, test = line.split(" ", 3)
            outcomes[test][outcome] += int(n)
    if not outcomes or any(c["failed"] for c in outcomes.values()):
        # What failed, and how: pytest's own summary.
        print(done.stdout[-6000:], file=sys.stderr)
    if not outcomes:
        outcomes[f"{group.name} (no test ran, exit {done.returncode})"]["failed"] += 1
    return outcomes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=200, help="runs of each unit test (default 200)")
    parser.add_argument(
        "--integration-runs", type=int, default=5, help="runs of each integration test (default 5)"
    )
    parser.add_argument("--only", action="append", choices=[g.name for g in GROUPS], help="these groups")
    args = parser.parse_args()
    failed = 0
    print(f"{'failures/runs':>14}  {'seconds':>7}  test")
    for group in GROUPS:
        if args.only and group.name not in args.only:
            continue
        count = args.integration_runs if group.integration else args.runs
        started = time.monotonic()
        outcomes = run_group(group, count)
        seconds = time.monotonic() - started
        for test, counts in sorted(outcomes.items()):
            runs = sum(counts.values())
            bad = runs - counts["passed"]
            failed += bad
            print(f"{bad:>7}/{runs:<6}  {seconds:7.0f}  {test}", flush=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
