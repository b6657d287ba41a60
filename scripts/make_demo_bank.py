#!/usr/bin/env python3
"""Generates the built-in demo bank, grader/bank/demo/questions.jsonl and samples.jsonl, from the
problems in scripts/demo_problems/.

A problem is a directory: problem.toml (title, kind, release date, checker, limits, signature or
entry point, and the samples with their expected verdicts), prompt.md (prompt.py for a humaneval
problem: the stub the candidate continues), reference.py (`solve`), tests.py (the inputs: PUBLIC
and PRIVATE, or CASES for humaneval, drawn from a seeded RNG where they are large) and
samples/<label>.py (each sample's code as the grader receives it; for humaneval, the completion
of the prompt). Expected outputs are never typed by hand: each test's answer is computed by the
reference solution, written independently of the samples, so `scripts/check_demo_bank.py`
cross-checks the two. Re-running this script reproduces the files byte for byte.

    python3 scripts/make_demo_bank.py            # writes both files
    .venv/bin/python scripts/check_demo_bank.py  # validates them and runs the trusted samples
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import sys
import tomllib
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS_DIR = ROOT / "scripts" / "demo_problems"
OUT_DIR = ROOT / "grader" / "bank" / "demo"
FORMAT = "grader.v1"
LIMITS = {"time_s": 2, "memory_mb": 256}

Row = dict[str, Any]


def load_module(path: Path) -> ModuleType:
    """Runs one of a problem's .py files as a module named after the problem, so that the problems'
    reference.py and tests.py files never stand for one another in sys.modules."""
    spec = importlib.util.spec_from_file_location(f"demo_{path.parent.name}_{path.stem}", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def answered(
    public: Iterable[Any], private: Iterable[Any], answer: Callable[[Any], tuple[str, str]]
) -> list[Row]:
    """The tests in order, public ones first, each with the reference's answer."""
    tests = []
    for case, is_public in [(c, True) for c in public] + [(c, False) for c in private]:
        given, expected = answer(case)
        tests.append({"input": given, "output": expected, "public": is_public})
    return tests


def stdin_answer(slug: str, solve: Callable[[str], str]) -> Callable[[str], tuple[str, str]]:
    def answer(given: str) -> tuple[str, str]:
        expected = solve(given)
        if not expected.endswith("\n"):
            raise ValueError(f"{slug}: a stdin answer must end with a newline")
        return given, expected

    return answer


def call_answer(solve: Callable[..., Any]) -> Callable[[tuple[Any, ...]], tuple[str, str]]:
    def answer(args: tuple[Any, ...]) -> tuple[str, str]:
        return "\n".join(json.dumps(a) for a in args), json.dumps(solve(*args))

    return answer


def check_code(solve: Callable[..., Any], cases: Iterable[tuple[Any, ...]]) -> str:
    """HumanEval's check(candidate): one assert per case, against the reference's value."""
    lines = ["def check(candidate):"]
    for args in cases:
        call = f"candidate({', '.join(repr(a) for a in args)})"
        expected = solve(*args)
        want = "is None" if expected is None else f"== {expected!r}"
        lines.append(f"    assert {call} {want}")
    return "\n".join(lines) + "\n"


def question(slug: str, problem: Row, prompt: str, solve: Callable[..., Any], data: ModuleType) -> Row:
    """One grader.v1 row, its fields in the order the bank format documents them."""
    kind = problem["kind"]
    checker: Any = problem.get("checker", "lcb")
    if kind == "stdin":
        starter, entry_point, prelude = "", "", "none"
        body: Row = {"tests": answered(data.PUBLIC, data.PRIVATE, stdin_answer(slug, solve))}
    elif kind == "call":
        signature = problem["signature"]
        starter, entry_point = f"class Solution:\n    def {signature}:\n        ", signature.split("(")[0]
        checker, prelude = "json", "lcb"
        body = {"tests": answered(data.PUBLIC, data.PRIVATE, call_answer(solve))}
    elif kind == "humaneval":
        starter, entry_point, prelude = prompt, problem["entry_point"], "none"
        checker, body = None, {"check": check_code(solve, data.CASES)}
    else:
        raise ValueError(f"{slug}: unknown kind {kind!r}")
    row: Row = {"format": FORMAT, "id": f"demo/{slug}", "title": problem["title"], "kind": kind}
    row |= {"prompt": prompt, "starter_code": starter, "entry_point": entry_point}
    row["release_date"] = problem["release_date"]
    if checker is not None:  # a humaneval question's check code is its checker
        row["checker"] = checker
    row |= {"limits": LIMITS | problem.get("limits", {}), "prelude": prelude, **body}
    return row


def samples(slug: str, problem: Row, directory: Path, prompt: str) -> list[Row]:
    rows = []
    for entry in problem["samples"]:
        code = (directory / "samples" / f"{entry['label']}.py").read_text(encoding="utf-8")
        if problem["kind"] == "humaneval":
            code = prompt + code  # the file is the completion, as HumanEval answers come
        rows.append({"question_id": f"demo/{slug}", "code": code, **entry})
    return rows


@contextlib.contextmanager
def problems_on_path(problems_dir: Path) -> Iterator[None]:
    """The interpreter as the problems' modules need it, put back afterwards."""
    digits, path, bytecode = sys.get_int_max_str_digits(), list(sys.path), sys.dont_write_bytecode
    sys.set_int_max_str_digits(0)  # the exact-product answers have ~18 000 digits
    sys.path.insert(0, str(problems_dir))  # the tests.py files import testdata
    sys.dont_write_bytecode = True  # the problems are data: leave no __pycache__ among them
    try:
        yield
    finally:
        sys.set_int_max_str_digits(digits)
        sys.path[:] = path
        sys.dont_write_bytecode = bytecode


def build(problems_dir: Path) -> tuple[list[Row], list[Row]]:
    """Every problem's question and samples, sorted by release date then id."""
    with problems_on_path(problems_dir):
        return _build(problems_dir)


def _build(problems_dir: Path) -> tuple[list[Row], list[Row]]:
    questions, sample_rows = [], []
    for directory in sorted(p for p in problems_dir.iterdir() if (p / "problem.toml").is_file()):
        slug = directory.name
        problem = tomllib.loads((directory / "problem.toml").read_text(encoding="utf-8"))
        prompt_file = "prompt.py" if problem["kind"] == "humaneval" else "prompt.md"
        prompt = (directory / prompt_file).read_text(encoding="utf-8")
        solve = load_module(directory / "reference.py").solve
        questions.append(question(slug, problem, prompt, solve, load_module(directory / "tests.py")))
        sample_rows += samples(slug, problem, directory, prompt)
    questions.sort(key=lambda q: (q["release_date"], q["id"]))
    order = {q["id"]: i for i, q in enumerate(questions)}
    sample_rows.sort(key=lambda s: order[s["question_id"]])  # stable: a problem's samples stay in order
    return questions, sample_rows


def jsonl(rows: list[Row]) -> str:
    return "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)


def main() -> None:
    questions, sample_rows = build(PROBLEMS_DIR)
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "questions.jsonl").write_text(jsonl(questions), encoding="utf-8", newline="\n")
    (OUT_DIR / "samples.jsonl").write_text(jsonl(sample_rows), encoding="utf-8", newline="\n")
    size = (OUT_DIR / "questions.jsonl").stat().st_size
    print(f"wrote {len(questions)} questions ({size / 1e6:.2f} MB) and {len(sample_rows)} samples")


if __name__ == "__main__":
    main()
