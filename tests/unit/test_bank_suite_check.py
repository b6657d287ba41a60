"""Unittest questions' reference solutions checked with their suites at build time (a fake runner;
grader/programs.py's sandbox side on the fake sandbox)."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from grader.bank import model
from grader.bank.build import build_from_files
from grader.bank.reference import ReferenceRun
from grader.bank.store import BankStore
from grader.bank.suite_check import MethodRun, reference_program
from grader.programs import SandboxReferences, method_run
from grader.sandbox.interface import Answer, ProgramKind
from tests.support.bank_rows import (
    CODE_PROMPT,
    SOLUTION_HEAD,
    SOLUTION_TAIL,
    SUITE,
    SUITE_METHODS,
    bigcodebench_row,
    livebench_code_completion_row,
    livebench_generation_row,
    native_unittest_row,
)
from tests.support.fake_sandbox import FakeSandbox
from tests.support.runs import run

FAILING = "def task_func(values):\n    return 0\n"


class Runner:
    """Passes every method unless the code is FAILING, which fails method 1 and errs in 2."""

    def __init__(self) -> None:
        self.runs: list[tuple[str, str, str, tuple[str, ...]]] = []

    async def run(
        self, info: model.QuestionInfo, code: str, limits: model.Limits, inputs: Sequence[str]
    ) -> list[ReferenceRun]:
        raise AssertionError("no EvalPlus file here")

    async def run_suite(
        self, info: model.QuestionInfo, code: str, suite: str, methods: Sequence[str]
    ) -> list[MethodRun]:
        self.runs.append((info.id, code, suite, tuple(methods)))
        if code == FAILING:
            return [
                MethodRun(True),
                MethodRun(False, "failed an assertion"),
                MethodRun(False, "raised KeyError"),
            ]
        return [MethodRun(True) for _ in methods]


def build(tmp_path: Path, rows: list[dict[str, Any]], **options: Any) -> tuple[Runner, list[Any], list[str]]:
    source = tmp_path / "q.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in rows))
    runner, said = Runner(), []

    @contextlib.asynccontextmanager
    async def references() -> AsyncIterator[Runner]:
        yield runner

    _, left_out = build_from_files(
        tmp_path / "bank.db", [source], references, progress=said.append, **options
    )
    return runner, left_out, said


def test_each_reference_runs_with_its_suite(tmp_path: Path) -> None:
    rows = [bigcodebench_row(), livebench_code_completion_row(), native_unittest_row()]
    runner, left_out, said = build(tmp_path, rows)
    assert left_out == []
    assert said == ["running 3 reference solutions with their suites in the sandbox..."]
    bcb = bigcodebench_row()
    completion = (
        CODE_PROMPT + SOLUTION_HEAD + SOLUTION_TAIL
    )  # the ground truth starts with the partial solution
    assert runner.runs == [
        (
            "BigCodeBench/9001",
            bcb["complete_prompt"] + "\n" + bcb["canonical_solution"],
            SUITE,
            SUITE_METHODS,
        ),
        ("d4e5" * 16, completion, SUITE, SUITE_METHODS),
        ("demo/sum-suite", native_unittest_row()["reference"], SUITE, SUITE_METHODS),
    ]
    with BankStore.open(tmp_path / "bank.db") as store:
        assert store.count() == 3


def test_a_failing_reference_leaves_its_question_out(tmp_path: Path) -> None:
    rows = [native_unittest_row(reference=FAILING), livebench_generation_row()]
    _, left_out, _ = build(tmp_path, rows)
    (error,) = left_out
    assert str(error) == (
        f"{tmp_path / 'q.jsonl'}:1: demo/sum-suite: the reference solution fails 2 of 3 test methods"
        " (first: method 1, failed an assertion)"
    )
    for name in SUITE_METHODS:
        assert name not in str(error)
    with BankStore.open(tmp_path / "bank.db") as store:
        assert store.count() == 1
        assert store.get_info("demo/sum-suite") is None
        with pytest.raises(KeyError):
            store.get_suite("demo/sum-suite")
        assert store.get_tests("demo/sum-suite", 0, 10) == []


def test_strict_fails_the_build(tmp_path: Path) -> None:
    with pytest.raises(model.BankFormatError, match="demo/sum-suite: the reference solution fails"):
        build(tmp_path, [native_unittest_row(reference=FAILING)], strict=True)
    assert not (tmp_path / "bank.db").exists()


def test_questions_without_a_reference_need_no_runner(tmp_path: Path) -> None:
    row = native_unittest_row()
    del row["reference"]
    runner, left_out, said = build(tmp_path, [row])
    assert (runner.runs, left_out, said) == ([], [], [])


def test_a_withheld_suite_is_joined_before_the_check(tmp_path: Path) -> None:
    row = livebench_generation_row()
    del row["tests"]
    source, tests = tmp_path / "q.jsonl", tmp_path / "test_cases_1.jsonl"
    source.write_text(json.dumps(row) + "\n")
    tests.write_text(json.dumps({"question_id": row["question_id"], "tests": SUITE}) + "\n")
    runner = Runner()

    @contextlib.asynccontextmanager
    async def references() -> AsyncIterator[Runner]:
        yield runner

    build_from_files(tmp_path / "bank.db", [source, tests], references)
    assert [(qid, suite, methods) for qid, _, suite, methods in runner.runs] == [
        (row["question_id"], SUITE, SUITE_METHODS)
    ]


class TestProgram:
    info = model.QuestionInfo(
        id="q", title="q", kind=model.QuestionKind.UNITTEST, entry_point="task_func", code_prompt=CODE_PROMPT
    )

    def test_a_body_gets_the_code_prompt(self) -> None:
        assert reference_program(self.info, SOLUTION_HEAD) == CODE_PROMPT + "\n" + SOLUTION_HEAD
        assert reference_program(self.info, FAILING) == FAILING

    def test_a_completion_gets_the_partial_solution(self) -> None:
        info = dataclasses.replace(self.info, partial_solution="import os")
        assert reference_program(info, "import os\nx = 1") == "import os\nx = 1"
        assert reference_program(info, "def task_func(): pass") == "import os\ndef task_func(): pass"


class TestSandboxSide:
    def test_the_program_carries_suite_and_image(self) -> None:
        sandbox = FakeSandbox(script=lambda *_: run(answer=Answer(reported=True, outcome="pass")))
        info = dataclasses.replace(TestProgram.info, image="bigcodebench")
        runs = asyncio.run(SandboxReferences(sandbox).run_suite(info, FAILING, SUITE, SUITE_METHODS))
        assert runs == [MethodRun(True)] * 3
        (program,) = sandbox.programs
        assert (program.kind, program.suite, program.image, program.code) == (
            ProgramKind.UNITTEST, SUITE, "bigcodebench", FAILING)  # fmt: skip
        assert [call[2] for call in sandbox.calls] == list(SUITE_METHODS)

    @pytest.mark.parametrize(
        ("fields", "how"),
        [
            ({"answer": Answer(reported=True, outcome="fail")}, "failed an assertion"),
            ({"answer": Answer(reported=True, outcome="error", exception="KeyError")}, "raised KeyError"),
            ({"answer": Answer(reported=True, outcome="pass"), "timed_out": True}, "timed out (the suite's limit)"),  # noqa: E501
            ({"timed_out": True, "exit_code": None, "signal": 9}, "timed out (the suite's limit)"),
            ({"oom_killed": True, "exit_code": None, "signal": 9}, "ran out of memory"),
            ({"compile_error": "SyntaxError"}, "does not compile"),
            ({"answer": Answer(reported=True, malformed="x")}, "gave a malformed result"),
            ({"exit_code": 1}, "ended (exit 1, signal None)"),
            ({"exit_code": None}, "did not run (an earlier method stopped the suite)"),
        ],
    )  # fmt: skip
    def test_method_runs(self, fields: dict[str, Any], how: str) -> None:
        assert method_run(run(**fields)) == MethodRun(False, how)
