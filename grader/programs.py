"""Bank types onto sandbox types: a question's program, and the reference runner the bank builder
is handed (grader/bank/reference.py), so that neither the bank nor the sandbox imports the other.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import AsyncIterator, Sequence

from grader.bank import model
from grader.bank.reference import ReferenceRun
from grader.bank.suite_check import MethodRun
from grader.sandbox.command import DockerSettings
from grader.sandbox.docker import DockerSandbox
from grader.sandbox.interface import Limits, Prelude, Program, ProgramKind, Sandbox, TestRun
from grader.sandbox.pool import PoolSettings, WarmPool

REFERENCE_BATCH = 1000
"""Inputs of a canonical solution sent to its process at once."""


def sandbox_limits(limits: model.Limits) -> Limits:
    return Limits(time_s=limits.time_s, memory_mb=limits.memory_mb, output_mb=limits.output_mb)


def program_of(
    info: model.QuestionInfo,
    code: str,
    limits: model.Limits | None = None,
    language: str = "python",
    suite: str = "",
) -> Program:
    """`code` run as question `info` asks (with `limits` instead of the question's, if given);
    `suite`: a unittest question's suite."""
    return Program(
        code=code,
        kind=ProgramKind(info.kind.value),
        entry_point=info.entry_point,
        prelude=Prelude(info.prelude.value),
        limits=sandbox_limits(limits or info.limits),
        language=language,
        suite=suite,
        image=info.image,
    )


def reference_run(run: TestRun) -> ReferenceRun:
    """What a canonical solution's run means to the bank builder: a typed value, or why none."""
    if run.answer.typed is not None:
        return ReferenceRun(output=run.answer.typed, cpu_ms=run.cpu_ms)
    if run.compile_error is not None or run.answer.reported:
        why = run.compile_error or run.answer.exception or run.answer.malformed or "no value"
        return ReferenceRun(output=None, cpu_ms=run.cpu_ms, failed="failed", reason=why)
    how = "timed out" if run.timed_out else f"ended (exit {run.exit_code}, signal {run.signal})"
    out_of_memory = not run.timed_out and (run.oom_killed or run.signal == signal.SIGKILL)
    return ReferenceRun(output=None, cpu_ms=run.cpu_ms, failed=how, out_of_memory=out_of_memory)


def method_run(run: TestRun) -> MethodRun:
    """What a reference's run of one test method means to the bank builder. Only the outcome and
    an exception's type: a message could quote the suite."""
    if run.answer.outcome == "pass" and not (run.timed_out or run.oom_killed or run.output_exceeded):
        return MethodRun(passed=True)
    if run.compile_error is not None:
        return MethodRun(passed=False, how="does not compile")
    if run.timed_out:
        return MethodRun(passed=False, how="timed out (the suite's limit)")
    if run.oom_killed:
        return MethodRun(passed=False, how="ran out of memory")
    if run.answer.malformed:
        return MethodRun(passed=False, how="gave a malformed result")
    if run.answer.outcome == "fail":
        return MethodRun(passed=False, how="failed an assertion")
    if run.answer.outcome == "error":
        return MethodRun(passed=False, how=f"raised {run.answer.exception or 'an exception'}")
    if run.answer.reported or run.exit_code is not None or run.signal is not None:
        return MethodRun(passed=False, how=f"ended (exit {run.exit_code}, signal {run.signal})")
    return MethodRun(passed=False, how="did not run (an earlier method stopped the suite)")


class SandboxReferences:
    """A bank.build.References that runs reference solutions in a sandbox: canonical solutions
    in batches of inputs, unittest references with their suites."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox

    async def run(
        self, info: model.QuestionInfo, code: str, limits: model.Limits, inputs: Sequence[str]
    ) -> list[ReferenceRun]:
        runs: list[ReferenceRun] = []
        async with self.sandbox.session(program_of(info, code, limits)) as session:
            while len(runs) < len(inputs):
                chunk = inputs[len(runs) : len(runs) + REFERENCE_BATCH]
                runs += [reference_run(r) for r in await session.run_batch(len(runs), list(chunk))]
                if any(r.output is None for r in runs):
                    break  # the build leaves the question out: its other inputs need not run
        return runs

    async def run_suite(
        self, info: model.QuestionInfo, code: str, suite: str, methods: Sequence[str]
    ) -> list[MethodRun]:
        async with self.sandbox.session(program_of(info, code, suite=suite)) as session:
            return [method_run(r) for r in await session.run_suite(0, list(methods))]


@contextlib.asynccontextmanager
async def pooled_references(settings: DockerSettings, concurrency: int) -> AsyncIterator[SandboxReferences]:
    """Reference runs in a warm pool of `concurrency` containers, closed on leaving."""
    docker = DockerSandbox(settings)
    await docker.check()
    pool = WarmPool(docker, PoolSettings(size=concurrency))
    await pool.start()
    try:
        yield SandboxReferences(pool)
    finally:
        await pool.close()
