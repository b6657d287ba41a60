"""grader/programs.py: bank types onto sandbox types, and the reference runs the bank builder gets."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import signal
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import pytest

from grader.bank import model
from grader.bank.build import build_from_files
from grader.bank.formats.evalplus import ReferenceTask
from grader.bank.reference import ReferenceError, ReferenceRun, ReferenceRunner, compute_outputs
from grader.programs import SandboxReferences, program_of, reference_run
from grader.sandbox.interface import Answer, Limits, Prelude, ProgramKind, TestRun
from tests.support.runs import run


@pytest.mark.parametrize("kind", list(model.QuestionKind))
@pytest.mark.parametrize("prelude", list(model.Prelude))
def test_every_question_kind_and_prelude_maps(kind: model.QuestionKind, prelude: model.Prelude) -> None:
    info = model.QuestionInfo(id="q", title="q", kind=kind, entry_point="f", prelude=prelude,
                              limits=model.Limits(time_s=1.5, memory_mb=3, output_mb=5))  # fmt: skip
    program = program_of(info, "code", language="python")
    assert (program.kind, program.prelude) == (ProgramKind(kind.value), Prelude(prelude.value))
    assert (program.code, program.entry_point) == ("code", "f")
    assert program.limits == Limits(time_s=1.5, memory_mb=3, output_mb=5)
    other = program_of(info, "code", model.Limits(time_s=20.0, memory_mb=4096, output_mb=64))
    assert other.limits == Limits(time_s=20.0, memory_mb=4096, output_mb=64)


class TestReferenceRun:
    def test_a_typed_value_is_the_output(self) -> None:
        assert reference_run(run(report={"typed": "[1]"}, cpu_ms=7.0)) == ReferenceRun(
            output="[1]", cpu_ms=7.0
        )

    @pytest.mark.parametrize(
        ("fields", "reason"),
        [
            ({"compile_error": "SyntaxError: x"}, "SyntaxError: x"),
            ({"report": {"exception": "ValueError", "message": "m"}}, "ValueError"),
            ({"report": {"value": "1"}}, "no value"),  # a plain value is no typed one
        ],
    )
    def test_what_the_solution_said_is_the_reason(self, fields: dict[str, object], reason: str) -> None:
        got = reference_run(run(**fields))
        assert (got.output, got.failed, got.reason, got.out_of_memory) == (None, "failed", reason, False)

    def test_a_kill_says_how_and_whether_memory_may_help(self) -> None:
        timed_out = reference_run(run(timed_out=True, exit_code=None, signal=signal.SIGKILL))
        assert (timed_out.failed, timed_out.out_of_memory) == ("timed out", False)
        killed = reference_run(run(exit_code=None, signal=signal.SIGKILL))
        assert (killed.failed, killed.out_of_memory) == (f"ended (exit None, signal {signal.SIGKILL})", True)
        assert reference_run(run(oom_killed=True)).out_of_memory
        assert not reference_run(run(exit_code=1)).out_of_memory


class FakeSession:
    def __init__(self, fail_at: int | None) -> None:
        self.fail_at = fail_at
        self.batches: list[tuple[int, int]] = []

    async def run_test(self, index: int, test_input: str) -> TestRun:
        raise AssertionError("references run in batches")

    async def run_suite(self, first_index: int, methods: list[str]) -> list[TestRun]:
        raise AssertionError("references run in batches")

    async def run_batch(self, first_index: int, inputs: list[str]) -> list[TestRun]:
        self.batches.append((first_index, len(inputs)))
        return [
            run(exit_code=1) if first_index + i == self.fail_at else dataclasses.replace(
                run(cpu_ms=float(first_index + i)), answer=Answer(reported=True, typed=text))
            for i, text in enumerate(inputs)
        ]  # fmt: skip


class FakeSandbox:
    def __init__(self, fail_at: int | None = None) -> None:
        self.session_ = FakeSession(fail_at)

    @contextlib.asynccontextmanager
    async def session(self, program: object) -> AsyncIterator[FakeSession]:
        yield self.session_

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None


def task(inputs: int) -> ReferenceTask:
    info = model.QuestionInfo(id="t/1", title="t", kind=model.QuestionKind.CALL, entry_point="f",
                              num_public_tests=1, num_private_tests=inputs - 1)  # fmt: skip
    tests = tuple(model.TestCase(input=str(i), output="", public=i == 0) for i in range(inputs))
    return ReferenceTask(model.Question(info=info, tests=tests), "def f(x): return x")


class TestSandboxReferences:
    def test_outputs_come_in_batches_from_one_session(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("grader.programs.REFERENCE_BATCH", 3)
        sandbox = FakeSandbox()
        question = asyncio.run(compute_outputs(task(7), SandboxReferences(sandbox)))
        assert [t.output for t in question.tests] == [str(i) for i in range(7)]
        assert sandbox.session_.batches == [(0, 3), (3, 3), (6, 1)]
        assert question.info.limits.time_s == 1.0  # max(1 s, 4 x 6 ms)

    def test_the_batches_after_a_failure_are_not_run(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("grader.programs.REFERENCE_BATCH", 3)
        sandbox = FakeSandbox(fail_at=4)
        ended = r"^t/1: the canonical solution ended \(exit 1, signal None\) on input 4$"
        with pytest.raises(ReferenceError, match=ended):
            asyncio.run(compute_outputs(task(9), SandboxReferences(sandbox)))
        assert sandbox.session_.batches == [(0, 3), (3, 3)]


def test_a_build_without_evalplus_files_needs_no_runner(tmp_path: Path) -> None:
    source = tmp_path / "q.jsonl"
    row = {"format": "grader.v1", "id": "q", "title": "Q", "kind": "stdin",
           "tests": [{"input": "1", "output": "1", "public": True}]}  # fmt: skip
    source.write_text(json.dumps(row) + "\n")

    def no_runner() -> contextlib.AbstractAsyncContextManager[ReferenceRunner]:
        raise AssertionError("opened without an EvalPlus file")

    report, left_out = build_from_files(tmp_path / "bank.db", [source], no_runner)
    assert (report.total_questions, left_out) == (1, [])


def test_the_builder_takes_any_runner(tmp_path: Path) -> None:
    class Echo:
        async def run(
            self, info: model.QuestionInfo, code: str, limits: model.Limits, inputs: Sequence[str]
        ) -> list[ReferenceRun]:
            return [ReferenceRun(output=text, cpu_ms=1.0) for text in inputs]

    question = asyncio.run(compute_outputs(task(2), Echo()))
    assert [t.output for t in question.tests] == ["0", "1"]
