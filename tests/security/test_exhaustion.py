"""Exhaustion: processes, threads, memory, disk, descriptors and output floods end in a limit
verdict, and the next correct submission is ACCEPTED by a server that is still serving.

The question under attack (sec/stdin) allows 1 s of CPU, 256 MiB and 1 MiB of output; the pooled
container has 256 MiB + headroom. Each flood first prints nothing useful, so a pass would be wrong.
"""

from __future__ import annotations

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attacks import RUNTIME, attack, probe, probe_detail
from tests.support.server import RunningServer

T, M, OUT = pb.TIME_LIMIT_EXCEEDED, pb.MEMORY_LIMIT_EXCEEDED, pb.OUTPUT_LIMIT_EXCEEDED

# name -> (code, the verdicts it may end in)
FLOODS: dict[str, tuple[str, set[int]]] = {
    # MEMORY_LIMIT_EXCEEDED: under gVisor 60 interpreters do not share their pages.
    "fork_bomb": ("import os\nwhile True:\n    os.fork()\n", {T, M, pb.RUNTIME_ERROR}),
    "fork_bomb_that_keeps_trying": (
        "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n",
        {T, M},
    ),
    "thread_bomb": (
        "import threading, time\n"
        "def spin():\n    while True:\n        pass\n"
        "while True:\n"
        "    try:\n        threading.Thread(target=spin, daemon=True).start()\n"
        "    except RuntimeError:\n        time.sleep(0.01)\n",
        {T},
    ),
    "cpu_spin": ("while True:\n    pass\n", {T}),
    "sleep_forever": ("import time\ntime.sleep(10**6)\n", {T}),
    "busy_children_while_parent_sleeps": (
        "import os, time\nfor _ in range(3):\n    if os.fork() == 0:\n        while True:\n            pass\n"
        "time.sleep(10**6)\n",
        {T},
    ),
    "memory_at_once": ("x = 'x' * (2 << 30)\n", {M}),
    "memory_gradually": (
        "x = []\nwhile True:\n    x.append(bytearray(1 << 20))\n    x[-1][::4096] = b'1' * 256\n",
        {M},
    ),
    "memory_in_a_child": (
        "import os\npid = os.fork()\nif pid == 0:\n    x = []\n    while True:\n"
        "        x.append(b'y' * (1 << 20))\nos.waitpid(pid, 0)\n",
        {M},
    ),
    "memory_error_swallowed": (
        "x = []\ntry:\n    while True:\n        x.append(b'z' * (1 << 20))\nexcept MemoryError:\n    pass\n"
        "print('MARK' + 'ER-0000000000000000')\n",
        {M},
    ),
    # SysV memory outlives its processes: bounded (runc), else the OOM killer takes the candidate.
    "shm_bomb": (
        "import ctypes\nlibc = ctypes.CDLL(None)\nlibc.shmat.restype = ctypes.c_void_p\n"
        "for _ in range(64):\n    ident = libc.shmget(0, 16 << 20, 0o1600)\n"
        "    if ident < 0:\n        break\n"
        "    addr = libc.shmat(ident, None, 0)\n    ctypes.memset(addr, 1, 16 << 20)\n"
        "    libc.shmdt(ctypes.c_void_p(addr))\nprint('filled')\n",
        {pb.WRONG_ANSWER, M, T},
    ),
    "msg_bomb": (
        "import ctypes\nlibc = ctypes.CDLL(None)\nbuf = ctypes.create_string_buffer(8 + 8000)\nbuf[0] = 1\n"
        "for _ in range(40000):\n    ident = libc.msgget(0, 0o1600)\n    if ident < 0:\n        break\n"
        "    while libc.msgsnd(ident, buf, 8000, 0o4000) == 0:\n        pass\nprint('filled')\n",
        {pb.WRONG_ANSWER, M, T},
    ),
    "stdout_flood": ("import sys\nwhile True:\n    sys.stdout.write('x' * 65536 + '\\n')\n", {OUT}),
    "one_huge_line": ("import os\nwhile True:\n    os.write(1, b'y' * 65536)\n", {OUT}),
    "stderr_flood": ("import os\nwhile True:\n    os.write(2, b'e' * 65536)\n", {T}),
    "stdout_flood_from_a_daemon": (
        "import os\nif os.fork() == 0:\n    os.setsid()\n    while True:\n        os.write(1, b'd' * 65536)\n"
        "import time\ntime.sleep(10**6)\n",
        {OUT, T},
    ),
}


class TestFloodsEndInALimitVerdict:
    """Each flood ends in its limit verdict; the next correct submission is ACCEPTED."""

    @pytest.mark.parametrize("name", list(FLOODS))
    def test_limit_verdict(self, target: RunningServer, name: str) -> None:
        code, verdicts = FLOODS[name]
        # Under gVisor a fork bomb kills the whole sandbox: a documented limit (README, "Container
        # runtime"); the service must still recover.
        gvisor_bomb = RUNTIME != "runc" and name.startswith("fork_bomb")
        if gvisor_bomb:
            verdicts = verdicts | {pb.INTERNAL_ERROR}
        response = attack(
            target, "sec/stdin", code, internal_error_ok=gvisor_bomb, stop_on_first_failure=True
        )
        assert response.verdict in verdicts, pb.Verdict.Name(response.verdict)


BOUNDED = {
    "file_descriptors": r"""
held = []
try:
    while len(held) < 100_000:
        held.append(os.open("/dev/null", os.O_RDONLY))
except OSError as exc:
    if exc.errno != errno.EMFILE:
        BREACHES.append(f"fds: {exc}")
if len(held) > 1024:
    BREACHES.append(f"{len(held)} descriptors")
for fd in held:
    os.close(fd)
""",
    "every_writable_place": r"""
# Fills each writable place until the kernel refuses; each must be small and bounded.
chunk = b"\0" * (1 << 20)
for place, most in (("/tmp", 64), ("/dev/shm", 64), ("/var/tmp", 1)):
    written = 0
    try:
        with open(f"{place}/fill", "wb") as f:
            while written < 4096:
                f.write(chunk)
                f.flush()
                written += 1
    except OSError as exc:
        if exc.errno != errno.ENOSPC:
            BREACHES.append(f"{place}: {exc}")
    if written > most + 1:
        BREACHES.append(f"{place}: {written} MiB")
LIBC.shmat.restype = ctypes.c_void_p
shm = 0
while shm < 4096:
    ident = LIBC.shmget(0, 1 << 20, 0o1000 | 0o600)
    if ident < 0:
        break
    shm += 1
queues = 0
while queues < 100_000 and LIBC.msgget(0, 0o1000 | 0o600) >= 0:
    queues += 1
if RUNTIME == "runc":  # gVisor ignores the IPC sysctls (README: Security)
    if shm > 64:
        BREACHES.append(f"SysV shm: {shm} MiB")
    if queues > 64:
        BREACHES.append(f"SysV message queues: {queues}")
""",
}


class TestResourcesAreBounded:
    """Descriptors, tmpfs places and SysV IPC memory end at small limits (not the host's); the next
    correct submission is ACCEPTED in the container they were filled in."""

    @pytest.mark.parametrize("name", list(BOUNDED))
    def test_bounded(self, target: RunningServer, name: str) -> None:
        response = probe(target, f"import errno\nRUNTIME = {RUNTIME!r}\n" + BOUNDED[name])
        assert response.verdict == pb.ACCEPTED, probe_detail(response)
