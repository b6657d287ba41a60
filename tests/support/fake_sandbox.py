"""A fake sandbox for unit tests: it records every program, test input and batch it is given and
answers from a script (by default, the right answer to each of the unit question's tests)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from grader.sandbox.interface import Program, SandboxFailureError, TestRun
from tests.support.questions import ANSWERS
from tests.support.runs import run

Script = Callable[[int, int, str], "TestRun | Exception"]
"""(session number from 1, test index, test input) -> the run to return, or an error to raise."""
BatchScript = Callable[[int, int, list[str]], "list[TestRun] | Exception"]
"""(session number from 1, index of the first input, the inputs) -> one run per input, as the
supervisor reports a batch, or an error to raise."""


def correct(_session: int, _index: int, test_input: str) -> TestRun:
    return run(stdout=ANSWERS[test_input])


def wrong(_session: int, _index: int, _input: str) -> TestRun:
    return run(stdout=b"nope\n")


class FakeSession:
    def __init__(self, sandbox: FakeSandbox, number: int) -> None:
        self.sandbox = sandbox
        self.number = number

    async def run_test(self, index: int, test_input: str) -> TestRun:
        self.sandbox.calls.append((self.number, index, test_input))
        outcome = self.sandbox.script(self.number, index, test_input)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    async def run_batch(self, first_index: int, inputs: list[str]) -> list[TestRun]:
        """One run per input: as the batch script says (one process through the inputs, so an
        input's crash shapes the runs of those after it), else as the test script says, input by
        input; a compile error is every input's. Every batch is recorded."""
        self.sandbox.batches.append((self.number, first_index, len(inputs)))
        if self.sandbox.batch_script is not None:
            outcome = self.sandbox.batch_script(self.number, first_index, inputs)
            if isinstance(outcome, Exception):
                raise outcome
            return outcome
        runs = [await self.run_test(first_index + n, text) for n, text in enumerate(inputs)]
        if runs and runs[0].compile_error is not None:
            return [runs[0]] * len(inputs)
        return runs

    async def run_suite(self, first_index: int, methods: list[str]) -> list[TestRun]:
        """As the test script says, method by method (the method's name is the input)."""
        return await self.run_batch(first_index, methods)


class FakeSandbox:
    """Records every program and test input it is given; answers from a script."""

    def __init__(
        self, script: Script = correct, fail_on_start: int = 0, batch_script: BatchScript | None = None
    ) -> None:
        self.script = script
        self.fail_on_start = fail_on_start
        self.batch_script = batch_script
        self.programs: list[Program] = []
        self.calls: list[tuple[int, int, str]] = []
        self.batches: list[tuple[int, int, int]] = []
        """(session, index of the first input, number of inputs) of every batch run."""
        self.closed_sessions = 0

    @contextlib.asynccontextmanager
    async def session(self, program: Program) -> AsyncIterator[FakeSession]:
        self.programs.append(program)
        number = len(self.programs)
        if number <= self.fail_on_start:
            raise SandboxFailureError(f"session {number} did not start")
        try:
            yield FakeSession(self, number)
        finally:
            self.closed_sessions += 1

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None

    def indexes(self, session: int | None = None) -> list[int]:
        return [i for s, i, _ in self.calls if session is None or s == session]


class GatedSandbox(FakeSandbox):
    """Every test waits until `gate` opens, so gradings can be held in progress."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    @contextlib.asynccontextmanager
    async def session(self, program: Program) -> AsyncIterator[FakeSession]:
        await self.gate.wait()
        async with super().session(program) as session:
            yield session
