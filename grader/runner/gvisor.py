"""What the supervisor does only under gVisor (standard library only); the host side and the
reasons are in grader/sandbox/runtimes.py. Both settings come from the container's environment,
and neither is set under runc, where this module does nothing.

* `NPROC_LIMIT`: the candidate uid's RLIMIT_NPROC, which gVisor counts inside the sandbox, in
  place of the host's pids cgroup; each submission zygote sets it as it takes the candidate's uid
  (child.py `become_candidate`), so the root processes are never counted against it.
* `out_of_memory()`: the sandbox's memory in use is over the candidate's budget; the supervisor
  then kills the candidate, as the memory cgroup's OOM killer does under runc (under gVisor the
  host would kill the whole sandbox instead, later).
"""

from __future__ import annotations

import os

from grader.runner import protocol

MEMINFO = "/proc/meminfo"


def _setting(name: str) -> int:
    try:
        return max(0, int(os.environ.get(name) or 0))
    except ValueError:
        return 0


NPROC_LIMIT = _setting(protocol.NPROC_LIMIT_ENV)
MEMORY_BUDGET_KB = _setting(protocol.MEMORY_BUDGET_ENV)


def memory_in_use_kb() -> int:
    """The sandbox's memory in use as gVisor counts it (MemTotal - MemAvailable): every process,
    the supervisor's too, and the files in its tmpfs mounts, as a memory cgroup counts them."""
    fields: dict[str, int] = {}
    try:
        with open(MEMINFO) as f:
            for line in f:
                key, _, value = line.partition(":")
                if key in ("MemTotal", "MemAvailable"):
                    fields[key] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        return 0
    return fields.get("MemTotal", 0) - fields.get("MemAvailable", fields.get("MemTotal", 0))


def out_of_memory() -> bool:
    """True when the candidate must be OOM-killed (never under runc)."""
    return bool(MEMORY_BUDGET_KB) and memory_in_use_kb() > MEMORY_BUDGET_KB
