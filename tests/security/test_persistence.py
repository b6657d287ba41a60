"""Persistence: nothing one submission leaves in its pooled container is seen by the next one.

Extends tests/integration/test_pool_isolation.py (files in /tmp, /dev/shm and /var/tmp, one
double-fork daemon, SysV objects, the environment, a user site directory) with what it does not
try: POSIX message queues, a daemon that keeps changing its pid to slip through the kill, many
daemons, stopped and signal-proof ones, FIFOs, deep and unreadable trees, and rewriting the
interpreter, site-packages, sitecustomize and the runner. Each polluter prints the correct answer
(so that it is not an anomaly that retires the container); then a probe, run in the same
container, must find nothing. Under gVisor, which has no /dev/mqueue to wipe, POSIX message
queues are refused outright (the sandbox's seccomp profile): `TestPosixMessageQueues`.
"""

from __future__ import annotations

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_STDIN
from tests.support.attacks import RUNTIME, probe_detail
from tests.support.attacks import probe as send_probe
from tests.support.server import RunningServer, grade

# Accepted (prints SAFE) only when it finds nothing a polluter may have left.
PROBE = r"""
import os
found = []
for place in ("/tmp", "/dev/shm", "/var/tmp", "/dev/mqueue"):
    if os.path.isdir(place):  # no /dev/mqueue under gVisor
        found += [os.path.join(place, n) for n in os.listdir(place)]
ours = {os.getpid(), os.getppid()}
with open(f"/proc/{os.getppid()}/status") as f:  # the submission zygote's parent: the root zygote
    ours.add(int(next(line.split()[1] for line in f if line.startswith("PPid:"))))
for pid in filter(str.isdigit, os.listdir("/proc")):
    try:
        with open(f"/proc/{pid}/status") as f:
            status = dict(line.split(":", 1) for line in f if ":" in line)
    except OSError:
        continue
    if int(status["Uid"].split()[0]) == os.getuid() and int(pid) not in ours:
        found.append(f"process {pid} {status['Name'].strip()}")
for kind in ("shm", "sem", "msg"):
    if not os.path.exists("/proc/sysvipc"):  # gVisor: a known key finds what the polluter made
        break
    with open(f"/proc/sysvipc/{kind}") as f:
        found += [f"{kind} {row.split()[1]}" for row in f.read().splitlines()[1:]]
with open("/proc/net/unix") as f:
    names = [row.split()[-1] for row in f.read().splitlines()[1:]]
    found += [f"socket {name}" for name in names if name.startswith("@")]
extra = set(os.environ) - {"PATH", "HOME", "TMPDIR", "LANG", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE",
                           "PYTHONINTMAXSTRDIGITS", "LC_CTYPE"}
found += [f"env {name}" for name in sorted(extra)]
import ctypes, hashlib, site, sys
rt = ctypes.CDLL("librt.so.1", use_errno=True)
rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int]
if rt.mq_open(b"/left-behind", os.O_RDONLY) >= 0:  # seen this way too where /dev/mqueue is not mounted
    found.append("mqueue /left-behind")
mods = [m for m in ("usercustomize", "hijacked") if m in sys.modules]
found += [f"module {m}" for m in mods]
print("SAFE" if not found else "DIRTY " + " ".join(found)[:180])
"""

# name -> a polluter's body; each ends by printing the right answer for sec/stdin.
POLLUTERS = {
    "pid_hopping_daemon": r"""
# Forks a child and exits, over and over: its pid is never the one the supervisor listed.
if os.fork() == 0:
    os.setsid()
    while True:
        if os.fork() != 0:
            os._exit(0)
""",
    "many_stubborn_daemons": r"""
import signal
for n in range(30):
    if os.fork() == 0:
        os.setsid()
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT, signal.SIGUSR1):
            signal.signal(sig, signal.SIG_IGN)
        if n == 0:
            os.kill(os.getpid(), signal.SIGSTOP)  # a stopped one
        if n == 1:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.bind("\0left-behind")
            s.listen()
        while True:
            time.sleep(1)
""",
    "files_the_wipe_may_miss": r"""
os.mkfifo("/tmp/fifo")
deep = "/tmp/deep"
for i in range(200):
    deep = os.path.join(deep, "d")
os.makedirs(deep)
for place in ("/tmp", "/dev/shm", "/var/tmp"):
    with open(os.path.join(place, ".hidden\nname"), "w") as f:
        f.write("x")
    os.symlink("/code/main.py", os.path.join(place, "link"))
os.makedirs("/tmp/a/b/c")
for path in ("/tmp/a/b/c", "/tmp/a/b", "/tmp/a"):
    os.chmod(path, 0)
os.makedirs("/dev/shm/sticky", mode=0o1777)
os.chmod("/dev/shm/sticky", 0o1000)
""",
    "rewrites_the_interpreter": r"""
import site, sysconfig
targets = [sys.executable, os.path.realpath(sys.executable), "/usr/lib/python3.11/os.py",
           "/usr/lib/python3.11/site.py", "/usr/lib/python3.11/sitecustomize.py",
           "/etc/python3.11/sitecustomize.py", "/usr/lib/python3/dist-packages/hijacked.py",
           "/usr/local/lib/python3.11/dist-packages/sitecustomize.py",
           "/opt/grader/grader/runner/child.py", "/opt/grader/grader/runner/supervisor.py",
           "/code/main.py", "/code/input", "/etc/passwd", "/root/.bashrc"]
targets += [os.path.join(p, "usercustomize.py") for p in site.getsitepackages()]
targets += [os.path.join(p, "hijacked.pth") for p in site.getsitepackages() + [sysconfig.get_path("purelib")]]
written = []
for path in targets:
    try:
        with open(path, "a") as f:
            f.write("\nimport sys; sys.modules['hijacked'] = sys\n")
        written.append(path)
    except OSError:
        pass
assert not written, written
# What is writable stays in /tmp, /dev/shm and /var/tmp (+ /dev/mqueue): every directory is tried.
for root, dirs, files in os.walk("/"):
    if root in ("/proc", "/sys"):
        dirs[:] = []
        continue
    if root.startswith(("/tmp", "/dev/shm", "/var/tmp", "/dev/mqueue")):
        continue
    try:
        with open(os.path.join(root, ".w"), "w"):
            pass
        written.append(root)
    except OSError:
        pass
assert not written, written
os.makedirs("/tmp/site", exist_ok=True)
with open("/tmp/site/sitecustomize.py", "w") as f:
    f.write("import sys; sys.modules['hijacked'] = sys\n")
""",
    # Under gVisor mq_open is refused (EPERM, the sandbox's seccomp profile): nothing to leave.
    "posix_message_queue": r"""
import ctypes, errno
rt = ctypes.CDLL("librt.so.1", use_errno=True)
rt.mq_open.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.c_int, ctypes.c_void_p]
if rt.mq_open(b"/left-behind", os.O_CREAT | os.O_RDWR, 0o666, None) < 0:
    assert RUNTIME != "runc" and ctypes.get_errno() == errno.EPERM, ctypes.get_errno()
""",
}
# The polluter pollutes during the first (public) test only, and answers every test right.
PRELUDE = "import hashlib, os, socket, sys, time\nLINE = sys.stdin.readline()\nif LINE == 'public-key\\n':\n"
IMPORTS = f"import hashlib, os, socket, sys, time\nRUNTIME = {RUNTIME!r}\n"
ANSWER = "print('MARK' + 'ER-' + hashlib.sha256(LINE.strip().encode()).hexdigest()[:16])\n"


def polluter(name: str) -> str:
    body = "".join(f"    {line}\n" for line in POLLUTERS[name].strip("\n").splitlines())
    return f"RUNTIME = {RUNTIME!r}\n" + PRELUDE + body + ANSWER


class TestNothingCrossesSubmissions:
    """After a polluter, a probe in the same container finds nothing of it."""

    @pytest.mark.parametrize("name", list(POLLUTERS))
    def test_polluter_then_probe(self, target: RunningServer, name: str) -> None:
        pool = target.server.pool
        assert pool is not None
        grade(target.stub, "sec/stdin", CORRECT_STDIN)  # a container that is warm and in use
        started = pool.stats.started
        polluted = grade(target.stub, "sec/stdin", polluter(name))
        assert polluted.verdict == pb.ACCEPTED, [(t.verdict, t.detail) for t in polluted.tests]
        probe = grade(target.stub, "sec/probe", PROBE)
        assert probe.verdict == pb.ACCEPTED, probe_detail(probe)
        # The probe ran in the polluted container, unless the supervisor found its reset unclean
        # and the pool replaced the container (also safe; the count says which).
        assert pool.stats.started - started <= 1

    # Under gVisor no queue can be made for the probe to see: TestPosixMessageQueues.
    @pytest.mark.parametrize(
        "name",
        [
            *(["posix_message_queue"] if RUNTIME == "runc" else []),
            "many_stubborn_daemons",
            "files_the_wipe_may_miss",
        ],
    )
    def test_probe_sees_pollution(self, target: RunningServer, name: str) -> None:
        """The probe is not blind: in the polluter's own process it sees what was left."""
        code = IMPORTS + POLLUTERS[name] + PROBE
        response = grade(target.stub, "sec/probe", code)
        assert response.verdict == pb.WRONG_ANSWER
        assert "DIRTY" in probe_detail(response)


# Every POSIX message-queue syscall by number (libc is not the judge), on a queue of its own.
MQ_SYSCALLS = r"""
import platform
NUMBERS = {"x86_64": (240, 241, 242, 243, 244, 245), "aarch64": (180, 181, 182, 183, 184, 185)}
OPEN, UNLINK, SEND, RECEIVE, NOTIFY, GETSETATTR = NUMBERS[platform.machine()]
LIBC.syscall.restype = ctypes.c_long
results = {}

def call(what, number, *args):
    args = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    result = LIBC.syscall(ctypes.c_long(number), *args)
    results[what] = "ok" if result >= 0 else errno.errorcode.get(ctypes.get_errno(), "?")
    return result

name = ctypes.c_char_p(b"mq-probe")  # the kernel's name: glibc strips the leading slash
buf = ctypes.create_string_buffer(1 << 16)
fd = call("mq_open", OPEN, name, os.O_CREAT | os.O_RDWR | os.O_NONBLOCK, 0o600, None)
call("mq_timedsend", SEND, fd, ctypes.c_char_p(b"x"), 1, 0, None)
call("mq_timedreceive", RECEIVE, fd, buf, len(buf), None, None)
call("mq_notify", NOTIFY, fd, None)
call("mq_getsetattr", GETSETATTR, fd, None, buf)
call("mq_unlink", UNLINK, name)
if fd >= 0:
    os.close(fd)
# gVisor: each refused by the sandbox's seccomp profile (not EBADF, ENOENT: refused as such).
want = "ok" if RUNTIME == "runc" else "EPERM"
BREACHES += [f"{what} {got}" for what, got in results.items() if got != want]
"""


class TestPosixMessageQueues:
    """Under gVisor, whose reset cannot list or remove a queue (no /dev/mqueue), every mq_*
    syscall is refused; under runc they work (and the reset wipes /dev/mqueue)."""

    def test_refused_under_gvisor_only(self, target: RunningServer) -> None:
        response = send_probe(target, f"RUNTIME = {RUNTIME!r}\n" + MQ_SYSCALLS)
        assert response.verdict == pb.ACCEPTED, probe_detail(response)
