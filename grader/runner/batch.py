"""A batch's workers (standard library only): each calls the inputs left one after another in one
process, and every input's CPU time, wall clock and memory are measured and limited from
outside, within a budget for the whole batch.
"""

from __future__ import annotations

import time
from typing import Any

from grader.runner import candidates, protocol
from grader.runner.candidates import cpu_reading, peak_memory_kb
from grader.runner.job import Job
from grader.runner.reports import blank_item, flat
from grader.runner.worker import Worker
from grader.runner.zygotes import Zygote

START_S = 1.0
"""CPU seconds a batch's worker may spend before its first input (its module runs then)."""
CPU_READ_S = 0.01
"""A batch worker's CPU time is read at most this often (wall) at answers and at limit checks."""
CPU_SLACK_S = 0.05
"""How far over an input's CPU limit a batch worker may be found: readings are up to CPU_READ_S
old, and /proc counts in ticks."""


class Budget:
    """A batch's time: each input's CPU limit, plus a second to start, in all its workers; and a
    wall-clock deadline. However many workers an input's limit ends, the batch ends within it."""

    def __init__(self, job: Job, count: int) -> None:
        self.cpu_s = job.time_s * count + START_S
        self.deadline = time.monotonic() + job.wall_s + (self.cpu_s - job.time_s) * 2
        self.cpu_used = 0.0
        """CPU seconds of the batch's workers that have ended."""

    def spent(self) -> bool:
        return self.cpu_used >= self.cpu_s or time.monotonic() >= self.deadline


class BatchWorker(Worker):
    """One worker of a batch: answers its `count` inputs in order, each a line on its result
    channel. An input's CPU time is the worker's (all threads, from /proc) from its previous answer
    (or from the runner's `ready` once the module has run; without it, from the worker's start,
    with START_S more) to its answer; over the limit the worker is killed and that input is
    TIME_LIMIT_EXCEEDED. Whatever ends the worker ends the input it was in; the supervisor then
    starts another for the next input."""

    batch = True

    def __init__(
        self, job: Job, zygote: Zygote, spared: set[int], budget: Budget, count: int, report_room: int
    ) -> None:
        super().__init__(job, zygote, spared)
        self.budget = budget
        self.count = count
        self.report_room = report_room
        self.report_limit = protocol.report_limit("batch", job.output_bytes)  # one line
        self.input_limit_s = job.time_s + START_S
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
        if now >= self.deadline or now - self.ref_wall > self.job.wall_s:
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
        if peak_kb <= self.job.memory_kb:
            return
        self.peak_kb = peak_kb
        if answered is not None:
            answered["peak_memory_kb"] = peak_kb
            self.restart = True
        self.kill()

    def take_report(self, chunk: bytes) -> None:
        self.take_lines(chunk, self.answer)

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
            self.input_limit_s = self.job.time_s
            return
        self.ready = True
        item = blank_item(wall_ms=(now - self.ref_wall) * 1000.0, report=message)
        self.items.append(item)
        self.pending.append((item, self.input_limit_s))
        self.input_limit_s = self.job.time_s
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
            if maxrss > self.job.memory_kb and not self.restart and self.items:
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
