"""The Docker backend: one locked-down container per session, driven over its attached stdio.

The engine is reached through the `docker` CLI as asyncio subprocesses, so the server's event
loop never blocks on a Docker call. Jobs travel over the container's stdin/stdout: no port, no
socket and no host path that the candidate could reach.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import structlog

from grader import offload
from grader.runner import protocol
from grader.sandbox import limits as arithmetic
from grader.sandbox.command import LABEL, OWNER_LABEL, DockerSettings, container_args, docker_command
from grader.sandbox.interface import (
    NoEvents,
    Program,
    ProgramKind,
    SandboxEvents,
    SandboxFailureError,
    SandboxUnavailableError,
    TestRun,
)
from grader.sandbox.results import (
    ReplyError,
    SupervisorError,
    compiled_not,
    parse_batch_result,
    parse_reply,
    parse_result,
    parse_suite_result,
)

log = structlog.get_logger(__name__)

STREAM_LIMIT = 128 * 1024 * 1024
INLINE_DECODE = 64 * 1024
"""Replies of at least this many bytes are decoded in a thread, off the event loop (from
offload.BIG bytes: in a process, since json.loads and base64 hold the GIL)."""
_T = TypeVar("_T")
ENGINE_DOWN_MARKERS = (
    "Cannot connect to the Docker daemon",
    "Is the docker daemon running",
    "error during connect",
)
ENGINE_FULL_MARKERS = ("no space left on device",)
TRIAL_MEMORY_MB = 128
"""Memory of the container `check()` starts to see whether containers can be created again."""


class ContainerSession:
    """A running sandbox container; runs one loaded program's tests one at a time."""

    def __init__(self, process: asyncio.subprocess.Process, name: str, memory_limit_mb: int) -> None:
        self._process = process
        self.name = name
        self.memory_limit_mb = memory_limit_mb
        self._wall_s = 0.0
        self._time_s = 0.0
        self._kind = ProgramKind.STDIN
        self.uses = 0
        self.anomaly = ""
        """Why this container must not be reused (an OOM kill, a kill at a limit), or ""."""
        self.stderr_task: asyncio.Task[str] | None = None

    @property
    def alive(self) -> bool:
        return self._process.returncode is None

    async def exchange(self, message: dict[str, Any], timeout: float) -> bytes:
        """Sends one message and reads the supervisor's one-line reply, undecoded."""
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
        except ValueError as exc:  # over the stream's limit: the supervisor caps what it sends
            raise SandboxFailureError(f"sandbox {self.name}: a reply over {STREAM_LIMIT} bytes") from exc
        if not line:
            raise SandboxFailureError(f"sandbox {self.name}: supervisor ended")
        return line

    def decode(self, line: bytes) -> dict[str, Any]:
        try:
            reply = protocol.decode(line)
        except ValueError as exc:
            raise SandboxFailureError(f"sandbox {self.name}: unreadable reply") from exc
        if reply.get("type") == "error":
            raise SandboxFailureError(f"sandbox {self.name}: {reply.get('message')}")
        return reply

    async def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        return self.decode(await self.exchange(message, timeout))

    async def result(
        self, message: dict[str, Any], timeout: float, parse: Callable[[dict[str, Any]], _T]
    ) -> _T:
        """Sends a test or a batch and parses its result. A result carries the candidate's answer,
        up to the output limit: a large one is decoded and validated off the event loop, so the
        server keeps serving meanwhile (`parse` must pickle: a module function, or a partial)."""
        line = await self.exchange(message, timeout)
        try:
            if len(line) < INLINE_DECODE:
                return parse_reply(line, parse)
            if len(line) < offload.BIG:
                return await asyncio.to_thread(parse_reply, line, parse)
            return await offload.POOL.run(parse_reply, line, parse)
        except SupervisorError as exc:
            raise SandboxFailureError(f"sandbox {self.name}: {exc}") from exc
        except ReplyError as exc:
            raise SandboxFailureError(f"sandbox {self.name}: malformed result: {exc}") from exc
        except offload.OffloadError as exc:
            raise SandboxFailureError(f"sandbox {self.name}: result not decoded: {exc}") from exc

    async def reset(self) -> bool:
        """Kills every candidate process and wipes every writable place; True when clean. A
        long-lived process found changed (the supervisor's check) also sets the anomaly."""
        reply = await self.request({"type": "reset"}, timeout=30.0)
        changed = reply.get("changed")
        if changed:
            self.anomaly = "long-lived process changed"
            log.warning("sandbox_tampered", container=self.name, changed=[str(c)[:80] for c in changed[:20]])
        return reply.get("type") == "reset_done" and bool(reply.get("clean"))

    async def load(self, program: Program, wall_s: float) -> None:
        self._wall_s = wall_s
        self._time_s = program.limits.time_s
        self._kind = program.kind
        message: protocol.SubmissionMessage = {
            "type": "submission",
            "code": program.code,
            "kind": str(program.kind),
            "entry_point": program.entry_point,
            "prelude": str(program.prelude),
            "limits": arithmetic.supervisor_limits(program.limits, wall_s),
        }
        if program.kind is ProgramKind.UNITTEST:
            message["suite"] = program.suite
        await self.request(dict(message), timeout=30.0)

    async def run_suite(self, first_index: int, methods: list[str]) -> list[TestRun]:
        """Runs the code with its suite once (see supervisor.py `run_suite`): a run per method."""
        message: protocol.SuiteMessage = {"type": "suite", "index": first_index, "methods": methods}
        compile_error, runs = await self.result(
            dict(message),
            arithmetic.reply_timeout_s(self._wall_s),
            functools.partial(parse_suite_result, first=first_index, count=len(methods)),
        )
        if compile_error is not None:
            return [compiled_not(compile_error)] * len(methods)
        self._note(runs)
        return runs

    async def run_batch(self, first_index: int, inputs: list[str]) -> list[TestRun]:
        """Runs call inputs one after another in a process each can restart (see supervisor.py
        `run_batch`); asks again for the inputs left when the supervisor's reply filled up."""
        runs: list[TestRun] = []
        while len(runs) < len(inputs):
            first, left = first_index + len(runs), inputs[len(runs) :]
            message: protocol.BatchMessage = {"type": "batch", "index": first, "inputs": left}
            compile_error, batch = await self.result(
                dict(message),
                arithmetic.batch_reply_timeout_s(self._wall_s, self._time_s, len(left)),
                functools.partial(parse_batch_result, first=first, count=len(left)),
            )
            if compile_error is not None:
                return [compiled_not(compile_error)] * len(inputs)
            runs += batch
            self._note(batch)
        return runs

    async def run_test(self, index: int, test_input: str) -> TestRun:
        message: protocol.TestMessage = {"type": "test", "index": index, "input": test_input}
        parse = functools.partial(parse_result, kind=self._kind, index=index)
        run = await self.result(dict(message), arithmetic.reply_timeout_s(self._wall_s), parse)
        self._note([run])
        return run

    def _note(self, runs: list[TestRun]) -> None:
        if any(run.oom_killed for run in runs):
            self.anomaly = "oom kill"
        elif any(run.timed_out for run in runs):
            self.anomaly = "killed at a limit"


class DockerSandbox:
    """Talks to the engine; as a Sandbox, starts one container per session (see pool.py for the
    warm pool that reuses them)."""

    def __init__(self, settings: DockerSettings, events: SandboxEvents | None = None) -> None:
        self.settings = settings
        self.events: SandboxEvents = events or NoEvents()
        self.failure = ""
        """Why the last container could not be created ("" once one was): see `check()`."""

    async def _docker(self, *args: str, timeout: float = 10.0) -> tuple[int, str]:
        try:
            proc = await asyncio.create_subprocess_exec(
                *docker_command(self.settings),
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

    async def check_engine(self) -> None:
        """Raises SandboxUnavailableError unless the engine answers and has the image."""
        code, out = await self._docker("image", "inspect", "--format", "{{.Id}}", self.settings.image)
        if code != 0:
            if "No such image" in out:
                raise SandboxUnavailableError(
                    f"sandbox image {self.settings.image} is missing: run sandbox_images/build.sh"
                )
            raise SandboxUnavailableError(f"docker engine does not answer: {out[-300:]}")

    async def check(self) -> None:
        await self.check_engine()
        if self.failure:
            # The last container could not be created though the engine answers (its disk was
            # full): try one, so that health turns SERVING only once one can be created again.
            try:
                await self.stop_container(await self.start_container(TRIAL_MEMORY_MB))
            except SandboxFailureError as exc:
                raise SandboxUnavailableError(f"no sandbox can be started: {exc}") from exc

    async def remove_leftovers(self) -> int:
        """Removes the containers a previous run of this server left behind (it crashed); returns
        how many. Other servers' containers on the same engine are not touched."""
        code, out = await self._docker(
            "ps",
            "-aq",
            "--filter",
            f"label={LABEL}",
            "--filter",
            f"label={OWNER_LABEL}={self.settings.owner}",
        )
        ids = out.split() if code == 0 else []
        if ids:
            await self._docker("rm", "-f", *ids, timeout=60.0)
        return len(ids)

    def wall_s(self, program: Program) -> float:
        settings = self.settings
        return arithmetic.backstop_s(program.limits.time_s, settings.wall_factor, settings.wall_extra_s)

    async def start_container(self, memory_limit_mb: int) -> ContainerSession:
        """Starts a sandbox container and waits until its supervisor says hello."""
        name = f"grader-sbx-{uuid.uuid4().hex[:16]}"
        try:
            process = await asyncio.create_subprocess_exec(
                *container_args(self.settings, memory_limit_mb, name),
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                limit=STREAM_LIMIT,
            )
        except OSError as exc:
            raise SandboxUnavailableError(f"cannot start docker: {exc}") from exc
        container = ContainerSession(process, name, memory_limit_mb)
        container.stderr_task = asyncio.create_task(_tail(process.stderr))
        try:
            await self._handshake(process, container.stderr_task)
        except BaseException as exc:
            if isinstance(exc, SandboxUnavailableError):
                self.failure = str(exc)
            await self.stop_container(container)
            raise
        self.failure = ""
        self.events.container_started()
        return container

    async def stop_container(self, container: ContainerSession) -> None:
        await self._stop(container._process, container.name)
        if container.stderr_task is not None:
            container.stderr_task.cancel()

    @contextlib.asynccontextmanager
    async def session(self, program: Program) -> AsyncIterator[ContainerSession]:
        """A fresh container for this one program, removed afterwards."""
        container = await self.start_container(program.limits.memory_mb)
        try:
            await container.load(program, self.wall_s(program))
            yield container
        finally:
            await self.stop_container(container)

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
            if process.returncode == 125 and any(m in message for m in ENGINE_FULL_MARKERS):
                # The host's disk is full: no container can start until space is freed. Not a
                # sandbox that failed (retrying at once cannot help), so the caller may retry later.
                reason = message.strip().splitlines()[0][-300:] if message.strip() else ""
                raise SandboxUnavailableError(f"docker engine cannot create a container: {reason}")
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
