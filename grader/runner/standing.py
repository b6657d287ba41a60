"""The standing of the processes that outlive a submission (standard library only).

Init, the supervisor and the root zygote serve every submission of their container. Whatever a
process may change of another (docs/security.md lists it) is read here: every resource limit,
soft and hard, nice, scheduling policy and priority, CPU affinity, I/O priority, OOM score
adjustment, name, autogroup nice, timer slack, ids, and whether it runs. The supervisor records
each at its start and compares after every reset; any difference retires the container.
"""

from __future__ import annotations

import ctypes
import functools
import os
import platform
import resource
from collections.abc import Callable
from typing import Any

IOPRIO_GET = {"x86_64": 252, "aarch64": 31}.get(platform.machine(), -1)
IOPRIO_WHO_PROCESS = 1
RLIMIT_LOCKS = 10  # Linux's, ignored since 2.4.25 but kept and inherited: not in Python's resource
RLIMITS = sorted(
    {
        getattr(resource, name): name
        for name in sorted(dir(resource), reverse=True)
        if name.startswith("RLIMIT_")
    }.items()
    | {(RLIMIT_LOCKS, "RLIMIT_LOCKS")},
    key=lambda item: item[1],
)
"""(number, name) of every limit, once each (RLIMIT_OFILE is RLIMIT_NOFILE)."""
PROC_FILES = ("oom_score_adj", "comm", "autogroup", "timerslack_ns")

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

Standing = dict[str, str]


def _ioprio(pid: int) -> int:
    result = int(
        _libc.syscall(ctypes.c_long(IOPRIO_GET), ctypes.c_long(IOPRIO_WHO_PROCESS), ctypes.c_long(pid))
    )
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _proc_file(pid: int, name: str) -> str:
    with open(f"/proc/{pid}/{name}") as f:
        text = f.read().strip()
    if name == "autogroup":  # "/autogroup-N nice K": N names the session's group, not a setting
        return text.rpartition(" nice ")[2]
    return text


def _status(pid: int) -> str:
    """Ids and state: a stopped process is as changed as a reniced one."""
    with open(f"/proc/{pid}/status") as f:
        fields = dict(line.split(":", 1) for line in f if ":" in line)
    stopped = fields.get("State", "?").split()[0] in ("T", "t")  # running or sleeping: as it happens
    return " ".join(
        ["stopped" if stopped else "live", *(fields.get(key, "").strip() for key in ("Uid", "Gid", "Groups"))]
    )


def standing(pid: int) -> Standing:
    """Every setting another process could change; what cannot be read is recorded as its error,
    which must then stay the same error."""
    readers: dict[str, Callable[[], Any]] = {
        **{name: functools.partial(resource.prlimit, pid, r) for r, name in RLIMITS},
        "nice": lambda: os.getpriority(os.PRIO_PROCESS, pid),
        "policy": lambda: (os.sched_getscheduler(pid), os.sched_getparam(pid).sched_priority),
        "affinity": lambda: sorted(os.sched_getaffinity(pid)),
        "ioprio": lambda: _ioprio(pid),
        **{name: functools.partial(_proc_file, pid, name) for name in PROC_FILES},
        "status": lambda: _status(pid),
    }
    found: Standing = {}
    for key, read in readers.items():
        try:
            found[key] = repr(read())
        except OSError as exc:
            found[key] = f"errno {exc.errno}"
    return found


def changes(recorded: Standing, pid: int) -> list[str]:
    """The settings of `pid` that differ from `recorded` (names only: the values are whatever a
    candidate may have written)."""
    now = standing(pid)
    return [key for key in sorted(recorded.keys() | now.keys()) if recorded.get(key) != now.get(key)]
