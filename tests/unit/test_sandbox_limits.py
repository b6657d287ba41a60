"""The sandbox's limit arithmetic: the formulas the README states, with figures that tell each
term from the others (no factor of 1, no term of 0), and the places that use them."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from grader.runner import protocol
from grader.sandbox import limits as arithmetic
from grader.sandbox.command import DockerSettings, container_args, ipc_limit_args
from grader.sandbox.docker import ContainerSession, DockerSandbox
from grader.sandbox.interface import Limits, Prelude, Program, ProgramKind
from grader.sandbox.runtimes import (
    GVISOR_HOST_TASKS,
    GVISOR_HOST_TASKS_PER_PROCESS,
    GVISOR_SECCOMP_PROFILE,
    GVISOR_SENTRY_MB,
    limit_args,
    security_args,
)

CALL_LIMITS = Limits(time_s=2.5, memory_mb=1024, output_mb=16)


def make_program(kind: ProgramKind, limits: Limits) -> Program:
    return Program(code="x", kind=kind, entry_point="f", prelude=Prelude.NONE, limits=limits)


def values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == flag]


class TestBackstop:
    """README: "a wall-clock backstop of `time x 2 + 2 s` for programs that sleep"."""

    def test_formula(self) -> None:
        assert arithmetic.backstop_s(3.0, 5.0, 7.0) == 22.0
        assert arithmetic.backstop_s(6.0, 2.0, 2.0) == 14.0

    def test_defaults_are_the_readme_s(self) -> None:
        settings = DockerSettings()
        assert (settings.wall_factor, settings.wall_extra_s) == (2.0, 2.0)
        program = make_program(ProgramKind.STDIN, Limits(time_s=1.5, memory_mb=1024, output_mb=16))
        assert DockerSandbox(settings).wall_s(program) == 1.5 * 2 + 2

    def test_settings_are_honoured(self) -> None:
        sandbox = DockerSandbox(DockerSettings(wall_factor=3.0, wall_extra_s=0.5))
        program = make_program(ProgramKind.STDIN, Limits(time_s=4.0, memory_mb=1024, output_mb=16))
        assert sandbox.wall_s(program) == 12.5


class TestMemoryAndOutput:
    def test_container_memory_is_the_limit_plus_headroom(self) -> None:
        assert arithmetic.container_memory_mb(256, 64) == 320
        args = container_args(DockerSettings(memory_headroom_mb=48), 200, "n")
        assert values(args, "--memory") == values(args, "--memory-swap") == ["248m"]

    def test_supervisor_limits_in_its_units(self) -> None:
        limits = Limits(time_s=1.5, memory_mb=3, output_mb=5)
        assert arithmetic.supervisor_limits(limits, 9.0) == {
            "time_s": 1.5,
            "wall_s": 9.0,
            "memory_kb": 3 * 1024,
            "output_bytes": 5 * 1024 * 1024,
        }

    def test_ipc_limits(self) -> None:
        assert ipc_limit_args(8) == [
            "--sysctl", f"kernel.shmmax={8 << 20}", "--sysctl", "kernel.shmall=2048",
            "--sysctl", "kernel.msgmni=32", "--sysctl", "kernel.msgmnb=16384",
        ]  # fmt: skip

    def test_writable_places_are_sized(self) -> None:
        """Every writable place is a tmpfs of bounded size: the work and shm dirs as the settings
        say, /var/tmp 1 MiB, the code dir the program's memory limit."""
        args = container_args(DockerSettings(tmpfs_mb=12), 300, "n")
        sizes = {
            mount.partition(":")[0]: [o for o in mount.split(",") if o.startswith("size=")]
            for mount in values(args, "--tmpfs")
        }
        assert sizes == {
            protocol.WORK_DIR: ["size=12m"],
            "/var/tmp": ["size=1m"],
            "/dev/shm": ["size=12m"],
            protocol.CODE_DIR: ["size=300m"],
        }
        assert "--init" in args
        assert values(args, "--log-driver") == ["none"]

    def test_ipc_memory_is_as_large_as_dev_shm(self) -> None:
        assert arithmetic.shm_max_bytes(3) == 3 * 1024 * 1024
        assert arithmetic.shm_all_pages(3) == 3 * 1024 * 1024 // 4096
        sysctls = dict(
            v.split("=", 1) for v in values(container_args(DockerSettings(tmpfs_mb=8), 1, "n"), "--sysctl")
        )
        assert sysctls["kernel.shmmax"] == str(8 << 20)
        assert sysctls["kernel.shmall"] == str(2048)


class TestReplyWaits:
    """How long the host waits for the supervisor, which enforces the limits itself."""

    def test_batch_budget_is_the_sum_of_limits_plus_a_second(self) -> None:
        assert arithmetic.BATCH_SLACK_S == 1.0
        assert arithmetic.batch_budget_s(2.5, 4) == 11.0

    def test_batch_reply_wait(self) -> None:
        # The backstop, the budget twice, and the slack.
        assert arithmetic.batch_reply_timeout_s(10.0, 2.5, 4) == 10.0 + 2 * 11.0 + 30.0

    def test_single_reply_wait(self) -> None:
        assert arithmetic.reply_timeout_s(7.0) == 37.0


class Process:
    """A sandbox process whose supervisor never answers: records what it is sent."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.stdin = self
        self.stdout = asyncio.StreamReader()
        self.returncode = None

    def write(self, data: bytes) -> None:
        self.sent.append(json.loads(data))

    async def drain(self) -> None:
        return None


class TestSessionUsesThem:
    """ContainerSession gives the supervisor these limits and waits as long as they say."""

    async def session(self, timeouts: list[float]) -> tuple[ContainerSession, Process]:
        process = Process()
        session = ContainerSession(process, "n", 64)  # type: ignore[arg-type]

        async def exchange(message: dict[str, Any], timeout: float) -> bytes:
            process.write(json.dumps(message).encode())
            timeouts.append(timeout)
            if message["type"] == "submission":
                return b'{"type": "loaded"}\n'
            raise asyncio.CancelledError

        session.exchange = exchange  # type: ignore[method-assign]
        return session, process

    async def test_load_sends_the_supervisor_limits(self) -> None:
        timeouts: list[float] = []
        session, process = await self.session(timeouts)
        limits = Limits(time_s=2.5, memory_mb=7, output_mb=3)
        await session.load(make_program(ProgramKind.CALL, limits), 11.0)
        assert process.sent == [
            {
                "type": "submission",
                "code": "x",
                "kind": "call",
                "entry_point": "f",
                "prelude": "none",
                "limits": arithmetic.supervisor_limits(limits, 11.0),
            }
        ]
        assert timeouts == [30.0]

    @pytest.mark.parametrize("batched", [False, True])
    async def test_waits(self, batched: bool) -> None:
        timeouts: list[float] = []
        session, process = await self.session(timeouts)
        await session.load(make_program(ProgramKind.CALL, CALL_LIMITS), 11.0)
        run = session.run_batch(0, ["1", "2", "3", "4"]) if batched else session.run_test(0, "1")
        with pytest.raises(asyncio.CancelledError):
            await run
        expected = arithmetic.batch_reply_timeout_s(11.0, 2.5, 4) if batched else 41.0
        assert timeouts[1:] == [expected]
        if batched:
            assert process.sent[1] == {"type": "batch", "index": 0, "inputs": ["1", "2", "3", "4"]}


class TestRuntimeLimits:
    """runc: the host's cgroup limits are the candidate's; gVisor: room for the Sentry above them,
    and the candidate's own limits for the supervisor."""

    def test_runc(self) -> None:
        assert limit_args("runc", 300, 17) == [
            "--memory", "300m", "--memory-swap", "300m", "--pids-limit", "17",
        ]  # fmt: skip
        assert security_args("runc") == []

    def test_gvisor(self) -> None:
        host_mb = 300 + GVISOR_SENTRY_MB
        tasks = GVISOR_HOST_TASKS + GVISOR_HOST_TASKS_PER_PROCESS * 17
        assert (GVISOR_SENTRY_MB, GVISOR_HOST_TASKS, GVISOR_HOST_TASKS_PER_PROCESS) == (256, 512, 32)
        assert limit_args("runsc-kvm", 300, 17) == [
            "--memory", f"{host_mb}m", "--memory-swap", f"{host_mb}m",
            "--pids-limit", str(tasks),
            "--env", f"{protocol.MEMORY_BUDGET_ENV}={300 * 1024}",
            "--env", f"{protocol.NPROC_LIMIT_ENV}=17",
        ]  # fmt: skip
        assert security_args("runsc") == ["--security-opt", f"seccomp={GVISOR_SECCOMP_PROFILE}"]
        assert GVISOR_SECCOMP_PROFILE.is_file()


MEASURED: dict[str, Any] = {
    "exit_code": 0, "signal": None, "cpu_ms": 5.0, "wall_ms": 6.0, "peak_memory_kb": 7,
    "timed_out": False, "oom_killed": False, "output_exceeded": False,
}  # fmt: skip


async def test_a_test_is_sent_and_its_result_read_for_its_index_and_kind() -> None:
    sent: list[tuple[dict[str, Any], float]] = []
    session = ContainerSession(Process(), "n", 64)  # type: ignore[arg-type]

    async def exchange(message: dict[str, Any], timeout: float) -> bytes:
        sent.append((message, timeout))
        if message["type"] == "submission":
            return b'{"type": "loaded"}\n'
        reply = {
            "type": "result", "index": message["index"], "compile_error": None, "stdout": "",
            "stderr_tail": "", "reports": [{"typed": "[1]"}], **MEASURED,
        }  # fmt: skip
        return json.dumps(reply).encode() + b"\n"

    session.exchange = exchange  # type: ignore[method-assign]
    await session.load(make_program(ProgramKind.CALL, CALL_LIMITS), 11.0)
    run = await session.run_test(3, "4")
    assert sent[1] == ({"type": "test", "index": 3, "input": "4"}, arithmetic.reply_timeout_s(11.0))
    assert (run.answer.typed, run.answer.reported, run.cpu_ms) == ("[1]", True, 5.0)


async def test_a_batch_that_does_not_compile_is_that_for_every_input() -> None:
    session = ContainerSession(Process(), "n", 64)  # type: ignore[arg-type]

    async def exchange(message: dict[str, Any], _timeout: float) -> bytes:
        if message["type"] == "submission":
            return b'{"type": "loaded"}\n'
        reply = {"type": "batch_result", "index": 5, "compile_error": "SyntaxError", "items": []}
        return json.dumps(reply).encode() + b"\n"

    session.exchange = exchange  # type: ignore[method-assign]
    await session.load(make_program(ProgramKind.CALL, CALL_LIMITS), 11.0)
    runs = await session.run_batch(5, ["1", "2", "3"])
    assert [run.compile_error for run in runs] == ["SyntaxError"] * 3
