#!/usr/bin/env python3
"""Validates the built-in demo bank and runs its trusted samples locally.

    .venv/bin/python scripts/check_demo_bank.py [--questions PATH] [--samples PATH] [-j N] [-v]

1. questions.jsonl is read by the bank's own reader (grader.bank.formats.read_bank_file), so a row
   the server would refuse fails here too; every id must start with "demo/".
2. samples.jsonl is read by grader.evaluate.read_samples; every sample must name a known question
   and a known verdict, and every question needs an ACCEPTED sample.
3. Samples are run UNSANDBOXED with python3 in a subprocess with a timeout. They are our own,
   trusted programs; samples whose verdict needs the sandbox (TIME_LIMIT_EXCEEDED,
   MEMORY_LIMIT_EXCEEDED, OUTPUT_LIMIT_EXCEEDED) are never run here. Answers are compared by the
   judge's own checkers (grader.judge.checkers), under each question's checker.
   * ACCEPTED: every test must pass (and the script reports the slowest test).
   * WRONG_ANSWER: the first failing test must be a wrong answer (not a crash). A sample whose
     label ends in "-hidden" must pass every public test and fail a private one.
   * RUNTIME_ERROR: the first failing test must be a crash (an exception, a nonzero exit, or
     for humaneval an exit before check(...) returned).
   * COMPILE_ERROR: the code must not compile.

Tests run public first and stop at the first failure, like the grader. The exit status is 1 when
anything is wrong.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.bank.formats import read_bank_file
from grader.bank.model import BankFormatError, Prelude, Question, QuestionKind
from grader.evaluate import Sample, SampleFileError, read_samples
from grader.judge.checkers import text_equal, value_equal
from grader.runner.child import LCB_PRELUDE

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "grader" / "bank" / "demo"

SANDBOX_ONLY = {"TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED", "OUTPUT_LIMIT_EXCEEDED"}
VERDICTS = SANDBOX_ONLY | {"ACCEPTED", "WRONG_ANSWER", "RUNTIME_ERROR", "COMPILE_ERROR"}
SLOW_WARNING_S = 1.0  # wall time per test, interpreter start-up and parallel load included

# Runs one call-kind sample over all its tests in a fresh interpreter.
# argv: payload path (code, prelude, entry point, the tests' inputs), results path (one JSON
# line per test, flushed as it goes, so a crash or timeout still leaves the earlier results).
CALL_DRIVER = r"""
import json, os, sys, time, traceback
sys.set_int_max_str_digits(0)
payload = json.load(open(sys.argv[1]))
out = open(sys.argv[2], "w", buffering=1)
def emit(**kw):
    out.write(json.dumps(kw) + "\n")
    out.flush()
ns = {"__name__": "solution"}
try:
    exec(payload["prelude_code"], ns)
    exec(compile(payload["code"], "main.py", "exec"), ns)
    name = payload["entry_point"]
    sol = ns.get("Solution")
    if isinstance(sol, type) and hasattr(sol, name):
        fn = getattr(sol(), name)
    else:
        fn = ns[name]
except BaseException as exc:
    emit(status="error", detail="".join(traceback.format_exception_only(type(exc), exc)).strip())
    os._exit(0)
for index, text in enumerate(payload["inputs"]):
    args = [json.loads(line) for line in text.split("\n") if line.strip()]
    start = time.perf_counter()
    try:
        value = fn(*args)
    except BaseException as exc:
        emit(index=index, status="error",
             detail="".join(traceback.format_exception_only(type(exc), exc)).strip())
        os._exit(0)
    seconds = time.perf_counter() - start
    try:
        emit(index=index, status="value", value=json.dumps(value), seconds=seconds)
    except (TypeError, ValueError) as exc:
        emit(index=index, status="not_serializable", detail=type(value).__name__, seconds=seconds)
os._exit(0)
"""


@dataclass
class Outcome:
    verdict: str  # ACCEPTED, WRONG_ANSWER, RUNTIME_ERROR, COMPILE_ERROR, TIMEOUT
    failed_test: int | None = None  # index of the first failing test
    failed_public: bool = False
    detail: str = ""
    slowest_s: float = 0.0


@dataclass
class Report:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def error(self, msg: str) -> None:
        self.errors.append(msg)

    def warn(self, msg: str) -> None:
        self.warnings.append(msg)


# --------------------------------------------------------------------------------- validation


def load_questions(path: Path, report: Report) -> dict[str, Question]:
    try:
        questions = {q.info.id: q for q in read_bank_file(path)}
    except BankFormatError as exc:
        report.error(str(exc))
        return {}
    for qid, q in questions.items():
        if not qid.startswith("demo/"):
            report.error(f"{qid}: the id does not start with 'demo/'")
        if q.info.num_public_tests == 0:
            report.warn(f"{qid}: no public test")
    return questions


def load_samples(path: Path, questions: dict[str, Question], report: Report) -> list[Sample]:
    try:
        rows = read_samples(path)
    except SampleFileError as exc:
        report.error(str(exc))
        return []
    good = []
    for s in rows:
        where = f"{path.name}:{s.line}"
        if s.code is None or not all(isinstance(s.extra.get(k), str) for k in ("label", "expect")):
            report.error(f"{where}: a demo sample needs code, label and expect")
        elif s.question_id not in questions:
            report.error(f"{where}: unknown question {s.question_id!r}")
        elif s.extra["expect"] not in VERDICTS:
            report.error(f"{where}: unknown verdict {s.extra['expect']!r}")
        else:
            good.append(s)
    accepted = {s.question_id for s in good if s.extra["expect"] == "ACCEPTED"}
    for qid in questions.keys() - accepted:
        report.error(f"question {qid} has no ACCEPTED sample")
    return good


# --------------------------------------------------------------------------------- running


def _raise_stack_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = 512 * 1024 * 1024
    target = want if hard == resource.RLIM_INFINITY or hard >= want else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_STACK, (target, hard))


QUIET_CHILD: dict[str, Any] = {"capture_output": True, "preexec_fn": _raise_stack_limit}


def run_python(argv: list[str], cwd: str, timeout: float, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    """python3 in a clean environment; raises subprocess.TimeoutExpired."""
    env = dict(os.environ, PYTHONINTMAXSTRDIGITS="0", PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTHONPATH", None)
    command = [argv[0], "-B", *argv[1:]]
    return subprocess.run(command, input=stdin, timeout=timeout, cwd=cwd, env=env, **QUIET_CHILD)


def last_line(stderr: bytes) -> str:
    lines = [ln for ln in stderr.decode(errors="replace").strip().splitlines() if "__DEMO_" not in ln]
    return lines[-1][:200] if lines else ""


def compiles(code: str) -> str | None:
    try:
        compile(code, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def run_stdin(python: str, q: Question, code: str, timeout: float) -> Outcome:
    outcome = Outcome("ACCEPTED")
    with tempfile.TemporaryDirectory(prefix="demo-check-") as tmp:
        path = Path(tmp) / "main.py"
        path.write_text(code, encoding="utf-8")
        for index, test in enumerate(q.tests):
            start = time.perf_counter()
            try:
                proc = run_python([python, str(path)], tmp, timeout, test.input.encode())
            except subprocess.TimeoutExpired:
                return Outcome("TIMEOUT", index, test.public, f"> {timeout} s")
            outcome.slowest_s = max(outcome.slowest_s, time.perf_counter() - start)
            if proc.returncode != 0:
                detail = f"exit {proc.returncode}: {last_line(proc.stderr)}"
                return Outcome("RUNTIME_ERROR", index, test.public, detail, outcome.slowest_s)
            got = proc.stdout.decode(errors="replace")
            if not text_equal(got, test.output, q.info.checker):
                detail = f"got {got[:60]!r}, want {test.output[:60]!r}"
                return Outcome("WRONG_ANSWER", index, test.public, detail, outcome.slowest_s)
    return outcome


def run_call(python: str, q: Question, code: str, timeout: float) -> Outcome:
    proc: subprocess.CompletedProcess[bytes] | None = None
    with tempfile.TemporaryDirectory(prefix="demo-check-") as tmp:
        payload, results, driver = (Path(tmp) / name for name in ("payload.json", "results.jsonl", "d.py"))
        driver.write_text(CALL_DRIVER, encoding="utf-8")
        prelude = LCB_PRELUDE if q.info.prelude is Prelude.LCB else ""
        inputs = [t.input for t in q.tests]
        payload.write_text(
            json.dumps(
                {"code": code, "prelude_code": prelude, "entry_point": q.info.entry_point, "inputs": inputs}
            ),
            encoding="utf-8",
        )
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc = run_python(
                [python, str(driver), str(payload), str(results)], tmp, timeout * len(inputs), b""
            )
        lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    outcome = Outcome("ACCEPTED")
    for line in lines:
        r = json.loads(line)
        index = r.get("index", 0)
        public = q.tests[index].public
        if r["status"] == "error":
            return Outcome("RUNTIME_ERROR", index, public, r["detail"][:200], outcome.slowest_s)
        outcome.slowest_s = max(outcome.slowest_s, r.get("seconds", 0.0))
        if r["status"] == "not_serializable":
            return Outcome("WRONG_ANSWER", index, public, f"returned a {r['detail']}", outcome.slowest_s)
        want = q.tests[index].output
        if not value_equal(r["value"], want, q.info.checker):
            detail = f"got {r['value'][:60]}, want {want[:60]}"
            return Outcome("WRONG_ANSWER", index, public, detail, outcome.slowest_s)
    if len(lines) < len(q.tests):
        index = len(lines)
        public = q.tests[index].public
        if proc is None:
            return Outcome("TIMEOUT", index, public, "driver timed out")
        detail = f"exit {proc.returncode} before test {index}: {last_line(proc.stderr)}"
        return Outcome("RUNTIME_ERROR", index, public, detail)
    return outcome


def run_humaneval(python: str, q: Question, code: str, timeout: float) -> Outcome:
    nonce = secrets.token_hex(8)
    trailer = (
        "\n\nimport os as __demo_os\n"
        "try:\n"
        f"    check({q.info.entry_point})\n"
        "except AssertionError:\n"
        f"    __demo_os.write(2, b'\\n__DEMO_ASSERT_{nonce}__\\n')\n"
        "    raise\n"
        f"__demo_os.write(2, b'\\n__DEMO_OK_{nonce}__\\n')\n"
    )
    check_code = q.tests[0].input  # the bank keeps a humaneval question's check code as its one test
    with tempfile.TemporaryDirectory(prefix="demo-check-") as tmp:
        path = Path(tmp) / "main.py"
        path.write_text(code + "\n\n" + check_code + trailer, encoding="utf-8")
        start = time.perf_counter()
        try:
            proc = run_python([python, str(path)], tmp, timeout, b"")
        except subprocess.TimeoutExpired:
            return Outcome("TIMEOUT", 0, True, f"> {timeout} s")
        seconds = time.perf_counter() - start
    stderr = proc.stderr.decode(errors="replace")
    if f"__DEMO_OK_{nonce}__" in stderr and proc.returncode == 0:
        return Outcome("ACCEPTED", slowest_s=seconds)
    if f"__DEMO_ASSERT_{nonce}__" in stderr:
        return Outcome("WRONG_ANSWER", 0, True, "an assert in check failed", seconds)
    detail = f"exit {proc.returncode} before check() returned: {last_line(proc.stderr)}"
    return Outcome("RUNTIME_ERROR", 0, True, detail, seconds)


RUNNERS = {QuestionKind.STDIN: run_stdin, QuestionKind.CALL: run_call, QuestionKind.HUMANEVAL: run_humaneval}


def run_sample(python: str, q: Question, s: Sample, timeout: float) -> Outcome:
    code = s.code or ""
    problem = compiles(code)
    if problem:
        return Outcome("COMPILE_ERROR", detail=problem)
    if s.extra["expect"] == "COMPILE_ERROR":
        return Outcome("ACCEPTED", detail="compiles")  # reported as a mismatch by the caller
    return RUNNERS[q.info.kind](python, q, code, timeout)


def judge_sample(s: Sample, o: Outcome, report: Report) -> str:
    """Compares a local outcome with the sample's expectation; returns a one-line status."""
    label, expect = s.extra["label"], s.extra["expect"]
    name = f"{s.question_id} [{label}]"
    if o.verdict != expect:
        where = "" if o.failed_test is None else f" on test {o.failed_test}"
        report.error(f"{name}: expected {expect}, got {o.verdict}{where}: {o.detail}")
        return f"FAIL {name}: {o.verdict}"
    if expect == "WRONG_ANSWER" and label.endswith("-hidden") and o.failed_public:
        report.error(f"{name}: labelled hidden-only but fails public test {o.failed_test}")
        return f"FAIL {name}: fails a public test"
    if expect == "ACCEPTED" and o.slowest_s > SLOW_WARNING_S:
        report.warn(f"{name}: slowest test took {o.slowest_s:.2f} s (> {SLOW_WARNING_S} s)")
    extra = f" (slowest {o.slowest_s:.2f} s)" if expect == "ACCEPTED" else ""
    return f"ok   {name}: {expect}{extra}"


def run_samples(
    args: argparse.Namespace, questions: dict[str, Question], to_run: list[Sample], report: Report
) -> list[str]:
    statuses: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(run_sample, args.python, questions[s.question_id], s, args.timeout): s for s in to_run
        }
        for future in concurrent.futures.as_completed(futures):
            s = futures[future]
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a bug here must not hide other results
                report.error(f"{s.question_id} [{s.extra['label']}]: checker crashed: {exc!r}")
                continue
            statuses.append(judge_sample(s, outcome, report))
    return statuses


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEMO_DIR / "questions.jsonl")
    parser.add_argument("--samples", type=Path, default=DEMO_DIR / "samples.jsonl")
    parser.add_argument("--python", default="python3", help="interpreter for the samples")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per test")
    parser.add_argument("-j", "--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument(
        "--accepted-only", action="store_true", help="run only the samples expected to be ACCEPTED"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every sample's status")
    return parser.parse_args(argv)


def counts(counter: Counter[str]) -> str:
    return ", ".join(f"{k} {v}" for k, v in sorted(counter.items()))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = Report()
    questions = load_questions(args.questions, report)
    samples = load_samples(args.samples, questions, report)
    kinds = Counter(q.info.kind.value for q in questions.values())
    verdicts = Counter(s.extra["expect"] for s in samples)
    size_mb = args.questions.stat().st_size / 1e6
    print(f"questions: {len(questions)} ({counts(kinds)}), {size_mb:.2f} MB")
    print(f"samples:   {len(samples)} ({counts(verdicts)})")

    wanted = {"ACCEPTED"} if args.accepted_only else VERDICTS - SANDBOX_ONLY
    to_run = [s for s in samples if s.extra["expect"] in wanted]
    statuses = run_samples(args, questions, to_run, report)
    if args.verbose:
        for line in sorted(statuses):
            print(line)
    print(f"ran {len(to_run)} samples locally, skipped {len(samples) - len(to_run)} that need the sandbox")
    for w in report.warnings:
        print(f"warning: {w}")
    for e in report.errors:
        print(f"error: {e}")
    if report.errors:
        print(f"FAILED: {len(report.errors)} problem(s)")
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
