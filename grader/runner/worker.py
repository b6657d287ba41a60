"""One worker forked by a submission zygote and watched from outside (standard library only):
its stdout, stderr and result channel read up to their limits, its CPU time and wall clock
checked against the job's, and killed at the first limit it reaches; what it did is measured
here, never taken from the candidate.
"""

from __future__ import annotations

import base64
import os
import secrets
import select
import selectors
import time
from collections.abc import Callable
from typing import Any

from grader.runner import gvisor, protocol
from grader.runner.candidates import cpu_seconds, kill_candidate_processes, oom_kills
from grader.runner.job import Job
from grader.runner.reports import parse_reports
from grader.runner.zygotes import CPU_POLL_S, Zygote, ZygoteGone

STDERR_KEEP = 4096
ZYGOTE_GRACE_S = 3.0
"""How long after killing a test at its limit its zygote may take to report the exit; a zygote
still silent then was stopped by the candidate (same uid), and is given up."""


class Worker:
    """One test: a worker forked by the zygote, watched until it ends or a limit ends it."""

    batch = False

    def __init__(self, job: Job, zygote: Zygote, spared: set[int]) -> None:
        self.job = job
        self.zygote = zygote
        self.spared = spared
        self.cpu_limit_s = job.time_s
        self.report_limit = protocol.report_limit(job.kind, job.output_bytes)
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
        return self.started + self.job.wall_s

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
            stack = min(self.job.memory_kb * 1024, 1 << 30)
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
            "output_exceeded": self.output_exceeded or len(self.stdout) > self.job.output_bytes,
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
            "stdout": base64.b64encode(bytes(self.stdout[: self.job.output_bytes])).decode(),
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
                    # (SIGSTOP from the same uid, test_forgery.py: stops_its_zygote); waiting on
                    # would spin until the host gave up. Kill it too; the verdict is the limit.
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
            if len(self.stdout) > self.job.output_bytes and not self.output_exceeded:
                self.over_output()
            return len(self.stdout) <= self.job.output_bytes
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

    def take_lines(self, chunk: bytes, handle: Callable[[bytes, bool], None]) -> None:
        """Adds `chunk` to the result channel's bytes and hands each whole line to `handle`, with
        whether more lines came with it, until the worker is killed; past the report limit, the
        output's limit ends it."""
        self.report += chunk
        while not self.killed_at:
            end = self.report.find(b"\n")
            if end < 0:
                break
            line = bytes(self.report[:end])
            del self.report[: end + 1]
            handle(line, b"\n" in self.report)
        if len(self.report) > self.report_limit and not self.killed_at:
            self.over_output()


def stdin_poller() -> select.poll:
    poller = select.poll()
    poller.register(0, select.POLLIN)  # POLLHUP and POLLERR are reported whatever the mask
    return poller


def host_gone(stdin: select.poll) -> bool:
    """Whether the host closed our stdin: `docker run -i` closes it when its client exits."""
    return any(event & (select.POLLHUP | select.POLLERR | select.POLLNVAL) for _, event in stdin.poll(0))
