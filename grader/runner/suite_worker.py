"""A unittest suite's one worker, watched from outside (standard library only): the whole suite
within one CPU limit and its wall-clock backstop, and the memory limit, enforced here; each
method's figures placed by its start and outcome lines (runner/suite.py).
"""

from __future__ import annotations

import time
from typing import Any

from grader.runner import protocol
from grader.runner.candidates import cpu_reading, peak_memory_kb
from grader.runner.job import Job
from grader.runner.reports import blank_item, flat
from grader.runner.worker import Worker
from grader.runner.zygotes import Zygote

START_S = 1.0
"""CPU seconds beyond the suite's limit for the module to run before its first method (LiveBench's
limit is for the methods; its process gets a second more)."""
MEMORY_READ_S = 0.05
"""How often (wall) the worker's peak memory is read against the limit."""


class SuiteWorker(Worker):
    """Runs the module and its suite's methods, in order, in one process. The method it is in
    when a limit or a crash ends it carries how it ended; the ones after it never started."""

    def __init__(self, job: Job, zygote: Zygote, spared: set[int], count: int) -> None:
        super().__init__(job, zygote, spared)
        self.count = count
        self.cpu_limit_s = job.time_s + START_S
        self.report_limit = protocol.report_limit("unittest", job.output_bytes)
        self.items: list[dict[str, Any]] = []
        self.running = False
        """The method after the last ended one has started."""
        self.fatal: dict[str, Any] | None = None
        self.mark_cpu = self.mark_wall = 0.0
        """CPU time and clock at the last method's end (or the worker's start)."""
        self.memory_checked = 0.0
        self.peak_kb = 0

    def wall_deadline(self) -> float:
        self.mark_wall = self.started
        return self.started + self.job.wall_s + 2 * START_S

    def check_limits(self, now: float) -> None:
        super().check_limits(now)
        if self.killed_at or now - self.memory_checked < MEMORY_READ_S:
            return
        self.memory_checked = now
        peak_kb = peak_memory_kb(self.pid)
        if peak_kb > self.job.memory_kb:
            self.peak_kb = peak_kb
            self.kill()

    def take_report(self, chunk: bytes) -> None:
        self.report += chunk
        while not self.killed_at:
            end = self.report.find(b"\n")
            if end < 0:
                break
            line = bytes(self.report[:end])
            del self.report[: end + 1]
            self.line(line)
        if len(self.report) > self.report_limit and not self.killed_at:
            self.over_output()

    def line(self, line: bytes) -> None:
        """A result line with the nonce: the next method's start or outcome, or a fatal report
        (the module raised, the suite was altered, a fixture failed after the last method);
        anything out of order is dropped."""
        try:
            message = protocol.decode(line)
        except ValueError:
            return
        if message.pop("nonce", None) != self.nonce:
            return
        message = flat(message)
        if "fatal" in message:
            self.fatal = message
            self.kill()
            return
        index = len(self.items)
        if message.get("i") != index or index >= self.count:
            return
        if message.get("start") is True:
            self.running = True
        elif "outcome" in message:
            now = time.monotonic()
            cpu = cpu_reading(self.pid)
            cpu_s = max(0.0, (cpu if cpu is not None else self.mark_cpu) - self.mark_cpu)
            wall_s = now - self.mark_wall
            self.items.append(
                blank_item(cpu_ms=cpu_s * 1000.0, wall_ms=wall_s * 1000.0, exit_code=0, report=message)
            )
            self.mark_cpu = cpu if cpu is not None else self.mark_cpu
            self.mark_wall, self.running = now, False

    def finish(self, status: int | None, cpu_s: float, maxrss: int, ended: float) -> None:
        if cpu_s > self.cpu_limit_s:
            self.timed_out = True
        maxrss = max(maxrss, self.peak_kb)
        for item in self.items:
            item["peak_memory_kb"] = maxrss
        if self.fatal is not None and len(self.items) == self.count:
            # After the last method (a tearDownClass that failed): the suite failed there.
            self.items[-1]["report"] = self.fatal
            return
        if len(self.items) < self.count:
            # The method it was in (or the module, before the first) ends how the worker did.
            item = self.measured(status, max(0.0, cpu_s - self.mark_cpu), ended - self.mark_wall, maxrss)
            if self.fatal is not None:
                item.update(timed_out=False, output_exceeded=False)  # killed by us once it said so
            self.items.append({**item, "report": self.fatal})
        left = self.count - len(self.items)
        # A fatal report (the module raised, the suite was altered) is every method's; otherwise
        # the methods after the one it ended in never started.
        self.items += [blank_item(report=self.fatal, not_run=self.fatal is None) for _ in range(left)]
