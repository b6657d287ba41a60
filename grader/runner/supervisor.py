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
from typing import Any, BinaryIO

from grader.runner import candidates, gvisor, protocol, standing
from grader.runner.candidates import (
    clean_up,
    cpu_reading,
    cpu_seconds,
    kill_candidate_processes,
    leftovers,
    oom_kills,
    peak_memory_kb,
)

STDERR_KEEP = 4096
CPU_POLL_S = 0.05
ZYGOTE_GRACE_S = 3.0
"""How long after killing a test at its limit its zygote may take to report the exit; a zygote
still silent then was stopped by the candidate (same uid), and is given up."""
START_S = 1.0
"""CPU seconds a batch's worker may spend before its first input (its module runs then)."""
CPU_READ_S = 0.01
"""A batch worker's CPU time is read at most this often (wall) at answers and at limit checks."""
CPU_SLACK_S = 0.05
"""How far over an input's CPU limit a batch worker may be found: readings are up to CPU_READ_S
old, and /proc counts in ticks."""
COMPILE_CPU_S = 10.0
"""CPU seconds a submission zygote may spend compiling the code (the question's time limit if
longer): CPython compiles some sources in quadratic time (an f-string of many placeholders)."""
BATCH_REPORT_LIMIT = protocol.BATCH_REPORT_LIMIT
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
        return Zygote(pid, Channel(ours), sub, self.pid)

    def close(self) -> None:
        self.channel.close()


class Zygote:
    """One submission's fork server: has compiled the code, forks a worker per test."""

    def __init__(self, pid: int, channel: Channel, sub: Submission, root_pid: int) -> None:
        self.pid = pid
        self.channel = channel
        self.compile_error: str | None = None
        # The compile runs as the candidate's uid with no RLIMIT_CPU: bounded here, from outside.
        compile_limit_s = max(COMPILE_CPU_S, sub.time_s)
        deadline = time.monotonic() + 30.0 + sub.time_s
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


class Supervisor:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.submission: Submission | None = None
        self.zygote: Zygote | None = None
        self.root: RootZygote | None = None
        self.oom_at_load = 0
        self.worker_ran = False
        """A worker of this submission has run: a submission zygote failing now is the
        candidate's doing (same uid: it can re-limit or signal its zygote)."""
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
                self.send(self.run_test(self.submission, int(message["index"]), str(message["input"])))
            else:
                inputs = [str(text) for text in message["inputs"]]
                self.send(self.run_batch(self.submission, int(message["index"]), inputs))
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
        self.worker_ran = False
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

    def write_input(self, text: str) -> str:
        path = os.path.join(protocol.CODE_DIR, "input")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def zygote_or_error(self, sub: Submission) -> Zygote | dict[str, Any]:
        try:
            return self.ensure_zygote(sub)
        except ZygoteGone as exc:
            self.stop_zygote()
            return self.zygote_failed(f"zygote failed: {exc}")

    def run_test(self, sub: Submission, index: int, test_input: str) -> dict[str, Any]:
        """One test in a fresh worker: a ResultMessage, or an ErrorMessage (our failure)."""
        input_path = self.write_input(test_input)
        result: dict[str, Any] = {"type": "result", "index": index, **blank_result()}
        zygote = self.zygote_or_error(sub)
        if isinstance(zygote, dict):
            return zygote if "message" in zygote else {**result, **zygote}
        if zygote.compile_error is not None:
            return {**result, "compile_error": zygote.compile_error}
        run = TestRun(sub, zygote, self.spared())
        by_candidate = self.worker_ran
        run.execute(input_path)
        self.worker_ran |= run.pid != 0
        self.after_worker(run.gone)
        if run.error:
            failed = self.zygote_failed(run.error, by_candidate)
            return failed if "message" in failed else {**result, **failed}
        return {**result, **run.result}

    def run_batch(self, sub: Submission, first: int, inputs: list[str]) -> dict[str, Any]:
        """Call inputs, one after another, by workers that each run until an input ends them; every
        input's limits are enforced here (see BatchWorker). A BatchResultMessage with an item per
        input from the first, fewer when the reports filled BATCH_REPORT_LIMIT."""
        result: dict[str, Any] = {"type": "batch_result", "index": first, "compile_error": None, "items": []}
        budget = Budget(sub, len(inputs))
        items: list[dict[str, Any]] = result["items"]
        report_bytes = 0
        while len(items) < len(inputs):
            position = len(items)
            if budget.spent():
                # Every input still waiting when the batch's time is spent is over its limit.
                items += [blank_item(timed_out=True) for _ in inputs[position:]]
                break
            lines = "".join(json.dumps([first + n, inputs[n]]) + "\n" for n in range(position, len(inputs)))
            input_path = self.write_input(lines)
            zygote = self.zygote_or_error(sub)
            if isinstance(zygote, dict):
                if "message" in zygote:
                    return zygote
                items += [blank_item(**zygote) for _ in inputs[position:]]  # the candidate's memory
                break
            if zygote.compile_error is not None:
                result["compile_error"] = zygote.compile_error
                return result
            room = BATCH_REPORT_LIMIT - report_bytes
            worker = BatchWorker(sub, zygote, self.spared(), budget, len(inputs) - position, room)
            by_candidate = self.worker_ran
            worker.execute(input_path)
            self.worker_ran |= worker.pid != 0
            self.after_worker(worker.gone)
            if worker.error:
                failed = self.zygote_failed(worker.error, by_candidate)
                if "message" in failed:
                    return failed
                worker.items.append(blank_item(**failed))
            items += worker.items
            report_bytes += worker.report_bytes
            if worker.fatal is not None:
                # The worker could not start calling (the code raised, or no entry point): every
                # input left gets what it reported.
                items += [dict(worker.items[-1]) for _ in inputs[len(items) :]]
                break
            if worker.reports_full:
                break
        return result

    def after_worker(self, zygote_gone: bool) -> None:
        if zygote_gone:
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

    def zygote_failed(self, error: str, by_candidate: bool = False) -> dict[str, Any]:
        """A zygote that died is our failure (an ErrorMessage), unless the OOM killer took it during
        this submission: then the candidate's memory did (say, SysV IPC objects that outlive its
        processes), and the verdict is the candidate's (measured fields). `by_candidate`: a
        worker of the submission ran before, and could have made its zygote fail (a soft
        RLIMIT_NPROC of 0, say): a test that ran nothing and reported nothing (RUNTIME_ERROR)."""
        if oom_kills() > self.oom_at_load:
            return {"oom_killed": True}
        if by_candidate:
            return {}
        return {"type": "error", "message": error}


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


def blank_result() -> dict[str, Any]:
    """A ResultMessage's fields for a test that ran nothing."""
    return {**blank_item(), "compile_error": None, "stdout": "", "stderr_tail": "", "reports": []}


def blank_item(**fields: Any) -> dict[str, Any]:
    """Measured fields (protocol.Measured) of nothing run, updated with `fields`."""
    item: dict[str, Any] = {
        "exit_code": None,
        "signal": None,
        "cpu_ms": 0.0,
        "wall_ms": 0.0,
        "peak_memory_kb": 0,
        "timed_out": False,
        "oom_killed": False,
        "output_exceeded": False,
        "report": None,
    }
    item.update(fields)
    return item


class Budget:
    """A batch's time: each input's CPU limit, plus a second to start, in all its workers; and a
    wall-clock deadline. However many workers an input's limit ends, the batch ends within it."""

    def __init__(self, sub: Submission, count: int) -> None:
        self.cpu_s = sub.time_s * count + START_S
        self.deadline = time.monotonic() + sub.wall_s + (self.cpu_s - sub.time_s) * 2
        self.cpu_used = 0.0
        """CPU seconds of the batch's workers that have ended."""

    def spent(self) -> bool:
        return self.cpu_used >= self.cpu_s or time.monotonic() >= self.deadline


class TestRun:
    """One test: a worker forked by the zygote, watched until it ends or a limit ends it."""

    batch = False

    def __init__(self, sub: Submission, zygote: Zygote, spared: set[int]) -> None:
        self.sub = sub
        self.zygote = zygote
        self.spared = spared
        self.cpu_limit_s = sub.time_s
        self.report_limit = protocol.report_limit(sub.kind, sub.output_bytes)
        self.stdout = bytearray()
        self.stderr = bytearray()
        self.report = bytearray()
        self.output_exceeded = False
        """stdout or the result channel went over its limit; the worker was killed for it."""
        self.timed_out = False
        self.out_of_memory = False
        """gVisor: killed by the supervisor standing in for the OOM killer (see gvisor.py)."""
        self.killed_at = 0.0
        self.nonce = ""
        self.pid = 0
        self.out_fd = self.err_fd = -1
        self.started = self.deadline = 0.0
        self.oom_before = 0
        self.gone = False
        """The zygote is gone (the candidate killed or stopped it): the supervisor needs another."""
        self.error = ""
        """Our failure: the zygote could not fork."""
        self.result: dict[str, Any] = {}

    def wall_deadline(self) -> float:
        """Called as the worker is forked (at `started`)."""
        return self.started + self.sub.wall_s

    def rlimit_cpu(self) -> int:
        """RLIMIT_CPU, whole seconds: the last resort behind the watch."""
        return max(1, int(self.cpu_limit_s + 1.0))

    def execute(self, input_path: str) -> None:
        self.nonce = secrets.token_hex(16)
        result_r, result_w = os.pipe()
        nonce_r, nonce_w = os.pipe()
        os.write(nonce_w, self.nonce.encode())
        os.close(nonce_w)
        out_r, out_w = os.pipe()
        err_r, err_w = os.pipe()
        self.out_fd, self.err_fd = out_r, err_r
        stdin_fd = os.open(input_path, os.O_RDONLY)
        theirs = [stdin_fd, out_w, err_w, result_w, nonce_r]
        self.oom_before = oom_kills()
        self.started = time.monotonic()
        self.deadline = self.wall_deadline()
        try:
            stack = min(self.sub.memory_kb * 1024, 1 << 30)
            self.pid = self.zygote.fork(theirs, cpu_limit=self.rlimit_cpu(), stack=stack, batch=self.batch)
        except ZygoteGone as exc:
            self.error, self.gone = f"zygote failed: {exc}", True
            for fd in (out_r, err_r, result_r):
                os.close(fd)
            return
        finally:
            for fd in theirs:
                os.close(fd)
        exit_report = self.watch(out_r, err_r, result_r)
        ended = time.monotonic()
        if exit_report is None:  # the candidate killed its zygote: the exit is unknowable
            status, cpu, maxrss, self.gone = None, cpu_seconds(self.pid), 0, True
        else:
            status = int(exit_report["status"])
            cpu = float(exit_report["utime"]) + float(exit_report["stime"])
            maxrss = int(exit_report["maxrss"])
        self.finish(status, cpu, maxrss, ended)

    def measured(self, status: int | None, cpu_s: float, wall_s: float, maxrss: int) -> dict[str, Any]:
        """The Measured fields of how the worker ended."""
        return {
            "exit_code": os.WEXITSTATUS(status) if status is not None and os.WIFEXITED(status) else None,
            "signal": os.WTERMSIG(status) if status is not None and os.WIFSIGNALED(status) else None,
            "cpu_ms": cpu_s * 1000.0,
            "wall_ms": wall_s * 1000.0,
            "peak_memory_kb": maxrss,
            "timed_out": self.timed_out,
            "oom_killed": self.out_of_memory or oom_kills() > self.oom_before,
            "output_exceeded": self.output_exceeded or len(self.stdout) > self.sub.output_bytes,
        }

    def finish(self, status: int | None, cpu_s: float, maxrss: int, ended: float) -> None:
        if cpu_s > self.cpu_limit_s:
            self.timed_out = True
        if status is None:
            # The candidate killed its zygote: the exit, its peak memory and the CPU of the
            # children it waited for are lost, so its answer is not taken (RUNTIME_ERROR).
            self.stdout.clear()
            self.report.clear()
        self.result = {
            **self.measured(status, cpu_s, ended - self.started, maxrss),
            "compile_error": None,
            "stdout": base64.b64encode(bytes(self.stdout[: self.sub.output_bytes])).decode(),
            "stderr_tail": bytes(self.stderr[-STDERR_KEEP:]).decode("utf-8", "replace"),
            "reports": [] if self.output_exceeded else parse_reports(bytes(self.report), self.nonce),
        }

    def kill(self) -> None:
        kill_candidate_processes(spare=self.spared)
        self.killed_at = time.monotonic()

    def check_limits(self, now: float) -> None:
        """Kills the worker at its wall-clock backstop, or at the CPU limit to the tick (RLIMIT_CPU
        is whole seconds and stays as the last resort)."""
        if now >= self.deadline or cpu_seconds(self.pid) > self.cpu_limit_s:
            self.timed_out = True
            self.kill()

    def watch(self, out_r: int, err_r: int, result_r: int) -> dict[str, Any] | None:
        """Collects output until the zygote reports the worker's exit; None if the zygote died."""
        control = self.zygote.channel.sock
        sel = selectors.DefaultSelector()
        for fd in (out_r, err_r, result_r):
            os.set_blocking(fd, False)
            sel.register(fd, selectors.EVENT_READ)
        sel.register(control, selectors.EVENT_READ)
        stdin = stdin_poller()
        exit_report: dict[str, Any] | None = None
        try:
            while True:
                now = time.monotonic()
                if host_gone(stdin):
                    # Nobody will read this result (the host's client died): stop the work now
                    # rather than burn the CPU to the end of the budget, and end the container.
                    kill_candidate_processes(spare=self.spared)
                    os._exit(0)
                if not self.out_of_memory and gvisor.out_of_memory():
                    self.out_of_memory = True
                    self.kill()
                if not self.killed_at:
                    self.check_limits(now)
                elif now - self.killed_at > ZYGOTE_GRACE_S:
                    # The worker is dead and its zygote still silent: the candidate stopped it
                    # (SIGSTOP from the same uid; the attack suite's stop_parent_zygote once made
                    # this loop spin until the host gave up). Kill it too; the verdict is the limit.
                    kill_candidate_processes(spare=self.spared - {self.zygote.pid})
                    return None
                poll_s = CPU_POLL_S if self.killed_at else max(0.0, min(self.deadline - now, CPU_POLL_S))
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
            if len(self.stdout) > self.sub.output_bytes and not self.output_exceeded:
                self.over_output()
            return len(self.stdout) <= self.sub.output_bytes
        if fd == self.err_fd:
            self.stderr += chunk
            del self.stderr[: max(0, len(self.stderr) - STDERR_KEEP)]
            return True
        if not self.output_exceeded:  # past the limit, what it writes is drained and dropped
            self.take_report(chunk)
        return True

    def over_output(self) -> None:
        self.output_exceeded = True
        if not self.killed_at:
            self.kill()

    def take_report(self, chunk: bytes) -> None:
        self.report += chunk
        if len(self.report) > self.report_limit:
            self.over_output()


class BatchWorker(TestRun):
    """One worker of a batch: answers its `count` inputs in order, each a line on its result
    channel. An input's CPU time is the worker's (all threads, from /proc) from its previous answer
    (or from the runner's `ready` once the module has run; without it, from the worker's start,
    with START_S more) to its answer; over the limit the worker is killed and that input is
    TIME_LIMIT_EXCEEDED. Whatever ends the worker ends the input it was in; the supervisor then
    starts another for the next input."""

    batch = True

    def __init__(
        self, sub: Submission, zygote: Zygote, spared: set[int], budget: Budget, count: int, report_room: int
    ) -> None:
        super().__init__(sub, zygote, spared)
        self.budget = budget
        self.count = count
        self.report_room = report_room
        self.report_limit = protocol.report_limit("batch", sub.output_bytes)  # one line
        self.input_limit_s = sub.time_s + START_S
        self.cpu_limit_s = budget.cpu_s - budget.cpu_used
        self.items: list[dict[str, Any]] = []
        self.pending: list[tuple[dict[str, Any], float]] = []
        """Answered items whose CPU time is not measured yet, with their limits (see `settle`)."""
        self.ref_cpu = 0.0
        """The worker's CPU time at the last reading when an input was answered: no later than the
        start of the input it is in now, so the time since is never less than that input's."""
        self.ref_wall = 0.0
        self.settled_at = self.checked_at = 0.0
        """When `ref_cpu` was read, and when the limits were last read."""
        self.report_bytes = 0
        self.fatal: dict[str, Any] | None = None
        self.reports_full = False
        self.restart = False
        """Killed between inputs (one answered over the memory limit): the next in a new worker."""
        self.peak_kb = 0
        """The worker's peak memory (VmHWM) once found over the limit."""
        self.polled_cpu = 0.0
        """The worker's CPU time at the last limit check."""
        self.ready = False

    def wall_deadline(self) -> float:
        """The batch's deadline; and the first input's clock starts with the worker."""
        self.ref_wall = self.settled_at = self.checked_at = self.started
        return self.budget.deadline

    def check_limits(self, now: float) -> None:
        if now >= self.deadline or now - self.ref_wall > self.sub.wall_s:
            self.timed_out = True
            self.kill()
            return
        if now - self.checked_at < CPU_READ_S:
            return
        cpu = cpu_reading(self.pid)
        if cpu is None:
            return  # reaped: its exit report, with the wait4 figures, is on its way
        self.checked_at, self.polled_cpu = now, cpu
        if cpu - self.ref_cpu > self.input_limit_s + CPU_SLACK_S or cpu > self.cpu_limit_s:
            self.timed_out = True
            self.kill()
            return
        self.check_memory(self.pending[-1][0] if self.pending else None)

    def check_memory(self, answered: dict[str, Any] | None) -> None:
        """Kills the worker once its peak memory is over the limit: the input it is in, or the
        last answered since the previous reading (as for CPU), is MEMORY_LIMIT_EXCEEDED; the
        peak never goes down, so the next input needs a new worker."""
        peak_kb = peak_memory_kb(self.pid)
        if peak_kb <= self.sub.memory_kb:
            return
        self.peak_kb = peak_kb
        if answered is not None:
            answered["peak_memory_kb"] = peak_kb
            self.restart = True
        self.kill()

    def take_report(self, chunk: bytes) -> None:
        self.report += chunk
        while not self.killed_at:
            end = self.report.find(b"\n")
            if end < 0:
                break
            line = bytes(self.report[:end])
            del self.report[: end + 1]
            self.answer(line, more=b"\n" in self.report)
        if len(self.report) > self.report_limit and not self.killed_at:
            self.over_output()

    def answer(self, line: bytes, more: bool = False) -> None:
        """One result line: with the nonce, the answer to the input the worker is in. `more`:
        other lines came with it, read only now (the supervisor was late to read)."""
        try:
            message = protocol.decode(line)
        except ValueError:
            return
        if message.pop("nonce", None) != self.nonce or len(self.items) >= self.count:
            return
        message = flat(message)
        if "fatal" in message:
            self.fatal = message
            self.kill()
            return
        now = time.monotonic()
        if message == {"ready": True} and not self.ready:
            # The module has run, and no input has begun: the first input's time starts now.
            # (Said early, it only takes the candidate's own START_S away.)
            self.ready = True
            # Read late, behind an answer, the CPU time now holds that input's too (a child it
            # waited for included): the input starts at the last reading before, never later.
            reading = None if more else cpu_reading(self.pid)
            cpu = self.polled_cpu if reading is None else reading
            self.ref_cpu, self.ref_wall, self.settled_at = cpu, now, now
            self.input_limit_s = self.sub.time_s
            return
        self.ready = True
        item = blank_item(wall_ms=(now - self.ref_wall) * 1000.0, report=message)
        self.items.append(item)
        self.pending.append((item, self.input_limit_s))
        self.input_limit_s = self.sub.time_s
        self.ref_wall = now
        # Answers read together (the supervisor was late) are settled together, after the last of
        # them: a reading taken between them would hold the later ones' CPU time (a child they
        # waited for included) and leave them none.
        # A worker already reaped has no reading: its exit report's figures settle them (finish).
        reading = None if more or now - self.settled_at < CPU_READ_S else cpu_reading(self.pid)
        if reading is not None:
            self.settled_at = now
            self.settle(reading)
            self.check_memory(item)
        self.report_bytes += len(line)
        if self.report_bytes > self.report_room and len(self.items) < self.count:
            self.reports_full = True  # the rest in the host's next batch message
            self.kill()

    def settle(self, cpu_s: float) -> None:
        """Shares the CPU time since the last reading among the inputs answered since, by their
        wall time: readings are CPU_READ_S apart at least, so all but the last of them took less
        than that together. One over its limit answered too late: TIME_LIMIT_EXCEEDED."""
        if cpu_s < self.ref_cpu:
            return  # not a later reading than the last (the candidate killed its zygote)
        if self.pending:
            spent = cpu_s - self.ref_cpu
            wall = sum(item["wall_ms"] for item, _ in self.pending) or 1.0
            for item, _ in self.pending:
                item["cpu_ms"] = spent * 1000.0 * item["wall_ms"] / wall
            last, limit_s = self.pending[-1]
            if spent > limit_s + CPU_SLACK_S:
                last["timed_out"] = True
            if spent > sum(limit for _, limit in self.pending) + CPU_SLACK_S:
                # More than all of them may take: which one went over cannot be told, so none passes.
                for item, _ in self.pending:
                    item["timed_out"] = True
            self.pending.clear()
        self.ref_cpu = cpu_s

    def finish(self, status: int | None, cpu_s: float, maxrss: int, ended: float) -> None:
        self.budget.cpu_used += cpu_s
        if status is None and self.pending:
            # The candidate killed its zygote: the CPU time of the inputs answered since the
            # last reading is lost (no exit report; /proc has nothing of a reaped worker, and a
            # reading of one still there may be as old as the last), so their answers are not
            # taken (RUNTIME_ERROR).
            for item, _ in self.pending:
                item["report"] = None
        if len(self.items) >= self.count or self.reports_full or self.restart:
            self.settle(cpu_s)
            if maxrss > self.sub.memory_kb and not self.restart and self.items:
                # Over the limit between two readings: the last input answered (as for CPU).
                # Without a peak in /proc (gVisor) the readings are of the memory in use then,
                # and any input of the worker's may have been the one.
                blamed = self.items[-1:] if candidates.PEAK_KNOWN else self.items
                for item in blamed:
                    item["peak_memory_kb"] = max(item["peak_memory_kb"], maxrss)
            return
        maxrss = max(maxrss, self.peak_kb)
        # The worker ended inside the input after its last answer: how it ended is that input's.
        if cpu_s - self.ref_cpu > self.input_limit_s or cpu_s > self.cpu_limit_s:
            self.timed_out = True
        item = self.measured(status, max(0.0, cpu_s - self.ref_cpu), ended - self.ref_wall, maxrss)
        if self.fatal is not None:
            item.update(timed_out=False, output_exceeded=False)  # killed by us once it said so
        self.items.append({**item, "report": self.fatal})


def stdin_poller() -> select.poll:
    poller = select.poll()
    poller.register(0, select.POLLIN)  # POLLHUP and POLLERR are reported whatever the mask
    return poller


def host_gone(stdin: select.poll) -> bool:
    """Whether the host closed our stdin: `docker run -i` closes it when its client exits."""
    return any(event & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, event in stdin.poll(0))


def parse_reports(data: bytes, nonce: str) -> list[dict[str, Any]]:
    """The result lines carrying this nonce, in order, nonce removed; anything else is ignored
    (what they say is the host's to judge: see grader/sandbox/results.py)."""
    reports = []
    for line in data.split(b"\n"):
        try:
            message = protocol.decode(line)
        except ValueError:
            continue
        if message.pop("nonce", None) == nonce:
            reports.append(flat(message))
    return reports


def flat(report: dict[str, Any]) -> dict[str, Any]:
    """The report if its fields are scalars, as the runner writes them; else one the host finds
    malformed (RUNTIME_ERROR), so that nothing nested is ever forwarded."""
    if all(value is None or isinstance(value, str | int | float) for value in report.values()):
        return report
    return {"malformed": "a field that is not a scalar"}


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
