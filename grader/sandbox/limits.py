"""The sandbox's limit arithmetic: from a question's limits and the server's settings, the numbers
given to the container, to its supervisor, and to the host's waits for its replies.

Pure functions, so that each formula is tested (and mutation-checked) on its own.
"""

from __future__ import annotations

from grader.runner import protocol
from grader.sandbox.interface import Limits

BATCH_SLACK_S = 1.0
"""A batch may take the sum of its inputs' CPU limits plus this (docs/architecture.md: "plus a second")."""
REPLY_SLACK_S = 30.0
"""How much longer than the supervisor's own limits the host waits for a reply before it calls
the sandbox failed: the supervisor enforces the limits, the host only notices one that hangs."""
PAGE_BYTES = 4096


def backstop_s(time_s: float, wall_factor: float, wall_extra_s: float) -> float:
    """The wall-clock backstop per test (and per input of a batch): time limit x factor + extra.
    Time is CPU time; this only ends programs that sleep or wait, so it is well above the limit
    and a busy machine does not turn correct code into TIME_LIMIT_EXCEEDED."""
    return time_s * wall_factor + wall_extra_s


def container_memory_mb(memory_limit_mb: int, headroom_mb: int) -> int:
    """The container's memory: the question's limit plus room for the supervisor and the input."""
    return memory_limit_mb + headroom_mb


def supervisor_limits(limits: Limits, wall_s: float) -> protocol.Limits:
    """The limits the supervisor enforces on each test, in its units."""
    return {
        "time_s": limits.time_s,
        "wall_s": wall_s,
        "memory_kb": limits.memory_mb * 1024,
        "output_bytes": limits.output_mb * 1024 * 1024,
    }


def batch_budget_s(time_s: float, inputs: int) -> float:
    """The CPU budget of a batch of `inputs` inputs, however many workers it takes."""
    return time_s * inputs + BATCH_SLACK_S


def batch_reply_timeout_s(wall_s: float, time_s: float, inputs: int) -> float:
    """How long the host waits for a batch's reply: the last input's backstop, the budget twice
    (CPU time may lag wall time on a busy machine), and the slack."""
    return wall_s + 2 * batch_budget_s(time_s, inputs) + REPLY_SLACK_S


def reply_timeout_s(wall_s: float) -> float:
    """How long the host waits for one test's reply: its backstop and the slack."""
    return wall_s + REPLY_SLACK_S


def shm_max_bytes(tmpfs_mb: int) -> int:
    """The largest SysV shared-memory segment: as large as /dev/shm."""
    return tmpfs_mb << 20


def shm_all_pages(tmpfs_mb: int) -> int:
    """All SysV shared memory together, in pages: as much as /dev/shm."""
    return shm_max_bytes(tmpfs_mb) // PAGE_BYTES
