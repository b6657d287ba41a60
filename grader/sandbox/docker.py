"""The Docker backend: one locked-down container per session, driven over its attached stdio.

The engine is reached through the `docker` CLI as asyncio subprocesses, so the server's event
loop never blocks on a Docker call. Jobs travel over the container's stdin/stdout: no port, no
socket and no host path that the candidate could reach.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import structlog

from grader.runner import protocol
from grader.sandbox.interface import (
    Program,
    SandboxFailureError,
    SandboxUnavailableError,
    TestRun,
)

log = structlog.get_logger(__name__)

LABEL = "grader.sandbox"
STREAM_LIMIT = 128 * 1024 * 1024
ENGINE_DOWN_MARKERS = (
    "Cannot connect to the Docker daemon",
    "Is the docker daemon running",
    "error during connect",
)


@dataclass(frozen=True, slots=True)
class DockerSettings:
    """How sandbox containers are started. Every field is a server setting."""

    image: str = "grader-sandbox-python:latest"
    runtime: str = "runc"
    docker_cli: str = "docker"
    cpus: float = 1.0
    pids_limit: int = 64
    tmpfs_mb: int = 64
    memory_headroom_mb: int = 64
    """Added to a question's memory limit for the supervisor and the test input; a candidate
    using more than the question's limit is judged MEMORY_LIMIT_EXCEEDED all the same."""
    wall_factor: float = 2.0
    wall_extra_s: float = 2.0
    """Wall-clock backstop per test: time limit x wall_factor + wall_extra_s."""
    start_timeout_s: float = 60.0


def run_args(settings: DockerSettings, program: Program, name: str) -> list[str]:
    """The `docker run` command line of one sandbox container."""
    memory_mb = program.limits.memory_mb + settings.memory_headroom_mb
    tmpfs = "rw,nosuid,nodev,noexec"
    return [
        settings.docker_cli, "run", "-i", "--rm", "--init",
        "--name", name,
        "--label", f"{LABEL}=1",
        "--runtime", settings.runtime,
        "--network", "none",
        "--memory", f"{memory_mb}m",
        "--memory-swap", f"{memory_mb}m",
        "--pids-limit", str(settings.pids_limit),
        "--cpus", str(settings.cpus),
        "--read-only",
        "--tmpfs", f"{protocol.WORK_DIR}:{tmpfs},size={settings.tmpfs_mb}m,mode=1777",
        "--tmpfs", f"/var/tmp:{tmpfs},size=1m,mode=1777",
        "--tmpfs", f"/dev/shm:{tmpfs},size={settings.tmpfs_mb}m,mode=1777",
        "--tmpfs", f"{protocol.CODE_DIR}:rw,nosuid,nodev,noexec,size={program.limits.memory_mb}m,mode=755",
        "--cap-drop", "ALL", "--cap-add", "SETUID", "--cap-add", "SETGID",
        "--security-opt", "no-new-privileges",
        "--ulimit", "nofile=1024:1024",
        "--log-driver", "none",
        settings.image,
    ]  # fmt: skip


class ContainerSession:
    """A running container with a program loaded; runs its tests one at a time."""

    def __init__(self, process: asyncio.subprocess.Process, name: str, wall_s: float) -> None:
        self._process = process
        self.name = name
        self._wall_s = wall_s

    async def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        stdin, stdout = self._process.stdin, self._process.stdout
        if stdin is None or stdout is None:  # pragma: no cover - always piped in session()
            raise SandboxFailureError("sandbox has no stdio")
        try:
            stdin.write(protocol.encode(message))
            await stdin.drain()
            line = await asyncio.wait_for(stdout.readline(), timeout)
        except (ConnectionError, BrokenPipeError) as exc:
            raise SandboxFailureError(f"sandbox {self.name}: supervisor gone ({exc})") from exc
        except TimeoutError as exc:
            raise SandboxFailureError(f"sandbox {self.name}: no answer in {timeout:.0f} s") from exc
        if not line:
            raise SandboxFailureError(f"sandbox {self.name}: supervisor ended")
        try:
            reply = protocol.decode(line)
        except ValueError as exc:
            raise SandboxFailureError(f"sandbox {self.name}: unreadable reply") from exc
        if reply.get("type") == "error":
            raise SandboxFailureError(f"sandbox {self.name}: {reply.get('message')}")
        return reply

    async def load(self, program: Program, wall_s: float) -> None:
        limits = program.limits
        await self.request(
            {
                "type": "submission",
                "code": program.code,
                "kind": str(program.kind),
                "entry_point": program.entry_point,
                "prelude": str(program.prelude),
                "limits": {
                    "time_s": limits.time_s,
                    "wall_s": wall_s,
                    "memory_kb": limits.memory_mb * 1024,
                    "output_bytes": limits.output_mb * 1024 * 1024,
                },
            },
            timeout=30.0,
        )

    async def run_test(self, index: int, test_input: str) -> TestRun:
        reply = await self.request(
            {"type": "test", "index": index, "input": test_input}, timeout=self._wall_s + 30.0
        )
        if reply.get("type") != "result" or reply.get("index") != index:
            raise SandboxFailureError(f"sandbox {self.name}: unexpected reply {reply.get('type')!r}")
        try:
            return TestRun(
                stdout=base64.b64decode(reply["stdout"]),
                stdout_truncated=bool(reply["stdout_truncated"]),
                stderr_tail=str(reply["stderr_tail"]),
                exit_code=reply["exit_code"],
                signal=reply["signal"],
                cpu_ms=float(reply["cpu_ms"]),
                wall_ms=float(reply["wall_ms"]),
                peak_memory_kb=int(reply["peak_memory_kb"]),
                timed_out=bool(reply["timed_out"]),
                oom_killed=bool(reply["oom_killed"]),
                report=reply["report"],
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise SandboxFailureError(f"sandbox {self.name}: malformed result") from exc


class DockerSandbox:
    """Starts one container per session (the warm pool reuses them; see issue 4)."""

    def __init__(self, settings: DockerSettings) -> None:
        self.settings = settings

    async def _docker(self, *args: str, timeout: float = 10.0) -> tuple[int, str]:
        try:
            proc = await asyncio.create_subprocess_exec(
                self.settings.docker_cli,
                *args,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
            )
        except OSError as exc:
            return 127, str(exc)
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout)
        except TimeoutError:
            proc.kill()
            await proc.wait()
            return 124, f"docker {args[0]} timed out after {timeout:.0f} s"
        return proc.returncode or 0, out.decode(errors="replace").strip()

    async def check(self) -> None:
        code, out = await self._docker("image", "inspect", "--format", "{{.Id}}", self.settings.image)
        if code != 0:
            if "No such image" in out:
                raise SandboxUnavailableError(
                    f"sandbox image {self.settings.image} is missing: run sandbox_images/build.sh"
                )
            raise SandboxUnavailableError(f"docker engine does not answer: {out[-300:]}")

    async def remove_leftovers(self) -> int:
        """Removes sandbox containers left behind (e.g. by a crashed server); returns how many."""
        code, out = await self._docker("ps", "-aq", "--filter", f"label={LABEL}")
        ids = out.split() if code == 0 else []
        if ids:
            await self._docker("rm", "-f", *ids, timeout=60.0)
        return len(ids)

    @contextlib.asynccontextmanager
    async def session(self, program: Program) -> AsyncIterator[ContainerSession]:
        name = f"grader-sbx-{uuid.uuid4().hex[:16]}"
        wall_s = program.limits.time_s * self.settings.wall_factor + self.settings.wall_extra_s
        try:
            process = await asyncio.create_subprocess_exec(
                *run_args(self.settings, program, name),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=STREAM_LIMIT,
            )
        except OSError as exc:
            raise SandboxUnavailableError(f"cannot start docker: {exc}") from exc
        stderr_task = asyncio.create_task(_tail(process.stderr))
        session = ContainerSession(process, name, wall_s)
        try:
            await self._handshake(process, stderr_task)
            await session.load(program, wall_s)
            yield session
        finally:
            await self._stop(process, name)
            stderr_task.cancel()

    async def _handshake(self, process: asyncio.subprocess.Process, stderr: asyncio.Task[str]) -> None:
        if process.stdout is None:  # pragma: no cover - always piped in session()
            raise SandboxFailureError("sandbox has no stdout")
        try:
            line = await asyncio.wait_for(process.stdout.readline(), self.settings.start_timeout_s)
        except TimeoutError as exc:
            raise SandboxFailureError("sandbox did not start in time") from exc
        if not line:
            await process.wait()
            message = await stderr
            if process.returncode in (125, 127) and any(m in message for m in ENGINE_DOWN_MARKERS):
                raise SandboxUnavailableError(f"docker engine does not answer: {message[-300:]}")
            raise SandboxFailureError(
                f"sandbox failed to start (exit {process.returncode}): {message[-500:]}"
            )
        hello = protocol.decode(line)
        if hello.get("type") != "hello" or hello.get("protocol") != protocol.PROTOCOL_VERSION:
            raise SandboxFailureError(
                f"sandbox image speaks protocol {hello.get('protocol')!r}, want "
                f"{protocol.PROTOCOL_VERSION}: rebuild it with sandbox_images/build.sh"
            )

    async def _stop(self, process: asyncio.subprocess.Process, name: str) -> None:
        if process.stdin is not None and not process.stdin.is_closing():
            process.stdin.close()
        try:
            await asyncio.wait_for(process.wait(), 10.0)
        except TimeoutError:
            log.warning("sandbox_force_removed", container=name)
            await self._docker("rm", "-f", name, timeout=30.0)
            process.kill()
            await process.wait()

    async def close(self) -> None:
        return None


async def _tail(stream: asyncio.StreamReader | None, keep: int = 4096) -> str:
    if stream is None:
        return ""
    data = b""
    while chunk := await stream.read(65536):
        data = (data + chunk)[-keep:]
    return data.decode(errors="replace")
