#!/usr/bin/env python3
"""Validates the built-in demo bank and runs its trusted samples locally (standard library only).

    python3 scripts/check_demo_bank.py [--questions PATH] [--samples PATH] [-j N] [-v]

1. Every row of questions.jsonl is checked against the native format (docs/bank-format.md):
   required fields, kinds, checkers, limits, tests (or the check code of humaneval rows), ids.
2. Every sample in samples.jsonl must name a known question and a known verdict.
3. Samples are run UNSANDBOXED with python3 in a subprocess with a timeout. They are our own,
   trusted programs; samples whose verdict needs the sandbox (TIME_LIMIT_EXCEEDED,
   MEMORY_LIMIT_EXCEEDED, OUTPUT_LIMIT_EXCEEDED) are never run here.
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
import math
import os
import resource
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEMO_DIR = ROOT / "grader" / "bank" / "demo"

FORMAT = "grader.v1"
KINDS = {"stdin", "call", "humaneval"}
CHECKERS = {"lcb", "exact", "tokens", "float", "json"}
PRELUDES = {"none", "lcb"}
LIMIT_KEYS = {"time_s", "memory_mb", "output_mb"}
KNOWN_FIELDS = {
    "format",
    "id",
    "title",
    "kind",
    "prompt",
    "starter_code",
    "entry_point",
    "release_date",
    "checker",
    "limits",
    "prelude",
    "partial_solution",
    "tests",
    "check",
}
VERDICTS = {
    "ACCEPTED",
    "WRONG_ANSWER",
    "TIME_LIMIT_EXCEEDED",
    "MEMORY_LIMIT_EXCEEDED",
    "RUNTIME_ERROR",
    "COMPILE_ERROR",
    "OUTPUT_LIMIT_EXCEEDED",
}
RUN_LOCALLY = {"ACCEPTED", "WRONG_ANSWER", "RUNTIME_ERROR", "COMPILE_ERROR"}
SLOW_WARNING_S = 1.0  # wall time per test, interpreter start-up and parallel load included

# LiveCodeBench's import block, as the grader's "lcb" prelude runs it.
LCB_MODULES = [
    "string",
    "re",
    "datetime",
    "collections",
    "heapq",
    "bisect",
    "copy",
    "math",
    "random",
    "statistics",
    "itertools",
    "functools",
    "operator",
    "io",
    "sys",
    "json",
]
LCB_PRELUDE = "\n".join(
    [f"from {m} import *" for m in [*LCB_MODULES, "builtins", "typing"]]
    + [f"import {m}" for m in LCB_MODULES]
    + ["sys.setrecursionlimit(50000)"]
)

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
    if payload["prelude"] == "lcb":
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


def load_jsonl(path: Path, report: Report) -> list[tuple[int, dict[str, Any]]]:
    rows = []
    with open(path, encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                report.error(f"{path.name}:{lineno}: not JSON: {exc}")
                continue
            if not isinstance(row, dict):
                report.error(f"{path.name}:{lineno}: not a JSON object")
                continue
            rows.append((lineno, row))
    return rows


def checker_name(checker: Any) -> str | None:
    if isinstance(checker, str):
        return checker
    if isinstance(checker, dict):
        return checker.get("name")
    return None


def validate_question(where: str, q: dict[str, Any], report: Report) -> None:
    for key in ("format", "id", "title", "kind"):
        if not isinstance(q.get(key), str) or not q.get(key):
            report.error(f"{where}: missing or empty required field {key!r}")
    if q.get("format") != FORMAT:
        report.error(f"{where}: format is {q.get('format')!r}, not {FORMAT!r}")
    unknown = set(q) - KNOWN_FIELDS
    if unknown:
        report.error(f"{where}: unknown fields {sorted(unknown)}")
    kind = q.get("kind")
    if kind not in KINDS:
        report.error(f"{where}: kind {kind!r} is not one of {sorted(KINDS)}")
        return
    qid = q.get("id", "")
    if not str(qid).startswith("demo/"):
        report.error(f"{where}: id {qid!r} does not start with 'demo/'")
    for key in ("prompt", "starter_code", "entry_point", "release_date", "partial_solution"):
        if key in q and not isinstance(q[key], str):
            report.error(f"{where}: {key} is not a string")
    if not q.get("prompt"):
        report.error(f"{where}: empty prompt")
    date = q.get("release_date", "")
    if date:
        try:
            time.strptime(date, "%Y-%m-%d")
        except ValueError:
            report.error(f"{where}: release_date {date!r} is not YYYY-MM-DD")
    name = checker_name(q.get("checker", "json" if kind == "call" else "lcb"))
    if name not in CHECKERS:
        report.error(f"{where}: unknown checker {q.get('checker')!r}")
    if isinstance(q.get("checker"), dict):
        for tol in ("abs_tol", "rel_tol"):
            value = q["checker"].get(tol, 0)
            if not isinstance(value, (int, float)) or value < 0:
                report.error(f"{where}: checker {tol} must be a non-negative number")
    if q.get("prelude", "none") not in PRELUDES:
        report.error(f"{where}: unknown prelude {q.get('prelude')!r}")
    limits = q.get("limits", {})
    if not isinstance(limits, dict) or set(limits) - LIMIT_KEYS:
        report.error(f"{where}: limits must be an object with keys from {sorted(LIMIT_KEYS)}")
    else:
        for key, value in limits.items():
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                report.error(f"{where}: limits.{key} must be a positive number")
    if kind in ("call", "humaneval") and not q.get("entry_point"):
        report.error(f"{where}: {kind} question without entry_point")
    if kind == "humaneval":
        check = q.get("check")
        if not isinstance(check, str) or "def check(" not in check:
            report.error(f"{where}: humaneval question without a check(candidate) function")
        else:
            try:
                compile(check, f"{qid}:check", "exec")
            except SyntaxError as exc:
                report.error(f"{where}: check code does not compile: {exc}")
        if q.get("tests"):
            report.error(f"{where}: humaneval question with tests (the check code holds them)")
        if not (
            q.get("prompt", "").lstrip().startswith("def ")
            or "def " + q.get("entry_point", "") in q.get("prompt", "")
        ):
            report.error(f"{where}: humaneval prompt does not define {q.get('entry_point')}")
        return
    tests = q.get("tests")
    if not isinstance(tests, list) or not tests:
        report.error(f"{where}: no tests")
        return
    publics = 0
    for i, t in enumerate(tests):
        if (
            not isinstance(t, dict)
            or not isinstance(t.get("input"), str)
            or not isinstance(t.get("output"), str)
        ):
            report.error(f"{where}: test {i} needs string input and output")
            continue
        if not isinstance(t.get("public", False), bool):
            report.error(f"{where}: test {i}: public must be a boolean")
        if t.get("public"):
            if i != publics:
                report.error(f"{where}: test {i}: public tests must come first")
            publics += 1
        if kind == "call":
            try:
                for line in t["input"].split("\n"):
                    if line.strip():
                        json.loads(line)
                json.loads(t["output"])
            except json.JSONDecodeError as exc:
                report.error(f"{where}: test {i}: input lines and output must be JSON: {exc}")
        elif not t["output"].endswith("\n"):
            report.warn(f"{where}: test {i}: stdin output does not end with a newline")
    if publics == 0:
        report.warn(f"{where}: no public test")
    if kind == "call" and "class Solution" not in q.get("starter_code", ""):
        report.warn(f"{where}: call question whose starter code has no class Solution")


def validate_questions(rows: list[tuple[int, dict[str, Any]]], report: Report) -> dict[str, dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for lineno, q in rows:
        where = f"questions.jsonl:{lineno}"
        validate_question(where, q, report)
        qid = q.get("id")
        if isinstance(qid, str):
            if qid in by_id:
                report.error(f"{where}: duplicate id {qid!r}")
            by_id[qid] = q
    return by_id


def validate_samples(
    rows: list[tuple[int, dict[str, Any]]], questions: dict[str, dict[str, Any]], report: Report
) -> list[dict[str, Any]]:
    good = []
    for lineno, s in rows:
        where = f"samples.jsonl:{lineno}"
        missing = [k for k in ("question_id", "code", "label", "expect") if not isinstance(s.get(k), str)]
        if missing:
            report.error(f"{where}: missing fields {missing}")
            continue
        if s["question_id"] not in questions:
            report.error(f"{where}: unknown question {s['question_id']!r}")
            continue
        if s["expect"] not in VERDICTS:
            report.error(f"{where}: unknown verdict {s['expect']!r}")
            continue
        s = dict(s, _where=where)
        good.append(s)
    accepted = {s["question_id"] for s in good if s["expect"] == "ACCEPTED"}
    for qid in questions:
        if qid not in accepted:
            report.error(f"question {qid} has no ACCEPTED sample")
    return good


# --------------------------------------------------------------------------------- checkers


def _decimal(token: str) -> Decimal | None:
    try:
        return Decimal(token)
    except InvalidOperation:
        return None


def _lines_equal_lcb(got: str, want: str) -> bool:
    if got == want:
        return True
    a, b = got.split(), want.split()
    if len(a) != len(b):
        return False
    for x, y in zip(a, b, strict=True):
        if x == y:
            continue
        dx, dy = _decimal(x), _decimal(y)
        if dx is None or dy is None or dx != dy:
            return False
    return True


def _number(token: str) -> float | None:
    try:
        value = float(token)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def stdout_matches(checker: Any, got: str, want: str) -> bool:
    name = checker_name(checker) or "lcb"
    if name == "exact":
        return got == want
    if name == "tokens":
        return got.split() == want.split()
    if name == "float":
        a, b = got.split(), want.split()
        if len(a) != len(b):
            return False
        abs_tol = float(checker.get("abs_tol", 1e-9)) if isinstance(checker, dict) else 1e-9
        rel_tol = float(checker.get("rel_tol", 1e-9)) if isinstance(checker, dict) else 1e-9
        for x, y in zip(a, b, strict=True):
            if x == y:
                continue
            fx, fy = _number(x), _number(y)
            if fx is None or fy is None or not math.isclose(fx, fy, rel_tol=rel_tol, abs_tol=abs_tol):
                return False
        return True
    # lcb (and anything else on stdout): strip, same line count, lines equal.
    got_lines = got.strip().split("\n")
    want_lines = want.strip().split("\n")
    if len(got_lines) != len(want_lines):
        return False
    return all(_lines_equal_lcb(g.strip(), w.strip()) for g, w in zip(got_lines, want_lines, strict=True))


def json_matches(got_json: str, want_json: str) -> bool:
    # json.dumps already turned tuples into lists; keep true != 1 and 1 != 1.0 apart.
    def canon(text: str) -> str:
        return json.dumps(json.loads(text), sort_keys=True)

    return canon(got_json) == canon(want_json)


# --------------------------------------------------------------------------------- running


def _raise_stack_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_STACK)
    want = 512 * 1024 * 1024
    target = want if hard == resource.RLIM_INFINITY or hard >= want else hard
    if soft != resource.RLIM_INFINITY and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_STACK, (target, hard))


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONINTMAXSTRDIGITS"] = "0"
    env["PYTHONHASHSEED"] = "0"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env.pop("PYTHONPATH", None)
    return env


def compiles(code: str) -> str | None:
    try:
        compile(code, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None


def run_stdin(python: str, q: dict[str, Any], code: str, timeout: float) -> Outcome:
    outcome = Outcome("ACCEPTED")
    with tempfile.TemporaryDirectory(prefix="demo-check-") as tmp:
        path = Path(tmp) / "main.py"
        path.write_text(code, encoding="utf-8")
        for index, test in enumerate(q["tests"]):
            start = time.perf_counter()
            try:
                proc = subprocess.run(
                    [python, "-B", str(path)],
                    input=test["input"].encode(),
                    capture_output=True,
                    timeout=timeout,
                    cwd=tmp,
                    env=_env(),
                    preexec_fn=_raise_stack_limit,
                )
            except subprocess.TimeoutExpired:
                return Outcome("TIMEOUT", index, test.get("public", False), f"> {timeout} s")
            seconds = time.perf_counter() - start
            outcome.slowest_s = max(outcome.slowest_s, seconds)
            if proc.returncode != 0:
                tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
                return Outcome(
                    "RUNTIME_ERROR",
                    index,
                    test.get("public", False),
                    f"exit {proc.returncode}: {tail[0][:200]}",
                    outcome.slowest_s,
                )
            got = proc.stdout.decode(errors="replace")
            if not stdout_matches(q.get("checker", "lcb"), got, test["output"]):
                return Outcome(
                    "WRONG_ANSWER",
                    index,
                    test.get("public", False),
                    f"got {got[:60]!r}, want {test['output'][:60]!r}",
                    outcome.slowest_s,
                )
    return outcome


def run_call(python: str, q: dict[str, Any], code: str, timeout: float) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="demo-check-") as tmp:
        payload = Path(tmp) / "payload.json"
        results = Path(tmp) / "results.jsonl"
        driver = Path(tmp) / "driver.py"
        driver.write_text(CALL_DRIVER, encoding="utf-8")
        payload.write_text(
            json.dumps(
                {
                    "code": code,
                    "prelude": q.get("prelude", "none"),
                    "prelude_code": LCB_PRELUDE,
                    "entry_point": q["entry_point"],
                    "inputs": [t["input"] for t in q["tests"]],
                }
            ),
            encoding="utf-8",
        )
        try:
            proc = subprocess.run(
                [python, "-B", str(driver), str(payload), str(results)],
                capture_output=True,
                timeout=timeout * len(q["tests"]),
                cwd=tmp,
                env=_env(),
                preexec_fn=_raise_stack_limit,
            )
        except subprocess.TimeoutExpired:
            proc = None
        lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    outcome = Outcome("ACCEPTED")
    for line in lines:
        r = json.loads(line)
        index = r.get("index", 0)
        public = q["tests"][index].get("public", False)
        if r["status"] == "error":
            return Outcome("RUNTIME_ERROR", index, public, r["detail"][:200], outcome.slowest_s)
        outcome.slowest_s = max(outcome.slowest_s, r.get("seconds", 0.0))
        if r["status"] == "not_serializable":
            return Outcome("WRONG_ANSWER", index, public, f"returned a {r['detail']}", outcome.slowest_s)
        want = q["tests"][index]["output"]
        if not json_matches(r["value"], want):
            return Outcome(
                "WRONG_ANSWER", index, public, f"got {r['value'][:60]}, want {want[:60]}", outcome.slowest_s
            )
    if len(lines) < len(q["tests"]):
        index = len(lines)
        public = q["tests"][index].get("public", False)
        if proc is None:
            return Outcome("TIMEOUT", index, public, "driver timed out")
        tail = proc.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return Outcome(
            "RUNTIME_ERROR", index, public, f"exit {proc.returncode} before test {index}: {tail[0][:200]}"
        )
    return outcome


def run_humaneval(python: str, q: dict[str, Any], code: str, timeout: float) -> Outcome:
    nonce = secrets.token_hex(8)
    trailer = (
        "\n\nimport os as __demo_os\n"
        "try:\n"
        f"    check({q['entry_point']})\n"
        "except AssertionError:\n"
        f"    __demo_os.write(2, b'\\n__DEMO_ASSERT_{nonce}__\\n')\n"
        "    raise\n"
        f"__demo_os.write(2, b'\\n__DEMO_OK_{nonce}__\\n')\n"
    )
    program = code + "\n\n" + q["check"] + trailer
    with tempfile.TemporaryDirectory(prefix="demo-check-") as tmp:
        path = Path(tmp) / "main.py"
        path.write_text(program, encoding="utf-8")
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                [python, "-B", str(path)],
                capture_output=True,
                timeout=timeout,
                cwd=tmp,
                env=_env(),
                preexec_fn=_raise_stack_limit,
                stdin=subprocess.DEVNULL,
            )
        except subprocess.TimeoutExpired:
            return Outcome("TIMEOUT", 0, True, f"> {timeout} s")
        seconds = time.perf_counter() - start
    stderr = proc.stderr.decode(errors="replace")
    if f"__DEMO_OK_{nonce}__" in stderr and proc.returncode == 0:
        return Outcome("ACCEPTED", slowest_s=seconds)
    if f"__DEMO_ASSERT_{nonce}__" in stderr:
        return Outcome("WRONG_ANSWER", 0, True, "an assert in check failed", seconds)
    tail = [ln for ln in stderr.strip().splitlines() if "__DEMO_" not in ln][-1:] or [""]
    return Outcome(
        "RUNTIME_ERROR", 0, True, f"exit {proc.returncode} before check() returned: {tail[0][:200]}", seconds
    )


def run_sample(python: str, q: dict[str, Any], s: dict[str, Any], timeout: float) -> Outcome:
    problem = compiles(s["code"])
    if problem:
        return Outcome("COMPILE_ERROR", detail=problem)
    if s["expect"] == "COMPILE_ERROR":
        return Outcome("ACCEPTED", detail="compiles")  # reported as a mismatch by the caller
    runner = {"stdin": run_stdin, "call": run_call, "humaneval": run_humaneval}[q["kind"]]
    return runner(python, q, s["code"], timeout)


def judge_sample(q: dict[str, Any], s: dict[str, Any], o: Outcome, report: Report) -> str:
    """Compares a local outcome with the sample's expectation; returns a one-line status."""
    name = f"{s['question_id']} [{s['label']}]"
    expect = s["expect"]
    if o.verdict != expect:
        where = "" if o.failed_test is None else f" on test {o.failed_test}"
        report.error(f"{name}: expected {expect}, got {o.verdict}{where}: {o.detail}")
        return f"FAIL {name}: {o.verdict}"
    if expect == "WRONG_ANSWER" and s["label"].endswith("-hidden") and o.failed_public:
        report.error(f"{name}: labelled hidden-only but fails public test {o.failed_test}")
        return f"FAIL {name}: fails a public test"
    if expect == "ACCEPTED" and o.slowest_s > SLOW_WARNING_S:
        report.warn(f"{name}: slowest test took {o.slowest_s:.2f} s (> {SLOW_WARNING_S} s)")
    extra = f" (slowest {o.slowest_s:.2f} s)" if expect == "ACCEPTED" else ""
    return f"ok   {name}: {expect}{extra}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--questions", type=Path, default=DEMO_DIR / "questions.jsonl")
    parser.add_argument("--samples", type=Path, default=DEMO_DIR / "samples.jsonl")
    parser.add_argument("--python", default="python3", help="interpreter for the samples")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per test")
    parser.add_argument("-j", "--jobs", type=int, default=max(1, min(4, os.cpu_count() or 1)))
    parser.add_argument(
        "--accepted-only", action="store_true", help="run only the samples expected to be ACCEPTED"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="print every sample's status")
    args = parser.parse_args(argv)

    report = Report()
    questions = validate_questions(load_jsonl(args.questions, report), report)
    samples = validate_samples(load_jsonl(args.samples, report), questions, report)
    kinds: dict[str, int] = {}
    for q in questions.values():
        kinds[q.get("kind", "?")] = kinds.get(q.get("kind", "?"), 0) + 1
    verdicts: dict[str, int] = {}
    for s in samples:
        verdicts[s["expect"]] = verdicts.get(s["expect"], 0) + 1
    size_mb = args.questions.stat().st_size / 1e6
    print(
        f"questions: {len(questions)} ({', '.join(f'{k} {v}' for k, v in sorted(kinds.items()))}),"
        f" {size_mb:.2f} MB"
    )
    print(f"samples:   {len(samples)} ({', '.join(f'{k} {v}' for k, v in sorted(verdicts.items()))})")

    wanted = {"ACCEPTED"} if args.accepted_only else RUN_LOCALLY
    to_run = [s for s in samples if s["expect"] in wanted and s["question_id"] in questions]
    skipped = len(samples) - len(to_run)
    statuses: list[str] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            pool.submit(run_sample, args.python, questions[s["question_id"]], s, args.timeout): s
            for s in to_run
        }
        for future in concurrent.futures.as_completed(futures):
            s = futures[future]
            q = questions[s["question_id"]]
            try:
                outcome = future.result()
            except Exception as exc:  # noqa: BLE001 - a bug here must not hide other results
                report.error(f"{s['question_id']} [{s['label']}]: checker crashed: {exc!r}")
                continue
            statuses.append(judge_sample(q, s, outcome, report))
    if args.verbose:
        for line in sorted(statuses):
            print(line)
    print(f"ran {len(to_run)} samples locally, skipped {skipped} that need the sandbox")
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
