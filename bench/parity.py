"""Parity with EvalPlus: grade the recorded solutions of each model and compare with EvalPlus's
recorded base and plus verdicts, per model and dataset.

    .venv/bin/python -m bench.parity [--dataset humaneval|mbpp] [--tests base|plus] [--models N]
        [--bank PATH] [--runs K [--loaded]] [--evalplus] [--canonical] [--json PATH]

* ``--tests base`` builds a base bank (HumanEval / MBPP inputs) and compares base verdicts.
  ``--tests plus`` builds one bank with base + plus inputs and grades every model twice through
  it, choosing the test set per request: base (against EvalPlus's ``base_status``) and plus
  (against ``base_status`` and ``plus_status`` both passing, as EvalPlus's HumanEval+ score).
* ``--bank PATH`` grades with a bank built before (``grader bank build --evalplus-tests ...``).
* ``--runs K`` grades everything K times and counts samples whose verdict changed between runs;
  with ``--loaded`` the last run has the same full run going on in parallel on a second server.
* ``--evalplus`` also runs EvalPlus on every solution of the first model and prints its wall
  time and its fresh verdicts side by side with ours.
* ``--canonical`` first grades every task's canonical solution (each must be ACCEPTED).
* ``--json PATH`` writes the per-model figures and every disagreement with its evidence.

The report prints raw agreement first. Then every disagreement is examined on this machine in
this same run, and counts as explained only by what that shows:

* the peer's fresh verdict: EvalPlus 0.3.1 (from PyPI, in its own virtualenv
  bench/.venv-evalplus) is run on the disagreeing solutions; if its verdict now agrees with
  ours, the recorded one was not reproducible here — unless ours is a TIME_LIMIT_EXCEEDED the
  CPU measurement below contradicts (the candidate needs well under the limit: a timeout by the
  wall clock on a loaded machine, which the peer, timed by the wall clock, may share);
* the candidate's CPU time: a time-shaped disagreement (ours TIME_LIMIT_EXCEEDED and the peer's
  pass, or ours ACCEPTED and the peer's fail) is graded again by grader itself on a copy of the
  bank whose limits for those tasks are raised (x MEASURE_FACTOR), on an operator-side server
  with ``--private-test-metrics exact``; if the CPU the candidate needs on the input is within
  NEAR_LIMIT (10 %) of the limit, either verdict is one a slightly faster or slower machine gives.

Nothing else excuses a disagreement: everything left is printed as unexplained, and a task
that is not in the bank (its canonical solution failed at build time) is never agreement.
Expected outputs come from the canonical solutions run in the sandbox at build time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gzip
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.server import DATASETS, REPO, grader_server
from grader.client import GraderClient
from grader.evaluate import Sample, SampleResult, evaluate
from grader.v1 import grader_pb2 as pb

EVALPLUS_FILES = {
    "humaneval": DATASETS / "evalplus" / "HumanEvalPlus-v0.1.10.jsonl.gz",
    "mbpp": DATASETS / "evalplus" / "MbppPlus-v0.2.0.jsonl.gz",
}
EVALPLUS_VENV = REPO / "bench" / ".venv-evalplus"
EVALPLUS_VERSION = "0.3.1"
TEST_SETS = {"base": pb.TEST_SET_BASE, "plus": pb.TEST_SET_PLUS}
NEAR_LIMIT = 0.10
"""A CPU time within this fraction of the limit, either side, explains a time-shaped disagreement."""
MEASURE_FACTOR = 2.0
"""The limits of disagreeing tasks are raised this much for the CPU measurement, so that a
candidate just over its limit finishes and shows how much it needs."""
MEASURE_RUNS = 2
MEASURE_FLAGS = ("--private-test-metrics", "exact", "--wall-factor", "20", "--wall-extra-s", "30")
"""An operator-side server: results carry every test's CPU time, and the wall-clock backstop is
far enough that a loaded machine cannot stop a CPU-bound candidate before its CPU limit."""
PASSED = "ACCEPTED"
TIMED_OUT = "TIME_LIMIT_EXCEEDED"


def build(dataset: str, tests: str, out: Path) -> None:
    subprocess.run(
        [str(REPO / ".venv" / "bin" / "grader"), "bank", "build", "--out", str(out),
         "--evalplus-tests", tests, str(EVALPLUS_FILES[dataset])],
        check=True, cwd=REPO,
    )  # fmt: skip


def model_files(dataset: str) -> list[Path]:
    return sorted((DATASETS / "verdicts" / dataset).glob("*.json"))


def model_name(path: Path) -> str:
    """A model file's short name: ``meta-llama--Meta-Llama-3-8B_vllm_temp_0.0-...`` -> ``Meta-Llama-3-8B``."""
    name = path.name.split("_vllm_temp")[0]
    return name.split("--", 1)[-1]


def recorded(path: Path) -> dict[str, dict[str, str]]:
    data = json.loads(path.read_text())
    return {task: entries[0] for task, entries in data["eval"].items()}


def passes(row: dict[str, Any], tests: str) -> bool:
    """EvalPlus's verdict: base, or plus = base and the extra inputs both pass."""
    return row["base_status"] == "pass" and (tests == "base" or row["plus_status"] == "pass")


def peer_text(row: dict[str, Any], tests: str) -> str:
    return f"base {row['base_status']}" + (f", plus {row['plus_status']}" if tests == "plus" else "")


@dataclass
class Disagreement:
    """One sample where grader and the peer's recorded verdict differ, and what this run showed."""

    model: str
    tests: str
    task: str
    code: str
    ours: str
    recorded: str
    failed_input: int | None
    """The first test that was not ACCEPTED in our run (None when ACCEPTED or not graded)."""
    graded: bool = True
    fresh: str | None = None
    """The peer's verdict on this solution in this run (``passes`` wording), None if not run."""
    fresh_agrees: bool | None = None
    limit_ms: float | None = None
    cpu_ms: float | None = None
    """The CPU the candidate needed on the input in question (raised limits); None: not measured."""
    cpu_input: int | None = None
    cpu_finished: bool = False
    """Whether the measured input finished within the raised limit (else cpu_ms is a lower bound)."""
    cpu_verdict: str = ""
    """The measured input's verdict with the raised limit."""
    explained: bool = False
    why: str = "unexplained"

    @property
    def time_shaped(self) -> bool:
        """Ours TLE against the peer's pass, or ours ACCEPTED against its fail: a verdict that
        could flip with the machine's speed."""
        return self.graded and self.ours in (TIMED_OUT, PASSED)

    def evidence(self) -> str:
        parts = [f"EvalPlus recorded: {self.recorded}"]
        parts.append(f"EvalPlus run here: {self.fresh}" if self.fresh is not None else "EvalPlus run here: -")
        if self.cpu_ms is not None and self.limit_ms is not None:
            bound = "" if self.cpu_finished else f">= (stopped: {self.cpu_verdict}) "
            parts.append(f"CPU on input {self.cpu_input}: {bound}{self.cpu_ms:.0f} ms, "
                         f"limit {self.limit_ms:.0f} ms ({self.cpu_ms / self.limit_ms:.2f}x)")  # fmt: skip
        return "; ".join(parts)

    def settle(self) -> None:
        """Explained only by what was measured in this run."""
        if not self.graded:
            self.why = "unexplained: not graded (the task is not in the bank)"
        elif self.contradicted():
            # Our TLE on an input the candidate finishes well within its CPU limit: not a slow
            # solution but grader's own error (the wall-clock backstop on a loaded machine?),
            # whatever the peer, timed by the wall clock on the same machine, says.
            self.why = "unexplained: our TLE, yet it needs well under the limit"
        elif self.fresh_agrees:
            self.explained, self.why = True, "explained: EvalPlus's fresh verdict agrees with ours"
        elif self.time_shaped and self.cpu_ms is not None and self.limit_ms and self.near_limit():
            self.explained, self.why = True, f"explained: CPU within {NEAR_LIMIT:.0%} of the limit"
        else:
            self.why = "unexplained"

    def contradicted(self) -> bool:
        """Whether the measurement shows our TIME_LIMIT_EXCEEDED was not about CPU time."""
        return (self.ours == TIMED_OUT and self.cpu_finished and self.cpu_ms is not None
                and self.limit_ms is not None and self.cpu_ms < (1 - NEAR_LIMIT) * self.limit_ms)  # fmt: skip

    def near_limit(self) -> bool:
        assert self.cpu_ms is not None
        assert self.limit_ms is not None
        if not self.cpu_finished:
            # Stopped (over the raised limit, or failed otherwise): no time it needs to compare.
            return False
        return abs(self.cpu_ms - self.limit_ms) <= NEAR_LIMIT * self.limit_ms

    def line(self) -> str:
        at = f" (input {self.failed_input})" if self.failed_input is not None else ""
        return (f"    {self.model[:34]:<34} {self.tests:<4} {self.task:<14} grader {self.ours}{at} | "
                f"{self.evidence()} — {self.why}")  # fmt: skip


@dataclass
class ModelFigures:
    model: str
    tests: str
    total: int
    agree: int
    seconds: float
    disagreements: list[Disagreement] = field(default_factory=list)

    @property
    def explained(self) -> int:
        return sum(d.explained for d in self.disagreements)


def first_failure(result: SampleResult) -> int | None:
    for index, verdict in enumerate(result.tests):
        if verdict != PASSED:
            return index
    return None


def compare(
    model: str, rows: dict[str, dict[str, str]], results: list[SampleResult], tests: str
) -> tuple[int, list[Disagreement]]:
    """How many agree with the peer's recorded verdicts, and the disagreements."""
    agree, found = 0, []
    for result in results:
        task = result.sample.question_id
        row = rows[task]
        if result.verdict == "ERROR_INVALID_ARGUMENT" and not (result.sample.code or "").strip():
            # A blank solution (the model wrote nothing): refused as such here, a fail there.
            agree += not passes(row, tests)
            continue
        if result.graded and passes(row, tests) == result.passed:
            agree += 1
            continue
        ours = result.verdict if result.graded else f"not graded ({result.verdict}: {result.error})"
        found.append(Disagreement(model, tests, task, result.sample.code or "", ours, peer_text(row, tests),
                                  first_failure(result), graded=result.graded))  # fmt: skip
    return agree, found


def samples_of(rows: dict[str, dict[str, str]]) -> list[Sample]:
    return [Sample(i, task, row["solution"], None) for i, (task, row) in enumerate(sorted(rows.items()))]


def grade(address: str, samples: list[Sample], tests: str) -> tuple[float, list[SampleResult]]:
    started = time.monotonic()
    # EvalPlus stops a sample at its first failing input; so does grader here.
    results = asyncio.run(
        evaluate(address, samples, progress=False, stop_on_first_failure=True, test_set=TEST_SETS[tests])
    )
    return time.monotonic() - started, results


# --- the CPU measurement: grader itself, limits raised, on an operator-side server -----------


def bank_limits(bank: Path, tasks: set[str]) -> dict[str, float]:
    """The time limit (seconds) of each task in the bank."""
    with contextlib.closing(sqlite3.connect(f"file:{bank}?mode=ro", uri=True)) as db:
        rows = db.execute("SELECT id, time_s FROM questions").fetchall()
    return {task: float(time_s) for task, time_s in rows if task in tasks}


def raised_bank(bank: Path, tasks: set[str], out: Path) -> Path:
    """A copy of the bank whose limits for `tasks` are MEASURE_FACTOR times higher."""
    shutil.copyfile(bank, out)
    with contextlib.closing(sqlite3.connect(out)) as db:
        db.executemany("UPDATE questions SET time_s = time_s * ? WHERE id = ?",
                       [(MEASURE_FACTOR, task) for task in sorted(tasks)])  # fmt: skip
        db.commit()
    return out


async def _responses(address: str, requests: Sequence[pb.GradeRequest]) -> list[pb.GradeResponse | None]:
    out: list[pb.GradeResponse | None] = [None] * len(requests)
    async with GraderClient(address, batch_timeout_s=3600.0) as client:
        async for item in client.grade_batch(requests):
            out[item.index] = item.result
    return out


def measure_cpu(bank: Path, found: list[Disagreement], work: Path) -> None:
    """Grades every time-shaped disagreement again with raised limits, MEASURE_RUNS times, and
    records the most CPU the candidate was found to need on the input in question: the one it
    timed out on, or its slowest when ACCEPTED. (A batch's per-input figure is at times read as
    0 on a loaded machine, the time going to no input: a figure too low never explains anything,
    and the highest of the runs is the one kept.)"""
    todo = [d for d in found if d.time_shaped]
    if not todo:
        return
    tasks = {d.task for d in todo}
    limits = bank_limits(bank, tasks)
    copy = raised_bank(bank, tasks, work / f"raised-{uuid.uuid4().hex}.db")
    requests = [pb.GradeRequest(question_id=d.task, code=d.code, request_id=uuid.uuid4().hex,
                                stop_on_first_failure=True, test_set=TEST_SETS[d.tests])
                for _ in range(MEASURE_RUNS) for d in todo]  # fmt: skip
    with grader_server(copy, *MEASURE_FLAGS) as (address, _):
        responses = asyncio.run(_responses(address, requests))
    copy.unlink()
    for i, d in enumerate(todo):
        d.limit_ms = limits[d.task] * 1000
        for response in responses[i :: len(todo)]:
            if response is None or not response.tests:
                continue
            if d.failed_input is not None and d.failed_input < len(response.tests):
                test = response.tests[d.failed_input]
            else:
                test = max(response.tests, key=lambda t: t.cpu_time_ms)
            if d.cpu_ms is None or test.cpu_time_ms > d.cpu_ms:
                d.cpu_input, d.cpu_ms = test.index, test.cpu_time_ms
                d.cpu_finished = test.verdict == pb.ACCEPTED
                d.cpu_verdict = pb.Verdict.Name(test.verdict)


# --- the peer, run here on the disagreeing solutions -----------------------------------------


def evalplus_python() -> Path:
    python = EVALPLUS_VENV / "bin" / "python"
    if not (EVALPLUS_VENV / ".installed").exists():
        subprocess.run([sys.executable, "-m", "venv", str(EVALPLUS_VENV)], check=True)
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", f"evalplus=={EVALPLUS_VERSION}"], check=True
        )
        (EVALPLUS_VENV / ".installed").touch()
    return python


def run_evalplus(
    dataset: str, solutions: Sequence[tuple[str, str]], work: Path, base_only: bool = False
) -> tuple[float, list[dict[str, Any]]]:
    """EvalPlus's own evaluation of (task, solution) pairs, on a copy of its dataset holding
    only their tasks (it refuses samples that leave a task out): wall seconds (the ground truth
    computed first, untimed) and its result row per pair, in order."""
    tasks = {task for task, _ in solutions}
    data = work / f"{dataset}-subset.jsonl"
    with gzip.open(EVALPLUS_FILES[dataset], "rt") as src, data.open("w") as dst:
        dst.writelines(line for line in src if line.strip() and json.loads(line)["task_id"] in tasks)
    samples = work / f"{dataset}-samples.jsonl"
    samples.write_text("".join(json.dumps({"task_id": t, "solution": s}) + "\n" for t, s in solutions))
    env = {**os.environ, f"{dataset.upper()}_OVERRIDE_PATH": str(data), "HOME": str(work)}
    env.pop("XDG_CACHE_HOME", None)
    command = [str(evalplus_python()), "-m", "evalplus.evaluate", "--dataset", dataset, "--samples",
               str(samples), "--parallel", str(os.cpu_count() or 2), "--i_just_wanna_run",
               *(["--base_only"] if base_only else [])]  # fmt: skip
    # The first run computes the canonical outputs (cached in $HOME/.cache); the timed one reuses them.
    seconds = 0.0
    for timed in (False, True):
        for old in work.glob(f"{dataset}-samples*eval_results.json*"):
            old.unlink()  # EvalPlus asks on stdin before it overwrites one
        started = time.monotonic()
        run = subprocess.run(command, env=env, capture_output=True, text=True, cwd=work, check=False)
        if run.returncode != 0:
            raise RuntimeError(f"EvalPlus failed (exit {run.returncode}):\n{run.stderr[-3000:]}")
        seconds = time.monotonic() - started if timed else 0.0
    result = json.loads(next(work.glob(f"{dataset}-samples*eval_results.json")).read_text())["eval"]
    # Each task's rows are in the order its samples came in the file.
    seen: dict[str, int] = {}
    rows = []
    for task, _ in solutions:
        rows.append(result[task][seen.get(task, 0)])
        seen[task] = seen.get(task, 0) + 1
    return seconds, rows


def fresh_verdicts(dataset: str, found: list[Disagreement], work: Path) -> None:
    """EvalPlus's verdict, in this run, on every graded disagreeing solution."""
    todo = [d for d in found if d.graded]
    if not todo:
        return
    base_only = all(d.tests == "base" for d in todo)
    _, rows = run_evalplus(dataset, [(d.task, d.code) for d in todo], work, base_only)
    for d, row in zip(todo, rows, strict=True):
        d.fresh = peer_text(row, d.tests)
        d.fresh_agrees = passes(row, d.tests) == (d.ours == PASSED)


# --- the report ------------------------------------------------------------------------------


def pct(part: int, whole: int) -> str:
    return f"{part}/{whole} = {part / max(whole, 1):.2%}"


def print_raw(dataset: str, figures: list[ModelFigures]) -> None:
    print(f"\nraw agreement with EvalPlus {EVALPLUS_VERSION}'s recorded verdicts ({dataset}):")
    for f in figures:
        print(f"  {f.model[:44]:<44} {f.tests:<4} raw {pct(f.agree, f.total):<18} ({f.seconds:.1f} s)")
    for which in sorted({f.tests for f in figures}):
        mine = [f for f in figures if f.tests == which]
        agree, total = sum(f.agree for f in mine), sum(f.total for f in mine)
        print(f"  {'total':<44} {which:<4} raw {pct(agree, total)}")


def print_explained(dataset: str, figures: list[ModelFigures]) -> None:
    found = [d for f in figures for d in f.disagreements]
    explained = [d for d in found if d.explained]
    print(f"\ndisagreements ({dataset}), each beside what this run measured:")
    for d in explained:
        print(d.line())
    print(f"unexplained ({len(found) - len(explained)}):")
    for d in found:
        if not d.explained:
            print(d.line())
    print(f"\nagreement per model ({dataset}): raw, and raw + explained by this run's evidence:")
    for f in figures:
        print(f"  {f.model[:44]:<44} {f.tests:<4} raw {pct(f.agree, f.total):<18} "
              f"explained {f.explained:<3} raw+explained {pct(f.agree + f.explained, f.total)}")  # fmt: skip
    for which in sorted({f.tests for f in figures}):
        mine = [f for f in figures if f.tests == which]
        agree, total = sum(f.agree for f in mine), sum(f.total for f in mine)
        both = agree + sum(f.explained for f in mine)
        print(f"  {'total':<44} {which:<4} raw {pct(agree, total):<18} "
              f"explained {both - agree:<3} raw+explained {pct(both, total)}")  # fmt: skip


# --- runs ------------------------------------------------------------------------------------


@contextlib.contextmanager
def parallel_load(bank: Path, files: list[Path], tests: list[str]) -> Iterator[None]:
    """The same full run, on a second server, in a thread while the body runs."""
    stop = threading.Event()

    def load() -> None:
        with grader_server(bank) as (address, _):
            while not stop.is_set():
                for path in files:
                    for which in tests:
                        if stop.is_set():
                            return
                        grade(address, samples_of(recorded(path)), which)

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    time.sleep(10)  # let the second server start and begin grading
    try:
        yield
    finally:
        stop.set()
        thread.join(600)


@dataclass
class Runs:
    """What the runs found: per model figures (first run), verdicts seen."""

    figures: list[ModelFigures]
    verdicts: dict[tuple[str, str, str], set[str]]

    def print_consistency(self, runs: int) -> None:
        changed = sorted(key for key, seen in self.verdicts.items() if len(seen) > 1)
        same = len(self.verdicts) - len(changed)
        print(f"consistency over {runs} runs: {same}/{len(self.verdicts)} verdicts identical")
        for name, which, task in changed:
            print(f"    {name[:40]} {which} {task}: {sorted(self.verdicts[(name, which, task)])}")


def grade_runs(address: str, bank: Path, files: list[Path], test_sets: list[str], args: Any) -> Runs:
    runs = Runs([], {})
    for run in range(1, args.runs + 1):
        loaded = args.loaded and run == args.runs
        if args.runs > 1:
            print(f"run {run}/{args.runs}" + (" (loaded: a second full run in parallel)" if loaded else ""))
        with parallel_load(bank, files, test_sets) if loaded else contextlib.nullcontext():
            for path in files:
                rows = recorded(path)
                for which in test_sets:
                    seconds, results = grade(address, samples_of(rows), which)
                    for r in results:
                        key = (model_name(path), which, r.sample.question_id)
                        runs.verdicts.setdefault(key, set()).add(r.verdict)
                    agree, found = compare(model_name(path), rows, results, which)
                    print(f"graded {model_name(path)[:44]:<44} {which:<4} {pct(agree, len(results))} "
                          f"agree, {seconds:.1f} s", flush=True)  # fmt: skip
                    if run == 1:
                        runs.figures.append(ModelFigures(model_name(path), which, len(results), agree,
                                                         seconds, found))  # fmt: skip
    return runs


def beside_evalplus(dataset: str, bank: Path, first: Path, which: str, work: Path) -> None:
    """Every solution of the first model, graded by us and by EvalPlus here, side by side:
    wall times, and where the two fresh verdicts differ."""
    rows = recorded(first)
    seconds, theirs = run_evalplus(dataset, sorted((t, r["solution"]) for t, r in rows.items()), work)
    with grader_server(bank) as (address, _):
        ours_s, results = grade(address, samples_of(rows), which)
    print(f"\nside by side, {model_name(first)} ({dataset} {which}, {len(results)} solutions): "
          f"wall time grader {ours_s:.1f} s (sandboxed, stop at first failure) vs EvalPlus "
          f"{EVALPLUS_VERSION} {seconds:.1f} s (unsandboxed, --parallel {os.cpu_count()}) = "
          f"{ours_s / seconds:.2f}x")  # fmt: skip
    fresh = {row["task_id"]: row for row in theirs}
    agree, found = compare(model_name(first), fresh, results, which)
    print(f"  grader vs EvalPlus run here: agree {pct(agree, len(results))}")
    for d in found:
        print(f"    {d.task:<14} grader {d.ours} | EvalPlus run here: {d.recorded}")


def canonical_samples(dataset: str) -> list[Sample]:
    with gzip.open(EVALPLUS_FILES[dataset], "rt") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Sample(i, r["task_id"], r["prompt"] + r["canonical_solution"], None) for i, r in enumerate(rows)]


def grade_canonical(address: str, dataset: str, test_sets: list[str]) -> None:
    """Every canonical solution must be ACCEPTED on its own outputs, within its time limit."""
    samples = canonical_samples(dataset)
    for which in test_sets:
        seconds, results = grade(address, samples, which)
        accepted = sum(r.passed for r in results)
        print(f"canonical solutions {dataset} {which}: ACCEPTED {accepted}/{len(results)}, {seconds:.1f} s")
        for r in results:
            if not r.passed:
                print(f"    {r.sample.question_id}: {r.verdict}")


def write_json(path: Path, dataset: str, figures: list[ModelFigures]) -> None:
    out = [
        {"model": f.model, "tests": f.tests, "total": f.total, "agree": f.agree, "explained": f.explained,
         "seconds": f.seconds,
         "disagreements": [{k: v for k, v in asdict(d).items() if k != "code"} for d in f.disagreements]}
        for f in figures
    ]  # fmt: skip
    path.write_text(json.dumps({"dataset": dataset, "models": out}, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", choices=sorted(EVALPLUS_FILES), default="humaneval")
    parser.add_argument("--tests", choices=("base", "plus"), default="base")
    parser.add_argument("--models", type=int, default=0, help="only the first N model files (0: all)")
    parser.add_argument("--bank", type=Path, help="a bank built before, instead of building one")
    parser.add_argument("--runs", type=int, default=1, help="grade everything this many times")
    parser.add_argument("--loaded", action="store_true", help="the last run with a parallel full run")
    parser.add_argument("--evalplus", action="store_true", help="also run EvalPlus on all of the first model")
    parser.add_argument("--canonical", action="store_true", help="also grade the canonical solutions")
    parser.add_argument("--json", type=Path, help="write the figures and disagreements here")
    args = parser.parse_args()
    files = model_files(args.dataset)[: args.models or None]
    test_sets = ["base"] if args.tests == "base" else ["base", "plus"]
    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bank = args.bank or work / "bank.db"
        if args.bank is None:
            build(args.dataset, args.tests, bank)
            print(f"bank: {args.dataset} {args.tests} built in {time.monotonic() - started:.0f} s")
        with grader_server(bank) as (address, _):
            if args.canonical:
                grade_canonical(address, args.dataset, test_sets)
            runs = grade_runs(address, bank, files, test_sets, args)
        print_raw(args.dataset, runs.figures)
        if args.runs > 1:
            runs.print_consistency(args.runs)
        found = [d for f in runs.figures for d in f.disagreements]
        measured = time.monotonic()
        measure_cpu(bank, found, work)
        fresh_verdicts(args.dataset, found, work)
        for d in found:
            d.settle()
        print(f"\n(evidence for {len(found)} disagreements gathered in {time.monotonic() - measured:.0f} s: "
              f"EvalPlus {EVALPLUS_VERSION} run here on them; CPU measured by grader with limits "
              f"x{MEASURE_FACTOR:g})")  # fmt: skip
        print_explained(args.dataset, runs.figures)
        if args.json:
            write_json(args.json, args.dataset, runs.figures)
        if args.evalplus:
            beside_evalplus(args.dataset, bank, files[0], test_sets[-1], work)
    print(f"\nwhole run {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
