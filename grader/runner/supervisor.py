"""The long-lived supervisor inside a sandbox container (standard library only).

Runs as root with every capability dropped except SETUID/SETGID, behind no-new-privileges. It
starts each test as a fresh process of the candidate uid, which owns no other process here and
so can neither signal nor trace the supervisor. Jobs arrive on stdin, results leave on stdout
(see protocol.py); no candidate process inherits either.
"""

from __future__ import annotations

import base64
import contextlib
import os
import platform
import resource
import secrets
import selectors
import shutil
import signal
import sys
import time
from typing import Any, BinaryIO

from grader.runner import protocol

STDERR_KEEP = 4096
CPU_POLL_S = 0.05
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
REPORT_LIMIT = 64 * 1024 * 1024
CHILD = os.path.join(os.path.dirname(os.path.abspath(__file__)), "child.py")
OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
CHILD_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "HOME": protocol.WORK_DIR,
    "TMPDIR": protocol.WORK_DIR,
    "LANG": "C.UTF-8",
    "PYTHONHASHSEED": "0",  # reproducible set/dict orders, so a verdict reproduces
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONINTMAXSTRDIGITS": "0",
}


class Submission:
    def __init__(self, message: dict[str, Any]) -> None:
        self.kind = str(message["kind"])
        self.entry_point = str(message.get("entry_point", ""))
        self.prelude = str(message.get("prelude", "none"))
        limits = message["limits"]
        self.time_s = float(limits["time_s"])
        self.wall_s = float(limits["wall_s"])
        self.memory_kb = int(limits["memory_kb"])
        self.output_bytes = int(limits["output_bytes"])


def oom_kills() -> int:
    """The memory cgroup's count of OOM kills (cgroup v1 or v2); 0 when unreadable."""
    for path in OOM_FILES:
        try:
            with open(path) as f:
                for line in f:
                    key, _, value = line.partition(" ")
                    if key == "oom_kill":
                        return int(value)
        except OSError:
            continue
    return 0


def as_candidate(action: Any) -> None:
    """Runs `action` in a forked process that has become the candidate uid, and waits for it.

    The supervisor holds no CAP_KILL, so the only way to signal the candidate's processes is to
    become that uid; kill(-1) then reaches exactly the candidate's processes.
    """
    pid = os.fork()
    if pid == 0:
        try:
            os.setgroups([])
            os.setgid(protocol.CANDIDATE_GID)
            os.setuid(protocol.CANDIDATE_UID)
            action()
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def kill_candidate_processes() -> None:
    def kill_all() -> None:
        for _ in range(3):  # a fork racing the first kill is caught by the next
            try:
                os.kill(-1, signal.SIGKILL)
            except ProcessLookupError:
                return

    as_candidate(kill_all)


def wipe_writable_places() -> None:
    def wipe() -> None:
        for top in (protocol.WORK_DIR, "/dev/shm", "/var/tmp"):
            try:
                names = os.listdir(top)
            except OSError:
                continue
            for name in names:
                path = os.path.join(top, name)
                if os.path.isdir(path) and not os.path.islink(path):
                    for root, dirs, _ in os.walk(path):
                        for d in dirs:
                            with contextlib.suppress(OSError):
                                os.chmod(os.path.join(root, d), 0o700)
                    shutil.rmtree(path, ignore_errors=True)
                else:
                    with contextlib.suppress(OSError):
                        os.unlink(path)

    as_candidate(wipe)


class Supervisor:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.submission: Submission | None = None

    def send(self, message: dict[str, Any]) -> None:
        self.out.write(protocol.encode(message))
        self.out.flush()

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "submission":
            self.load(message)
        elif kind == "test":
            if self.submission is None:
                self.send({"type": "error", "message": "test before submission"})
                return
            self.send(self.run_test(self.submission, int(message["index"]), message["input"]))
        elif kind == "reset":
            kill_candidate_processes()
            wipe_writable_places()
            self.submission = None
            self.send({"type": "reset_done"})
        else:
            self.send({"type": "error", "message": f"unknown message type {kind!r}"})

    def load(self, message: dict[str, Any]) -> None:
        self.submission = Submission(message)
        path = os.path.join(protocol.CODE_DIR, "main.py")
        tmp = path + ".new"
        with open(tmp, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(message["code"])
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        self.send({"type": "loaded"})

    def run_test(self, sub: Submission, index: int, test_input: str) -> dict[str, Any]:
        input_path = os.path.join(protocol.CODE_DIR, "input")
        with open(input_path, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(test_input)
        os.chmod(input_path, 0o644)
        result = self.execute(sub)
        result["type"] = "result"
        result["index"] = index
        kill_candidate_processes()  # nothing a test left running sees the next test
        return result

    def execute(self, sub: Submission) -> dict[str, Any]:
        nonce = secrets.token_hex(16)
        result_r, result_w = os.pipe()
        nonce_r, nonce_w = os.pipe()
        os.write(nonce_w, nonce.encode())
        os.close(nonce_w)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        stdin_fd = os.open(os.path.join(protocol.CODE_DIR, "input"), os.O_RDONLY)
        cpu_limit = max(1, int(sub.time_s + 1.0))
        oom_before = oom_kills()
        started = time.monotonic()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child's side
            try:
                os.setsid()
                for fd, target in ((stdin_fd, 0), (out_w, 1), (err_w, 2), (result_w, 3), (nonce_r, 4)):
                    os.dup2(fd, target)
                os.closerange(5, 65536)
                with open("/proc/self/oom_score_adj", "w") as f:
                    f.write("1000")  # the OOM killer takes the candidate, never the supervisor
                resource.setrlimit(resource.RLIMIT_CPU, (cpu_limit, cpu_limit + 1))
                stack = min(sub.memory_kb * 1024, 1 << 30)
                resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
                resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
                resource.setrlimit(resource.RLIMIT_NOFILE, (256, 256))
                os.setgroups([])
                os.setgid(protocol.CANDIDATE_GID)
                os.setuid(protocol.CANDIDATE_UID)
                os.chdir(protocol.WORK_DIR)
                os.execve(
                    sys.executable,
                    [sys.executable, "-B", CHILD, sub.kind, sub.entry_point or "-", sub.prelude],
                    CHILD_ENV,
                )
            finally:
                os._exit(127)
        for fd in (stdin_fd, out_w, err_w, result_w, nonce_r):
            os.close(fd)
        return self.collect(sub, pid, started, out_r, err_r, result_r, nonce, oom_before)

    def collect(
        self,
        sub: Submission,
        pid: int,
        started: float,
        out_r: int,
        err_r: int,
        result_r: int,
        nonce: str,
        oom_before: int,
    ) -> dict[str, Any]:
        stdout = bytearray()
        stderr = bytearray()
        report = bytearray()
        truncated = False
        timed_out = False
        status: int | None = None
        usage = None
        sel = selectors.DefaultSelector()
        for fd in (out_r, err_r, result_r):
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        pidfd = open_pidfd(pid)
        if pidfd is not None:
            sel.register(pidfd, selectors.EVENT_READ)
        deadline = started + sub.wall_s
        open_fds = {out_r, err_r, result_r}
        while status is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or cpu_seconds(pid) > sub.time_s:
                # The wall-clock backstop, or the CPU limit to the tick (RLIMIT_CPU is whole
                # seconds and stays as the last resort).
                timed_out = True
                kill_candidate_processes()
                _, status, usage = os.wait4(pid, 0)
                break
            remaining = min(remaining, CPU_POLL_S)
            if pidfd is None:  # no pidfd (old kernel, some gVisor builds): poll for the exit
                waited, wait_status, wait_usage = os.wait4(pid, os.WNOHANG)
                if waited:
                    status, usage = wait_status, wait_usage
                    break
                remaining = min(remaining, 0.005)
            for key, _ in sel.select(timeout=remaining):
                fd = int(key.fd)
                if fd == pidfd:
                    _, status, usage = os.wait4(pid, 0)
                    continue
                chunk = read_some(fd)
                if chunk is None:
                    continue
                if not chunk:
                    sel.unregister(fd)
                    open_fds.discard(fd)
                elif fd == out_r:
                    stdout += chunk
                    if len(stdout) > sub.output_bytes:
                        truncated = True
                        kill_candidate_processes()
                elif fd == err_r:
                    stderr += chunk
                    del stderr[: max(0, len(stderr) - STDERR_KEEP)]
                elif len(report) < REPORT_LIMIT:
                    report += chunk
        wall = time.monotonic() - started
        # The process has ended; take what its pipes still hold (a daemon it left keeps them
        # open, so read only what is there now).
        for fd in list(open_fds):
            while (chunk := read_some(fd)) and len(stdout) <= sub.output_bytes:
                if fd == out_r:
                    stdout += chunk
                elif fd == err_r:
                    stderr += chunk
                else:
                    report += chunk
        sel.close()
        for fd in (out_r, err_r, result_r) if pidfd is None else (out_r, err_r, result_r, pidfd):
            os.close(fd)
        if len(stdout) > sub.output_bytes:
            truncated = True
            del stdout[sub.output_bytes :]
        if usage is None or status is None:  # pragma: no cover - the loop only ends with both
            raise RuntimeError("candidate process was not reaped")
        cpu = usage.ru_utime + usage.ru_stime
        if cpu > sub.time_s:
            timed_out = True
        return {
            "stdout": base64.b64encode(bytes(stdout)).decode(),
            "stdout_truncated": truncated,
            "stderr_tail": bytes(stderr[-STDERR_KEEP:]).decode("utf-8", "replace"),
            "exit_code": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
            "cpu_ms": cpu * 1000.0,
            "wall_ms": wall * 1000.0,
            "peak_memory_kb": usage.ru_maxrss,
            "timed_out": timed_out,
            "oom_killed": oom_kills() > oom_before,
            "report": parse_report(bytes(report), nonce),
        }


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a live process (all its threads), from /proc."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def open_pidfd(pid: int) -> int | None:
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def read_some(fd: int) -> bytes | None:
    try:
        return os.read(fd, 1 << 20)
    except BlockingIOError:
        return None


def parse_report(data: bytes, nonce: str) -> dict[str, Any] | None:
    """The first result line carrying this test's nonce; anything else is ignored."""
    for line in data.split(b"\n"):
        try:
            message = protocol.decode(line)
        except ValueError:
            continue
        if message.pop("nonce", None) == nonce:
            return dict(message)
    return None


def main() -> None:
    os.umask(0o022)
    stdin = sys.stdin.buffer
    supervisor = Supervisor(sys.stdout.buffer)
    supervisor.send(
        {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "python": platform.python_version()}
    )
    for line in stdin:
        try:
            message = protocol.decode(line)
        except ValueError as exc:
            supervisor.send({"type": "error", "message": f"bad message: {exc}"})
            continue
        supervisor.handle(message)
    kill_candidate_processes()


if __name__ == "__main__":
    main()
