"""What the rest of grader knows about running untrusted code: a program in, raw outcomes out.

A sandbox never sees an expected output. It reports what the candidate did; the judge decides
what that means. Its types are its own, not the bank's: grader/programs.py maps a question onto them.
"""

from __future__ import annotations

import enum
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Limits:
    """What one run (a test, or an input of a batch) may use; enforced outside the program."""

    time_s: float
    """CPU seconds. A wall-clock backstop applies too (limits.backstop_s)."""
    memory_mb: int
    output_mb: int


class ProgramKind(enum.StrEnum):
    """How the runner drives a program and what it reports (runner/protocol.py's `kind`)."""

    STDIN = "stdin"
    """Reads an input on stdin, writes its answer on stdout."""
    CALL = "call"
    """The entry point is called with an input's arguments; its return value is reported."""
    HUMANEVAL = "humaneval"
    """The input is check code that asserts on the entry point; its return is reported."""
    UNITTEST = "unittest"
    """The code and the program's suite run as one module; the suite's TestCases methods are run
    in unittest's loader order, each reporting its outcome."""


class Prelude(enum.StrEnum):
    """Code the runner runs in the program's namespace before the program: none, or LiveCodeBench's
    import block (runner/child.py PRELUDE_MODULES)."""

    NONE = "none"
    LCB = "lcb"


@dataclass(frozen=True, slots=True)
class Program:
    """A candidate's code and how to drive it."""

    code: str
    kind: ProgramKind
    entry_point: str
    prelude: Prelude
    limits: Limits
    language: str = "python"
    suite: str = ""
    """UNITTEST: the unittest source appended to the code (``code + "\n" + suite``)."""
    image: str = ""
    """Which sandbox environment runs it, by name; empty: the default image."""


@dataclass(frozen=True, slots=True)
class Answer:
    """What the candidate's own process said: its stdout (stdin questions) and the runner's report
    (calls: the returned value; an exception; humaneval: that check() returned). Written by the
    candidate, who can forge any of it, so it is only ever compared with an expected output; it
    is capped at the question's output limit. Parsed and validated by grader/sandbox/results.py."""

    stdout: bytes = b""
    stderr_tail: str = ""
    reported: bool = False
    """A report arrived; every field below is from it."""
    value: str | None = None
    """A call's return value as plain JSON."""
    typed: str | None = None
    """A call's return value as tagged JSON (grader/runner/codec.py)."""
    not_serializable: str = ""
    """The type of a returned value that has no JSON form."""
    exception: str = ""
    """The type of the exception the code raised (the call, the check, the program, or the
    module before a batch could call it)."""
    message: str = ""
    passed: bool = False
    """humaneval: check() returned."""
    outcome: str = ""
    """unittest: how the method ended, "pass", "fail" (an assertion) or "error"."""
    malformed: str = ""
    """Why the report is not one the runner writes (forged, duplicated, out of order): the
    candidate's doing, judged RUNTIME_ERROR."""


@dataclass(frozen=True, slots=True)
class TestRun:
    """One test, or one input of a batch: measured by the sandbox outside the candidate's reach,
    beside the candidate's answer."""

    __test__ = False  # a domain class, not a pytest test class

    exit_code: int | None
    """None: ended by a signal, or an input of a batch answered by a process that went on."""
    signal: int | None
    cpu_ms: float
    wall_ms: float
    peak_memory_kb: int
    timed_out: bool
    """Killed at the CPU limit or the wall-clock backstop (a batch: the input's, or the batch's
    budget), or answered over the CPU limit."""
    oom_killed: bool
    output_exceeded: bool
    """stdout or the report went over the output limit."""
    answer: Answer = Answer()
    not_run: bool = False
    """unittest: the method never started (the suite stopped in an earlier one)."""
    compile_error: str | None = None
    """The compiler's message, from the compile step before any candidate code ran: then nothing
    ran, and every field above is empty."""


class SandboxUnavailableError(Exception):
    """No sandbox can be had right now (the engine does not answer): retry later."""


class SandboxFailureError(Exception):
    """Our own infrastructure failed while running a program: never the candidate's fault."""


class Session(Protocol):
    """One leased sandbox, holding one loaded program."""

    async def run_test(self, index: int, test_input: str) -> TestRun: ...

    async def run_batch(self, first_index: int, inputs: list[str]) -> list[TestRun]:
        """Call inputs in one process after another (EvalPlus-style: no fork per input), each
        with its own limits; one run per input, in order."""
        ...

    async def run_suite(self, first_index: int, methods: list[str]) -> list[TestRun]:
        """UNITTEST: runs the code with its suite once, in one process within the program's
        limits for the whole suite; one run per method, in the order given (unittest's loader
        order). The method the suite's limit stopped gets it; those after it have no report."""
        ...


class Sandbox(Protocol):
    """A source of isolated sessions."""

    def session(self, program: Program) -> AbstractAsyncContextManager[Session]: ...

    async def check(self) -> None:
        """Raises SandboxUnavailableError when no program could run now."""

    async def close(self) -> None: ...


RECYCLE_REASONS = (
    "max_uses",
    "oom_kill",
    "limit_kill",
    "reset_failed",
    "failed_or_cancelled",
    "died_idle",
    "tampered",
)
"""Why a pooled container is retired (SandboxEvents.container_recycled): a fixed set, so that it
can label a metric."""


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
