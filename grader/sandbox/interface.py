"""What the rest of grader knows about running untrusted code: a program in, raw outcomes out.

A sandbox never sees an expected output. It reports what the candidate did; the judge decides
what that means.
"""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from grader.bank.model import Limits, Prelude, QuestionKind


@dataclass(frozen=True, slots=True)
class Program:
    """A candidate's code and how to drive it."""

    code: str
    kind: QuestionKind
    entry_point: str
    prelude: Prelude
    limits: Limits
    language: str = "python"


@dataclass(frozen=True, slots=True)
class TestRun:
    """The raw outcome of one test, as observed inside the sandbox."""

    stdout: bytes
    stdout_truncated: bool
    stderr_tail: str
    exit_code: int | None
    signal: int | None
    cpu_ms: float
    wall_ms: float
    peak_memory_kb: int
    timed_out: bool
    oom_killed: bool
    report: dict[str, Any] | None
    """What the in-process runner reported (exception, return value, check passed); None when
    the process ended before reporting."""


@dataclass(frozen=True, slots=True)
class BatchRun:
    """Many call inputs run by one process: each input's report, and the process's outcome."""

    reports: tuple[dict[str, Any], ...]
    """One per input that finished, in order: value/typed, exception or timeout, and cpu_ms."""
    process: TestRun
    """How the process ended; its limits are the batch's."""


class SandboxUnavailableError(Exception):
    """No sandbox can be had right now (the engine does not answer): retry later."""


class SandboxFailureError(Exception):
    """Our own infrastructure failed while running a program: never the candidate's fault."""


class Session(Protocol):
    """One leased sandbox, holding one loaded program."""

    async def run_test(self, index: int, test_input: str) -> TestRun: ...

    async def run_batch(self, first_index: int, inputs: list[str]) -> BatchRun: ...


class Sandbox(Protocol):
    """A source of isolated sessions."""

    def session(self, program: Program) -> AbstractAsyncContextManager[Session]: ...

    async def check(self) -> None:
        """Raises SandboxUnavailableError when no program could run now."""

    async def close(self) -> None: ...


class SandboxEvents(Protocol):
    """What the sandbox layer reports for monitoring (grader.metrics.Metrics implements it)."""

    def container_started(self) -> None: ...

    def container_recycled(self, reason: str) -> None: ...


class NoEvents:
    """SandboxEvents that go nowhere: the default when nobody watches."""

    def container_started(self) -> None:
        return None

    def container_recycled(self, reason: str) -> None:
        return None
