"""The zygotes as the supervisor drives them (standard library only): the root zygote, forked
once per container, and a submission zygote per job, each over a SOCK_SEQPACKET control socket
(the other side is child.py); and the liveness and reaping of the supervisor's children.
"""

from __future__ import annotations

import json
import os
import resource
import select
import socket
import sys
import time
from typing import Any

from grader.runner import gvisor, protocol
from grader.runner.candidates import cpu_seconds, kill_candidate_processes
from grader.runner.job import Job

CPU_POLL_S = 0.05
"""How often (wall) the supervisor looks at a process it waits on: its CPU time, its limits."""
COMPILE_CPU_S = 10.0
"""CPU seconds a submission zygote may spend compiling the code (the question's time limit if
longer): CPython compiles some sources in quadratic time (an f-string of many placeholders)."""
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child.py")
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": protocol.WORK_DIR,
    "TMPDIR": protocol.WORK_DIR,
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # reproducible set/dict orders, so a verdict reproduces
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONINTMAXSTRDIGITS": "0",
}
IMAGE_ENV = ("GRADER_PRELOAD", "MPLBACKEND", "HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME")
"""Variables an image sets (its ENV) that the zygotes take over CHILD_ENV's: the modules to
preload, and where libraries keep their settings and caches (see sandbox_images/)."""


def child_env() -> dict[str, str]:
    return {**CHILD_ENV, **{name: os.environ[name] for name in IMAGE_ENV if name in os.environ}}


class ZygoteGone(Exception):  # noqa: N818 - an event, not a programming error
    pass


class Channel:
    """A SOCK_SEQPACKET control socket to a zygote: one JSON message per datagram."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock

    def receive(self, timeout: float | None = None) -> dict[str, Any]:
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(65536)
        except (TimeoutError, OSError) as exc:
            raise ZygoteGone(str(exc) or type(exc).__name__) from exc
        if not data:
            raise ZygoteGone("zygote ended")
        message = json.loads(data)
        if not isinstance(message, dict):
            raise ZygoteGone("unreadable zygote message")
        return message

    def send(self, message: dict[str, Any], fds: list[int]) -> None:
        try:
            socket.send_fds(self.sock, [json.dumps(message).encode()], fds)
        except OSError as exc:
            raise ZygoteGone(str(exc)) from exc

    def close(self) -> None:
        self.sock.close()


class RootZygote:
    """The container's long-lived fork server (child.py's main). It stays root: it outlives every
    submission, and a process of the candidate's uid could change it (prlimit, setpriority,
    signals, ...) for every later one. Each submission zygote it forks takes the candidate's uid."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.channel = Channel(ours)
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child's side
            try:
                os.setsid()
                null = os.open(os.devnull, os.O_RDWR)
                for target in (0, 1, 2):
                    os.dup2(null, target)
                os.dup2(theirs.fileno(), 3)
                os.closerange(4, 65536)
                # The OOM killer takes the zygotes and the candidate, never the supervisor.
                with open("/proc/self/oom_score_adj", "w") as f:
                    f.write("1000")
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
                os.chdir(protocol.WORK_DIR)
                ids = (protocol.CANDIDATE_UID, protocol.CANDIDATE_GID, gvisor.NPROC_LIMIT)
                os.execve(sys.executable, [sys.executable, "-B", "-s", CHILD, *map(str, ids)], child_env())
            finally:
                os._exit(127)
        theirs.close()
        if not self.channel.receive(timeout=60.0).get("ready"):
            raise ZygoteGone("root zygote did not start")

    def healthy(self) -> bool:
        """Alive and not stopped (a candidate of the same uid may have signalled it)."""
        return running(self.pid)

    def spawn(self, job: Job) -> Zygote:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            request = {"kind": job.kind, "entry_point": job.entry_point, "prelude": job.prelude}
            self.channel.send(request, [theirs.fileno()])
        finally:
            theirs.close()
        pid = int(self.channel.receive(timeout=30.0)["pid"])
        return Zygote(pid, Channel(ours), job, self.pid)

    def close(self) -> None:
        self.channel.close()


class Zygote:
    """One submission's fork server: has compiled the code, forks a worker per test."""

    def __init__(self, pid: int, channel: Channel, job: Job, root_pid: int) -> None:
        self.pid = pid
        self.channel = channel
        self.compile_error: str | None = None
        # The compile runs as the candidate's uid with no RLIMIT_CPU: bounded here, from outside.
        compile_limit_s = max(COMPILE_CPU_S, job.time_s)
        deadline = time.monotonic() + 30.0 + job.time_s
        while not select.select([channel.sock], [], [], CPU_POLL_S)[0]:
            if cpu_seconds(pid) > compile_limit_s:
                kill_candidate_processes(spare={root_pid})
                self.compile_error = f"compile limit exceeded: over {compile_limit_s:g} s of CPU"
                return
            if time.monotonic() >= deadline:
                raise ZygoteGone("submission zygote did not say it compiled")
        hello = channel.receive(timeout=5.0)
        if "compile_error" in hello:
            # Sent before the zygote forked any worker: no candidate code has run yet.
            self.compile_error = str(hello["compile_error"])[: protocol.COMPILE_ERROR_LIMIT]
        elif not hello.get("ready"):
            raise ZygoteGone("submission zygote did not start")

    def fork(self, fds: list[int], cpu_limit: int, stack: int, batch: bool = False) -> int:
        request: protocol.ForkRequest = {"cpu_limit": cpu_limit, "stack": stack, "batch": batch}
        self.channel.send(dict(request), fds)
        return int(self.channel.receive(timeout=30.0)["pid"])

    def close(self) -> None:
        self.channel.close()  # the zygote sees the end of its socket and exits


def running(pid: int) -> bool:
    """Alive and not stopped."""
    try:
        with open(f"/proc/{pid}/status") as f:
            state = next((line.split()[1] for line in f if line.startswith("State:")), "Z")
    except OSError:
        return False
    return state not in ("Z", "T", "t", "X")


def reap() -> None:
    """Collects every ended child (zygotes), so none lingers as a zombie."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
