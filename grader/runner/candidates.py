"""Acting on the candidate's processes and files from the supervisor (standard library only).

The supervisor holds no CAP_KILL and no CAP_DAC_OVERRIDE, so it acts on the candidate's processes
and files as the candidate's uid: it takes that uid as its effective uid for the while (never by
forking a helper: a fork bomb may hold every pid of the container, and then no helper can start).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from collections.abc import Callable, Collection

from grader.runner import protocol, sysv_ipc

OOM_FILES = ("/sys/fs/cgroup/memory/memory.oom_control", "/sys/fs/cgroup/memory.events")
# /dev/mqueue: POSIX message queues (mq_open) are files there, and outlive their processes, so
# one would reach the next submission (test_persistence.py: posix_message_queue).
WRITABLE_PLACES = (protocol.WORK_DIR, "/dev/shm", "/var/tmp", "/dev/mqueue")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def as_candidate(action: Callable[[], None]) -> None:
    """Runs `action` with the candidate's uid and gid as this process's effective ids, then becomes
    root again. In the same process, not a forked helper: under a fork bomb no fork succeeds, and
    the supervisor would fail the test (test_exhaustion.py's fork bombs). The real and saved uids stay
    root, so meanwhile no candidate process may signal or trace the supervisor; a nonzero effective
    uid empties the effective capabilities, and root again restores them from the permitted set.
    What `action` raises is dropped: the caller's leftovers check tells whether it did its work."""
    os.setegid(protocol.CANDIDATE_GID)
    os.seteuid(protocol.CANDIDATE_UID)
    try:
        action()
    except Exception:
        pass
    finally:
        os.seteuid(0)
        os.setegid(0)


def _candidate_pids(spare: Collection[int], zombies: bool = False) -> list[int]:
    """Live processes of the candidate's uid (`zombies`: those that read as zombies too). Read
    from /proc/PID/status, which stays readable for processes that are not dumpable (their
    /proc/PID itself is then owned by root)."""
    me = os.getpid()
    pids = []
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) == me or int(name) in spare:
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                fields = dict(line.split(":", 1) for line in f if ":" in line)
        except OSError:
            continue
        uid = fields.get("Uid", "").split()
        if (
            uid
            and int(uid[0]) == protocol.CANDIDATE_UID
            and (zombies or _live(name, fields.get("State", "")))
        ):
            pids.append(int(name))
    return pids


def _live(pid: str, state: str) -> bool:
    """Not a zombie; or a zombie thread-group leader with a thread still running: a main thread
    that ends alone (the exit system call, not exit_group) leaves its process reading as a zombie
    while its other threads run on, and they could read later submissions' inputs
    (test_attack_zombie_leader.py). A kill of its pid ends them all. gVisor lists no tasks of
    such a process: there it reads as dead, so every kill is sent to the zombies too (`_kill`)."""
    if not state.strip().startswith("Z"):
        return True
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return False
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/stat", "rb") as f:
                task_state = f.read().rsplit(b")", 1)[1].split()[0]
        except (OSError, IndexError):
            continue
        if task_state not in (b"Z", b"X"):
            return True
    return False


def _kill(spare: Collection[int]) -> None:
    """Signals every process of the candidate's uid that reads as alive or as a zombie (see
    `_live`; a signal to a real zombie does nothing) until none is alive."""
    for _ in range(20):
        victims = _candidate_pids(spare, zombies=True)
        for sig in (signal.SIGSTOP, signal.SIGKILL):  # stopped first, so none forks meanwhile
            for pid in victims:
                with contextlib.suppress(OSError):
                    os.kill(pid, sig)
        if not _candidate_pids(spare):
            return


def kill_candidate_processes(spare: Collection[int] = ()) -> None:
    """Kills every process of the candidate's uid, except those in `spare` (the zygotes).

    The supervisor can read every /proc/PID/status, so it changes its effective uid only when
    there is something to kill."""
    if _candidate_pids(spare, zombies=True):
        as_candidate(lambda: _kill(spare))


def _wipe() -> None:
    for top in WRITABLE_PLACES:
        try:
            names = os.listdir(top)
        except OSError:
            continue
        for name in names:
            path = os.path.join(top, name)
            if os.path.isdir(path) and not os.path.islink(path):
                for root, dirs, _ in os.walk(path):
                    for d in dirs:  # a directory the candidate made unreadable
                        with contextlib.suppress(OSError):
                            os.chmod(os.path.join(root, d), 0o700)
                with contextlib.suppress(OSError):
                    os.chmod(path, 0o700)
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(OSError):
                    os.unlink(path)
    sysv_ipc.remove_all()


def clean_up(spare: Collection[int] = ()) -> None:
    """Kills the candidate's processes (but `spare`), empties every place it can write and removes
    its SysV IPC objects, in one helper; no helper at all when there is nothing to do."""

    def kill_and_wipe() -> None:
        _kill(spare)
        _wipe()

    if _candidate_pids(spare, zombies=True) or leftovers(spare):
        as_candidate(kill_and_wipe)


def leftovers(spare: Collection[int] = ()) -> list[str]:
    """What a wipe left behind (for the supervisor's own check after a reset): files, SysV IPC
    objects, and candidate processes but `spare` (one that kept forking may outrun the kill)."""
    found = [os.path.join(top, n) for top in WRITABLE_PLACES if os.path.isdir(top) for n in os.listdir(top)]
    for _ in range(20):  # a process killed a moment ago may still be on its way out
        pids = _candidate_pids(spare)
        if not pids:
            break
        time.sleep(0.005)
    return found + sysv_ipc.remaining() + [f"process {pid}" for pid in pids]


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


def cpu_reading(pid: int) -> float | None:
    """User + system CPU time of a live process (all its threads) and of the children it has
    waited for (a process per test counts those through wait4 too), from /proc; None once it is
    reaped (then only the wait4 figures of its exit have its time)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            fields = f.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return sum(int(tick) for tick in fields[11:15]) / CLOCK_TICKS


def cpu_seconds(pid: int) -> float:
    """`cpu_reading`, 0 once the process is reaped: for limits, which a reaped process is past."""
    reading = cpu_reading(pid)
    return 0.0 if reading is None else reading


def peak_memory_kb(pid: int) -> int:
    """A live process's peak resident memory so far (VmHWM), from /proc; where there is no peak
    (gVisor), its resident memory now (VmRSS); 0 when unreadable."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(PEAK_FIELD):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def _peak_field() -> bytes:
    with open("/proc/self/status", "rb") as f:
        return b"VmHWM:" if any(line.startswith(b"VmHWM:") for line in f) else b"VmRSS:"


PEAK_FIELD = _peak_field()
PEAK_KNOWN = PEAK_FIELD == b"VmHWM:"
"""/proc has a process's peak memory (not gVisor's, which only has the memory in use now)."""
