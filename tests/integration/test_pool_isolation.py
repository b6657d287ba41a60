"""No state crosses submissions in a pooled container: files, processes, shared memory, environment."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from grader.bank.build import build_bank
from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, grade, require_docker, start_server, write_jsonl

# Leaves everything it can behind: files in every writable place, a daemon (double fork + setsid),
# SysV shared memory, a semaphore and a message queue, an environment variable, a user site dir.
POLLUTER = r"""
import ctypes, os, sys, time
for place in ("/tmp", "/dev/shm", "/var/tmp"):
    with open(os.path.join(place, "left-behind"), "w") as f:
        f.write("state")
os.makedirs("/tmp/.local/lib/python3.11/site-packages", exist_ok=True)
with open("/tmp/.local/lib/python3.11/site-packages/usercustomize.py", "w") as f:
    f.write("print('HIJACKED')\n")
os.makedirs("/tmp/locked/inner", exist_ok=True)
os.chmod("/tmp/locked", 0)
libc = ctypes.CDLL(None)
IPC_CREAT = 0o1000
assert libc.shmget(0x1234, 4096, IPC_CREAT | 0o666) >= 0
assert libc.semget(0x1235, 1, IPC_CREAT | 0o666) >= 0
assert libc.msgget(0x1236, IPC_CREAT | 0o666) >= 0
os.environ["LEFT_BEHIND"] = "1"
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "987654"])
    os._exit(0)
time.sleep(0.2)
print(input())
"""

# Accepted only when it finds nothing of the polluter. gVisor has no /proc/sysvipc: there the probe
# looks the polluter's keys up, and the first ids (gVisor numbers each kind's objects from 1).
PROBE = r"""
import ctypes, errno, os
found = []
for place in ("/tmp", "/dev/shm", "/var/tmp"):
    found += [os.path.join(place, n) for n in os.listdir(place)]
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            if b"987654" in f.read():
                found.append(f"process {pid}")
    except OSError:
        pass
if os.path.isdir("/proc/sysvipc"):
    for kind in ("shm", "sem", "msg"):
        with open(f"/proc/sysvipc/{kind}") as f:
            found += [f"{kind} {row.split()[0]}" for row in f.read().splitlines()[1:]]
else:
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(512)
    kinds = {
        "shm": (lambda: libc.shmget(0x1234, 0, 0), lambda i: libc.shmctl(i, 2, buf)),
        "sem": (lambda: libc.semget(0x1235, 0, 0), lambda i: libc.semctl(i, 0, 2, buf)),
        "msg": (lambda: libc.msgget(0x1236, 0), lambda i: libc.msgctl(i, 2, buf)),
    }
    for kind, (by_key, stat) in kinds.items():
        if by_key() >= 0:
            found.append(f"{kind} key")
        found += [f"{kind} {i}" for i in range(1, 1024)
                  if stat(i) == 0 or ctypes.get_errno() not in (errno.EINVAL, errno.EIDRM)]
if "LEFT_BEHIND" in os.environ:
    found.append("environment")
print("CLEAN" if not found else "DIRTY " + " ".join(found))
"""


@pytest.fixture(scope="module")
def one_container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    require_docker()
    tmp = tmp_path_factory.mktemp("pool")
    rows = [
        {"format": "grader.v1", "id": "echo", "title": "Echo", "kind": "stdin",
         "tests": [{"input": "hello\n", "output": "hello\n", "public": True}]},
        {"format": "grader.v1", "id": "probe", "title": "Probe", "kind": "stdin",
         "tests": [{"input": "", "output": "CLEAN\n", "public": True}]},
    ]  # fmt: skip
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "q.jsonl", rows)])
    running = start_server(tmp / "bank.db", pool=PoolSettings(size=1, max_uses=1000))
    yield running
    running.stop()


class TestNoStateCrossesSubmissions:
    """A submission that pollutes every place it can leaves nothing the next one can see."""

    def test_polluter_then_probe(self, one_container: RunningServer) -> None:
        pool = one_container.server.pool
        assert pool is not None
        polluted = grade(one_container.stub, "echo", POLLUTER)
        assert polluted.verdict == pb.ACCEPTED, polluted
        probe = grade(one_container.stub, "probe", PROBE)
        assert probe.verdict == pb.ACCEPTED, probe.tests[0].detail
        # Both ran in the same container: one was started, and it served both.
        assert pool.stats.started == 1 and pool.stats.retired == 0

    def test_probe_is_able_to_see_pollution(self, one_container: RunningServer) -> None:
        """The probe is not blind: run after the polluter in one process, it sees the pollution."""
        code = POLLUTER.replace("print(input())", "") + PROBE.replace('"CLEAN" if not found else ', "")
        response = grade(one_container.stub, "probe", code)
        assert response.verdict == pb.WRONG_ANSWER
        assert "left-behind" in response.tests[0].detail
        assert all(f"{kind} " in response.tests[0].detail for kind in ("shm", "sem", "msg"))
