#!/usr/bin/env python3
"""Mutation scores of the modules that decide verdicts and limits (`make mutate`, docs/testing.md).

`--run` first runs mutmut (configured in pyproject.toml's [tool.mutmut]) over the mutants of UNITS;
then, from mutmut's results in mutants/, prints each unit's score: killed / (total - equivalent),
where the equivalent mutants are those listed, each with its reason, in tests/mutation/equivalent.txt.
Exits non-zero if any unit is under the threshold, or if a mutant of a unit was not checked.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
MUTANTS = REPO / "mutants"
EQUIVALENT = REPO / "tests" / "mutation" / "equivalent.txt"
RECORDED = REPO / "tests" / "mutation" / "scores.txt"
"""The scores of the last whole run (`--record`); `--changed` runs the units changed since."""
THRESHOLD = 0.90

# mutmut names a mutant `<module>.x_<function>__mutmut_<n>`, or for a method
# `<module>.xǁ<Class>ǁ<method>__mutmut_<n>`; a unit is the functions that hold one rule.
UNITS: dict[str, tuple[str, ...]] = {
    "judge.checkers": ("grader.judge.checkers.*",),
    "judge.outcome": ("grader.judge.outcome.*",),
    "judge.values": ("grader.judge.values.*",),
    "judge.verdict": ("grader.judge.verdict.*", "grader.grading.xǁGradingEngineǁ_finish__*"),
    "judge.passk": ("grader.judge.passk.*", "grader.api.batch.x_summary__*"),
    "admission": ("grader.admission.*", "grader.grading.xǁAdmissionǁ*"),
    "sandbox.limits": (
        "grader.sandbox.limits.*",
        "grader.sandbox.command.x_container_args__*",
        "grader.sandbox.command.x_ipc_limit_args__*",
        "grader.sandbox.docker.xǁDockerSandboxǁwall_s__*",
        "grader.sandbox.runtimes.x_limit_args__*",
    ),
    "runner.limits": (
        "grader.runner.batch.xǁBudgetǁ*",
        "grader.runner.worker.xǁWorkerǁrlimit_cpu__*",
        "grader.runner.worker.xǁWorkerǁwall_deadline__*",
        "grader.runner.batch.xǁBatchWorkerǁwall_deadline__*",
        "grader.runner.job.xǁJobǁ__init____*",
        "grader.runner.protocol.x_report_limit__*",
    ),
    "bank.filters": (
        "grader.bank.store.x__check_date__*",
        "grader.bank.store.x_is_release_date__*",
        "grader.bank.store.xǁBankStoreǁlist_questions__*",
    ),
}

# mutmut's exit codes (mutmut.stats.status_by_exit_code): a test failed (1, 3), the type checker
# rejected it (37), or it ran past its time (a mutant that hangs is caught too).
KILLED = {1, 3, 37}
TIMEOUT = {36, 24, -24, 152, 255}
SURVIVED = {0}
NO_TESTS = {5, 33}


@dataclass
class Score:
    total: int = 0
    killed: int = 0
    equivalent: int = 0
    survivors: list[str] = field(default_factory=list)
    unchecked: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    """Listed as equivalent, yet killed: the list is out of date."""

    @property
    def counted(self) -> int:
        return self.total - self.equivalent

    @property
    def ratio(self) -> float:
        return self.killed / self.counted if self.counted else 1.0


def load_equivalent(path: Path = EQUIVALENT) -> dict[str, str]:
    """`<mutant name>  <why it is equivalent>` per line; `#` starts a comment line."""
    reasons: dict[str, str] = {}
    if not path.exists():
        return reasons
    for number, raw in enumerate(path.read_text("utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, _, reason = line.partition(" ")
        if not reason.strip():
            raise SystemExit(f"{path}:{number}: {name} needs the reason it is equivalent")
        reasons[name] = reason.strip()
    return reasons


def load_results(mutants: Path = MUTANTS) -> dict[str, int | None]:
    results: dict[str, int | None] = {}
    for meta in mutants.glob("grader/**/*.py.meta"):
        results.update(json.loads(meta.read_text("utf-8"))["exit_code_by_key"])
    return results


def unit_of(name: str) -> str | None:
    for unit, patterns in UNITS.items():
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return unit
    return None


def scores(results: dict[str, int | None], equivalent: dict[str, str]) -> dict[str, Score]:
    by_unit = {unit: Score() for unit in UNITS}
    for name, code in sorted(results.items(), key=lambda item: _natural(item[0])):
        unit = unit_of(name)
        if unit is None:
            continue
        score = by_unit[unit]
        score.total += 1
        if code in KILLED or code in TIMEOUT:
            if name in equivalent:
                score.stale.append(name)
            score.killed += 1
        elif code is None:
            score.unchecked.append(name)
        elif name in equivalent:
            score.equivalent += 1
        else:
            score.survivors.append(name)
    return by_unit


def _natural(name: str) -> tuple[str, int]:
    stem, _, number = name.rpartition("__mutmut_")
    return stem, int(number) if number.isdigit() else 0


def unit_files(unit: str) -> set[str]:
    """The source files of a unit's mutants: `grader.judge.checkers.x_...` is grader/judge/checkers.py."""
    files = set()
    for pattern in UNITS[unit]:
        module = pattern.split(".x", 1)[0].rstrip(".*")
        files.add(module.replace(".", "/") + ".py")
    return files


def changed_units() -> tuple[list[str], str]:
    """The units whose source changed since the commit that last recorded the scores (the
    working tree included), and that commit; every unit when there is none."""
    last = subprocess.run(["git", "log", "-1", "--format=%H", "--", str(RECORDED.relative_to(REPO))],
                          cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    if not last:
        return list(UNITS), "(no recorded scores)"
    diff = subprocess.run(["git", "diff", "--name-only", last, "--", "grader"],
                          cwd=REPO, capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    return [unit for unit in UNITS if unit_files(unit) & set(diff)], last[:12]


def run_mutmut(units: list[str], max_children: int, only: list[str] | None = None) -> int:
    """mutmut over the units' mutants (it reruns every mutant it is given by name or pattern), or
    over `only` those."""
    env = dict(os.environ)
    env.setdefault("GRADER_DATASETS", str(REPO.parent / "shared" / "datasets"))
    patterns = only if only is not None else [p for unit in units for p in UNITS[unit]]
    if not patterns:
        return 0
    command = [sys.executable, "-m", "mutmut", "run", "--max-children", str(max_children), *patterns]
    return subprocess.run(command, cwd=REPO, env=env, check=False).returncode


def table(by_unit: dict[str, Score], units: list[str]) -> list[str]:
    lines = [f"{'unit':<16} {'killed':>6} / {'total':>5}  {'equiv':>5}  {'score':>6}"]
    for unit in units:
        s = by_unit[unit]
        lines.append(f"{unit:<16} {s.killed:>6} / {s.counted:>5}  {s.equivalent:>5}  {s.ratio:>6.1%}")
    return lines


def report(by_unit: dict[str, Score], units: list[str], equivalent: dict[str, str]) -> bool:
    ok = True
    print(f"{'unit':<16} {'killed':>6} / {'total':>5}  {'equiv':>5}  {'score':>6}")
    for unit in units:
        s = by_unit[unit]
        low = s.counted > 0 and s.ratio < THRESHOLD
        flag = "  UNDER 90%" if low else ""
        if s.unchecked:
            flag += f"  {len(s.unchecked)} NOT CHECKED"
        print(f"{unit:<16} {s.killed:>6} / {s.counted:>5}  {s.equivalent:>5}  {s.ratio:>6.1%}{flag}")
        ok = ok and not low and not s.unchecked
    for unit in units:
        s = by_unit[unit]
        for name in s.survivors:
            print(f"survived  {unit:<16} {name}   (mutmut show {name})")
        for name in s.stale:
            print(f"killed, yet listed as equivalent: {name} ({equivalent[name]})")
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", action="store_true", help="run mutmut over the units first")
    parser.add_argument("--max-children", type=int, default=os.cpu_count() or 1)
    since = f"only the units whose source changed since {RECORDED.name} was last committed"
    parser.add_argument("--changed", action="store_true", help=since)
    parser.add_argument("--record", action="store_true", help=f"write the scores to {RECORDED.name}")
    again = "run mutmut again over the last run's survivors only (after adding tests)"
    parser.add_argument("--survivors", action="store_true", help=again)
    parser.add_argument("units", nargs="*", help=f"units to run and score (default: {', '.join(UNITS)})")
    args = parser.parse_args(argv)
    units = args.units or list(UNITS)
    unknown = sorted(set(units) - set(UNITS))
    if unknown:
        parser.error(f"unknown units: {', '.join(unknown)}")
    if args.changed:
        units, since = changed_units()
        print(f"units changed since {since}: {', '.join(units) or 'none'}")
        if not units:
            return 0
    if args.run or args.survivors:
        only = None
        if args.survivors:
            by_unit = scores(load_results(), load_equivalent())
            only = [n for unit in units for n in by_unit[unit].survivors + by_unit[unit].unchecked]
        code = run_mutmut(units, args.max_children, only)
        if code != 0:
            print(f"mutmut run exited with {code}", file=sys.stderr)
            return code
    equivalent = load_equivalent()
    by_unit = scores(load_results(), equivalent)
    ok = report(by_unit, units, equivalent)
    if args.record:
        RECORDED.write_text("\n".join(table(by_unit, units)) + "\n", "utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
