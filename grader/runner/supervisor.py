"""The long-lived supervisor inside a sandbox container (standard library only).

Runs as root with every capability dropped except SETUID/SETGID, behind no-new-privileges. It
starts the root zygote (child.py, root too), which forks for each submission a zygote that takes
the candidate's uid and forks one worker per test. Nothing that outlives a submission runs as the
candidate's uid, so no candidate process can signal, trace, renice or re-limit it
(docs/security.md). Jobs arrive on stdin, results leave on stdout (see protocol.py); no candidate
process inherits either. Between submissions every candidate process is killed and every
writable place wiped, and the long-lived processes are checked against their standing at start
(standing.py), so a container can serve many submissions with nothing carried from one to the next.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import resource
import secrets
import select
import selectors
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any, BinaryIO

from grader.runner import gvisor, protocol, standing
from grader.runner.candidates import clean_up, cpu_seconds, kill_candidate_processes, leftovers, oom_kills

STDERR_KEEP = 4096
CPU_POLL_S = 0.05
ZYGOTE_GRACE_S = 3.0
"""How long after killing a test at its limit its zygote may take to report the exit; a zygote
still silent then was stopped by the candidate (same uid), and is given up."""
REPORT_LIMIT = 64 * 1024 * 1024
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


class Submission:
    def __init__(self, message: dict[str, Any]) -> None:
        self.kind = str(message["kind"])
        self.entry_point = str(message.get("entry_point", "")) or "-"
        self.prelude = str(message.get("prelude", "none"))
        limits = message["limits"]
        self.time_s = float(limits["time_s"])
        self.wall_s = float(limits["wall_s"])
        self.memory_kb = int(limits["memory_kb"])
        self.output_bytes = int(limits["output_bytes"])


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
                os.execve(sys.executable, [sys.executable, "-B", "-s", CHILD, *map(str, ids)], CHILD_ENV)
            finally:
                os._exit(127)
        theirs.close()
        if not self.channel.receive(timeout=60.0).get("ready"):
            raise ZygoteGone("root zygote did not start")

    def healthy(self) -> bool:
        """Alive and not stopped (a candidate of the same uid may have signalled it)."""
        return running(self.pid)

    def spawn(self, sub: Submission) -> Zygote:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            request = {"kind": sub.kind, "entry_point": sub.entry_point, "prelude": sub.prelude}
            self.channel.send(request, [theirs.fileno()])
        finally:
            theirs.close()
        pid = int(self.channel.receive(timeout=30.0)["pid"])
        return Zygote(pid, Channel(ours), sub)

    def close(self) -> None:
        self.channel.close()


class Zygote:
    """One submission's fork server: has compiled the code, forks a worker per test."""

    def __init__(self, pid: int, channel: Channel, sub: Submission) -> None:
        self.pid = pid
        self.channel = channel
        self.compile_error: str | None = None
        hello = channel.receive(timeout=30.0 + sub.time_s)
        if "compile_error" in hello:
            self.compile_error = str(hello["compile_error"])
        elif not hello.get("ready"):
            raise ZygoteGone("submission zygote did not start")

    def fork(self, fds: list[int], cpu_limit: int, stack: int, batch: int = 0, time_s: float = 0.0) -> int:
        self.channel.send({"cpu_limit": cpu_limit, "stack": stack, "batch": batch, "time_s": time_s}, fds)
        return int(self.channel.receive(timeout=30.0)["pid"])

    def close(self) -> None:
        self.channel.close()  # the zygote sees the end of its socket and exits


class Supervisor:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.submission: Submission | None = None
        self.zygote: Zygote | None = None
        self.root: RootZygote | None = None
        self.oom_at_load = 0
        self.recorded: dict[str, standing.Standing] = {
            "init": standing.standing(1),
            "supervisor": standing.standing(os.getpid()),
        }
        """The long-lived processes' standing at start, by role (the root zygote's: its first)."""

    def root_zygote(self) -> RootZygote:
        if self.root is not None and not self.root.healthy():
            self.root.close()
            self.root = None
            kill_candidate_processes()
            reap()
        if self.root is None:
            self.root = RootZygote()
            self.recorded.setdefault("root zygote", standing.standing(self.root.pid))
        return self.root

    def spared(self) -> set[int]:
        return {z.pid for z in (self.root, self.zygote) if z is not None}

    def send(self, message: dict[str, Any]) -> None:
        self.out.write(protocol.encode(message))
        self.out.flush()

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "submission":
            self.load(message)
        elif kind in ("test", "batch"):
            if self.submission is None:
                self.send({"type": "error", "message": "test before submission"})
                return
            if kind == "test":
                result = self.run_test(self.submission, message["input"])
            else:
                result = self.run_test(self.submission, message["inputs"], batch=True)
            result.update(type="result", index=int(message["index"]))
            self.send(result)
        elif kind == "reset":
            self.reset()
            left = leftovers(spare=self.spared())
            changed = self.changed()
            clean = not left and not changed
            self.send({"type": "reset_done", "clean": clean, "leftovers": len(left), "changed": changed})
        else:
            self.send({"type": "error", "message": f"unknown message type {kind!r}"})

    def reset(self) -> None:
        self.stop_zygote()
        clean_up(spare={self.root.pid} if self.root else set())
        reap()
        self.submission = None

    def changed(self) -> list[str]:
        """What differs in the long-lived processes from their standing at start, as "role
        setting"; a root zygote that is gone is not compared (the next submission starts another)."""
        pids = {"init": 1, "supervisor": os.getpid()}
        if self.root is not None and self.root.healthy():
            pids["root zygote"] = self.root.pid
        return [
            f"{role} {key}"
            for role, pid in pids.items()
            if role in self.recorded
            for key in standing.changes(self.recorded[role], pid)
        ]

    def stop_zygote(self) -> None:
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None

    def load(self, message: dict[str, Any]) -> None:
        if self.submission is not None:  # the host skipped the reset: do it now
            self.reset()
        self.submission = Submission(message)
        self.oom_at_load = oom_kills()
        path = os.path.join(protocol.CODE_DIR, "main.py")
        tmp = path + ".new"
        with open(tmp, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(message["code"])
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
        self.send({"type": "loaded"})
        try:  # compiling now overlaps with the host sending the first test
            self.ensure_zygote(self.submission)
        except ZygoteGone:
            self.stop_zygote()

    def ensure_zygote(self, sub: Submission) -> Zygote:
        if self.zygote is None:
            try:
                self.zygote = self.root_zygote().spawn(sub)
            except ZygoteGone:
                # The root may have been killed by a previous candidate: once more, afresh.
                if self.root is not None:
                    self.root.close()
                self.root = None
                kill_candidate_processes()
                reap()
                self.zygote = self.root_zygote().spawn(sub)
        return self.zygote

    def run_test(self, sub: Submission, test_input: str | list[str], batch: bool = False) -> dict[str, Any]:
        """One test, or with `batch` many call inputs in one process (one result per input)."""
        input_path = os.path.join(protocol.CODE_DIR, "input")
        with open(input_path, "w", encoding="utf-8", errors="surrogatepass") as f:
            if isinstance(test_input, list):
                f.writelines(json.dumps(text) + "\n" for text in test_input)
            else:
                f.write(test_input)
        os.chmod(input_path, 0o644)
        try:
            zygote = self.ensure_zygote(sub)
        except ZygoteGone as exc:
            self.stop_zygote()
            return self.zygote_failed(f"zygote failed: {exc}")
        if zygote.compile_error is not None:
            return blank_result(report={"compile_error": zygote.compile_error})
        count = len(test_input) if batch else 0
        result = TestRun(sub, zygote, self.spared(), batch=count).execute(input_path)
        if "error" in result:
            result = {**self.zygote_failed(str(result["error"])), "zygote_gone": True}
        if result.pop("zygote_gone", False):
            self.stop_zygote()
            reap()
        # Nothing a test left running sees the next test.
        kill_candidate_processes(spare=self.spared())
        if self.zygote is not None and not running(self.zygote.pid):
            # Stopped by one of the test's processes (same uid) after it reported: of no use to
            # the next test, which would wait for its fork in vain. Nothing of the candidate
            # runs now, so a zygote running at this point stays so.
            self.stop_zygote()
            kill_candidate_processes(spare=self.spared())
            reap()
        return result

    def zygote_failed(self, error: str) -> dict[str, Any]:
        """A zygote that died is our failure, unless the OOM killer took it during this
        submission: then the candidate's memory did (say, SysV IPC objects that outlive its
        processes), and the verdict is the candidate's."""
        if oom_kills() > self.oom_at_load:
            return blank_result(oom_killed=True)
        return {"error": error}


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


def blank_result(**fields: Any) -> dict[str, Any]:
    result: dict[str, Any] = {
        "stdout": "",
        "stdout_truncated": False,
        "stderr_tail": "",
        "exit_code": None,
        "signal": None,
        "cpu_ms": 0.0,
        "wall_ms": 0.0,
        "peak_memory_kb": 0,
        "timed_out": False,
        "oom_killed": False,
        "report": None,
    }
    result.update(fields)
    return result


class TestRun:
    """One test: a worker forked by the zygote, watched until it ends or a limit ends it."""

    def __init__(self, sub: Submission, zygote: Zygote, spared: set[int], batch: int = 0) -> None:
        self.batch = batch
        """How many inputs one worker runs (0: one test, the usual way)."""
        # A batch may spend each input's CPU time, plus a second to start.
        self.cpu_budget = sub.time_s * batch + 1.0 if batch else sub.time_s
        self.wall_s = sub.wall_s + (self.cpu_budget - sub.time_s) * 2 if batch else sub.wall_s
        self.sub = sub
        self.zygote = zygote
        self.spared = spared
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.report = bytearray()
        self.truncated = False
        self.timed_out = False
        self.out_of_memory = False
        """gVisor: killed by the supervisor standing in for the OOM killer (see gvisor.py)."""
        self.out_fd = self.err_fd = -1

    def execute(self, input_path: str) -> dict[str, Any]:
        sub = self.sub
        nonce = secrets.token_hex(16)
        result_r, result_w = os.pipe()
        nonce_r, nonce_w = os.pipe()
        os.write(nonce_w, nonce.encode())
        os.close(nonce_w)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self.out_fd, self.err_fd = out_r, err_r
        stdin_fd = os.open(input_path, os.O_RDONLY)
        theirs = [stdin_fd, out_w, err_w, result_w, nonce_r]
        oom_before = oom_kills()
        started = time.monotonic()
        try:
            pid = self.zygote.fork(theirs, cpu_limit=max(1, int(self.cpu_budget + 1.0)),
                                   stack=min(sub.memory_kb * 1024, 1 << 30), batch=self.batch,
                                   time_s=sub.time_s)  # fmt: skip
        except ZygoteGone as exc:
            return blank_result(error=f"zygote failed: {exc}", zygote_gone=True)
        finally:
            for fd in theirs:
                os.close(fd)
        exit_report = self.watch(pid, started, out_r, err_r, result_r)
        wall = time.monotonic() - started
        if exit_report is None:  # the candidate killed its zygote: the exit is unknowable
            status, cpu, maxrss, gone = None, cpu_seconds(pid), 0, True
        else:
            status = int(exit_report["status"])
            cpu = float(exit_report["utime"]) + float(exit_report["stime"])
            maxrss, gone = int(exit_report["maxrss"]), False
        if cpu > self.cpu_budget:
            self.timed_out = True
        return {
            "stdout": base64.b64encode(bytes(self.stdout[: sub.output_bytes])).decode(),
            "stdout_truncated": self.truncated or len(self.stdout) > sub.output_bytes,
            "stderr_tail": bytes(self.stderr[-STDERR_KEEP:]).decode("utf-8", "replace"),
            "exit_code": os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
            "cpu_ms": cpu * 1000.0,
            "wall_ms": wall * 1000.0,
            "peak_memory_kb": maxrss,
            "timed_out": self.timed_out,
            "oom_killed": self.out_of_memory or oom_kills() > oom_before,
            "report": None if self.batch else parse_report(bytes(self.report), nonce),
            "reports": parse_reports(bytes(self.report), nonce) if self.batch else None,
            "zygote_gone": gone,
        }

    def watch(self, pid: int, started: float, out_r: int, err_r: int, result_r: int) -> dict[str, Any] | None:
        """Collects output until the zygote reports the worker's exit; None if the zygote died."""
        control = self.zygote.channel.sock
        sel = selectors.DefaultSelector()
        for fd in (out_r, err_r, result_r):
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        sel.register(control, selectors.EVENT_READ)
        stdin = stdin_poller()
        deadline = started + self.wall_s
        exit_report: dict[str, Any] | None = None
        killed_at = 0.0
        try:
            while True:
                remaining = deadline - time.monotonic()
                if host_gone(stdin):
                    # Nobody will read this result (the host's client died): stop the work now
                    # rather than burn the CPU to the end of the budget, and end the container.
                    kill_candidate_processes(spare=self.spared)
                    os._exit(0)
                if not self.out_of_memory and gvisor.out_of_memory():
                    self.out_of_memory = True
                    kill_candidate_processes(spare=self.spared)
                if not self.timed_out and (remaining <= 0 or cpu_seconds(pid) > self.cpu_budget):
                    # The wall-clock backstop, or the CPU limit to the tick (RLIMIT_CPU is whole
                    # seconds and stays as the last resort).
                    self.timed_out = True
                    kill_candidate_processes(spare=self.spared)
                    killed_at = time.monotonic()
                elif self.timed_out and time.monotonic() - killed_at > ZYGOTE_GRACE_S:
                    # The worker is dead and its zygote still silent: the candidate stopped it
                    # (SIGSTOP from the same uid; the attack suite's stop_parent_zygote once made
                    # this loop spin until the host gave up). Kill it too; the verdict is the limit.
                    kill_candidate_processes(spare=self.spared - {self.zygote.pid})
                    return None
                poll_s = CPU_POLL_S if self.timed_out else max(0.0, min(remaining, CPU_POLL_S))
                for key, _ in sel.select(timeout=poll_s):
                    if key.fileobj is control:
                        try:
                            message = self.zygote.channel.receive(timeout=5.0)
                        except ZygoteGone:
                            return None
                        if "status" in message:
                            exit_report = message
                        continue
                    self.take(int(key.fd), sel)
                if exit_report is not None:
                    return exit_report
        finally:
            # The worker has ended; take what its pipes still hold (a daemon it left may keep
            # them open, so read only what is there now).
            for fd in (out_r, err_r, result_r):
                while self.take(fd, None):
                    pass
            sel.close()
            for fd in (out_r, err_r, result_r):
                os.close(fd)

    def take(self, fd: int, sel: selectors.BaseSelector | None) -> bool:
        """Reads what one pipe holds now; False when it had nothing or is closed."""
        try:
            chunk = os.read(fd, 1 << 20)
        except (BlockingIOError, OSError):
            return False
        if not chunk:
            if sel is not None:
                sel.unregister(fd)
            return False
        if fd == self.out_fd:
            self.stdout += chunk
            if len(self.stdout) > self.sub.output_bytes and not self.truncated:
                self.truncated = True
                kill_candidate_processes(spare=self.spared)
            return len(self.stdout) <= self.sub.output_bytes
        if fd == self.err_fd:
            self.stderr += chunk
            del self.stderr[: max(0, len(self.stderr) - STDERR_KEEP)]
        elif len(self.report) < REPORT_LIMIT:
            self.report += chunk
        return True


def stdin_poller() -> select.poll:
    poller = select.poll()
    poller.register(0, select.POLLIN)  # POLLHUP and POLLERR are reported whatever the mask
    return poller


def host_gone(stdin: select.poll) -> bool:
    """Whether the host closed our stdin: `docker run -i` closes it when its client exits."""
    return any(event & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, event in stdin.poll(0))


def _reports(data: bytes, nonce: str) -> Iterator[dict[str, Any]]:
    """The result lines carrying this nonce, in order; anything else is ignored."""
    for line in data.split(b"\n"):
        try:
            message = protocol.decode(line)
        except ValueError:
            continue
        if message.pop("nonce", None) == nonce:
            yield dict(message)


def parse_reports(data: bytes, nonce: str) -> list[dict[str, Any]]:
    """Every result line of a batch, in order."""
    return list(_reports(data, nonce))


def parse_report(data: bytes, nonce: str) -> dict[str, Any] | None:
    """The first result line of a single test."""
    return next(_reports(data, nonce), None)


def main() -> None:
    os.umask(0o022)
    supervisor = Supervisor(sys.stdout.buffer)
    supervisor.root_zygote()  # warm before the first job
    supervisor.send(
        {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "python": platform.python_version()}
    )
    for line in sys.stdin.buffer:
        try:
            message = protocol.decode(line)
        except ValueError as exc:
            supervisor.send({"type": "error", "message": f"bad message: {exc}"})
            continue
        supervisor.handle(message)
    supervisor.reset()


if __name__ == "__main__":
    main()
