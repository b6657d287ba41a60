"""Long-lived processes: what a submission does to the processes that outlive it (init, the
supervisor, the root zygote) must not reach a later submission in the same pooled container.

Linux lets a process change another of the same uid in many ways (docs/security.md lists them):
resource limits (prlimit), nice, scheduling policy, CPU affinity, I/O priority, OOM score, signals,
writable /proc/PID files. A tamperer tries each on every process but its own submission's and
answers right (so that it is no anomaly that retires the container); then correct submissions in
the same container must be ACCEPTED (one using more than 80 MiB too), and a probe must find its
own inherited state and the long-lived processes' as in a fresh container. A probe also checks
that every such operation on a long-lived process is refused. And a long-lived process changed
from outside the candidate's reach (`docker exec`) retires the container at the next reset.
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_STDIN
from tests.support.attacks import probe, probe_detail, wait_for_idle_pool
from tests.support.server import RunningServer, grade

# Every process but this worker and its own submission zygote (which ends with the submission).
TARGETS = r"""
import ctypes, os, platform, resource, signal
LIBC_ = ctypes.CDLL(None, use_errno=True)
LIBC_.syscall.restype = ctypes.c_long
MINE = {os.getpid(), os.getppid()}
TARGETS = sorted(int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) not in MINE)
IOPRIO_SET, IOPRIO_GET = {"x86_64": (251, 252), "aarch64": (30, 31)}[platform.machine()]
RLIMITS = {n: getattr(resource, n) for n in dir(resource) if n.startswith("RLIMIT_")}
RLIMITS["RLIMIT_LOCKS"] = 10  # not in Python's resource module
RLIM_INF = resource.RLIM_INFINITY

def ioprio(pid, value=None):
    args = (IOPRIO_SET, 1, pid, value) if value is not None else (IOPRIO_GET, 1, pid)
    result = LIBC_.syscall(*(ctypes.c_long(a) for a in args))
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result

def write_proc(pid, name, text):
    fd = os.open(f"/proc/{pid}/{name}", os.O_WRONLY)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)
"""

# name -> what a tamperer does to one target `pid` (errors are ignored: a refusal is the point).
TAMPERINGS = {
    "lower_stack_hard_limit": "resource.prlimit(pid, resource.RLIMIT_STACK, (1 << 20, 1 << 20))",
    "cap_address_space": "resource.prlimit(pid, resource.RLIMIT_AS, (80 << 20, 80 << 20))",
    # RLIMIT_LOCKS is ignored by Linux: its soft limit is 64 bits of storage inherited by every fork.
    "ignored_soft_limit_carries_bits": "resource.prlimit(pid, 10, (0x0123456789ABCDEF, RLIM_INF))",
    "every_limit_lowered": "for r in RLIMITS.values():\n"
    "    soft, hard = resource.prlimit(pid, r)\n"
    "    resource.prlimit(pid, r, (min(soft, 1), min(hard, 1)) if hard else (0, 0))",
    "renice": "os.setpriority(os.PRIO_PROCESS, pid, 19)",
    "affinity": "os.sched_setaffinity(pid, {min(os.sched_getaffinity(pid))})",
    "scheduling_policy": "os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))",
    "ioprio_idle": "ioprio(pid, 3 << 13)",
    "oom_score_adj": "write_proc(pid, 'oom_score_adj', '0' if int(open(f'/proc/{pid}/oom_score_adj').read()) "
    "else '1000')",
    "comm": "write_proc(pid, 'comm', 'tampered')",
    "autogroup_nice": "write_proc(pid, 'autogroup', '19')",
    "sigstop": "os.kill(pid, signal.SIGSTOP)",
    # Daemons left to spin on the calls that compare the caller's effective uid with the target's:
    # the supervisor takes the candidate's as its effective uid while it kills them.
    "kill_window_spinners": "for _ in range(4):\n"
    "    if os.fork() == 0:\n"
    "        os.setsid()\n"
    "        while True:\n"
    "            for call in (lambda: os.setpriority(os.PRIO_PROCESS, pid, 19),\n"
    "                         lambda: os.sched_setaffinity(pid, {0}),\n"
    "                         lambda: os.sched_setscheduler(pid, os.SCHED_IDLE, os.sched_param(0))):\n"
    "                try:\n"
    "                    call()\n"
    "                except OSError:\n"
    "                    pass",
}

PRELUDE = "import hashlib, sys\nLINE = sys.stdin.readline()\n"
ANSWER = "print('MARK' + 'ER-' + hashlib.sha256(LINE.strip().encode()).hexdigest()[:16])\n"


def tamperer(name: str) -> str:
    """Tampers during the public test (the first), with every target; answers every test right."""
    action = "".join(f"            {line}\n" for line in TAMPERINGS[name].splitlines())
    return (
        PRELUDE
        + "if LINE == 'public-key\\n':\n"
        + "".join(f"    {line}\n" for line in TARGETS.strip("\n").splitlines())
        + "    for pid in TARGETS:\n        try:\n"
        + action
        + "        except (OSError, ValueError):\n            pass\n"
        + ANSWER
    )


# Correct, and needs more than 80 MiB of address space (a capped RLIMIT_AS turned it into MLE).
CORRECT_BIG = "big = bytearray(150 << 20)\nbig[-1] = 1\n" + PRELUDE + ANSWER

# What a submission can see of its own inherited state and of every long-lived process, per group;
# printed as short digests, so that a run can be compared with a fresh container's.
STATE = (
    TARGETS
    + r"""
import hashlib
def parent(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(next(line.split()[1] for line in f if line.startswith("PPid:")))
def attempt(action):
    try:
        return action()
    except OSError as exc:
        return f"errno {exc.errno}"
def stat_fields(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return fields[0] in "Tt", fields[16], fields[17], fields[37], fields[38]  # stopped prio nice rt policy
def status_field(pid, key):
    with open(f"/proc/{pid}/status") as f:
        return next((line.split(":", 1)[1].strip() for line in f if line.startswith(key + ":")), "")
root = parent(os.getppid())
roles = {"self": os.getpid(), "root": root, "sup": parent(root), "init": 1}
groups = {}
for role, pid in roles.items():
    groups[role + "L"] = attempt(lambda: open(f"/proc/{pid}/limits").read())
    groups[role + "S"] = (attempt(lambda: stat_fields(pid)), status_field(pid, "Cpus_allowed_list"),
                          attempt(lambda: ioprio(pid)), attempt(lambda: os.getpriority(os.PRIO_PROCESS, pid)))
    groups[role + "O"] = (attempt(lambda: open(f"/proc/{pid}/oom_score_adj").read()),
                          attempt(lambda: open(f"/proc/{pid}/comm").read()))
groups["selfR"] = [(n, resource.getrlimit(r)) for n, r in sorted(RLIMITS.items())]
STATE = {k: hashlib.sha256(repr(v).encode()).hexdigest()[:4] for k, v in sorted(groups.items())}
"""
)
STATE_REPORT = STATE + 'print("STATE " + " ".join(f"{k}={v}" for k, v in STATE.items()))\n'


def state_probe(baseline: dict[str, str]) -> str:
    return (
        STATE
        + f"WANT = {baseline!r}\n"
        + (
            "diff = [k for k in sorted(set(WANT) | set(STATE)) if WANT.get(k) != STATE.get(k)]\n"
            'print("SAFE" if not diff else "DIRTY " + " ".join(diff))\n'
        )
    )


@pytest.fixture(scope="module")
def baseline(target: RunningServer) -> dict[str, str]:
    """The state a submission sees in a container no one tampered with."""
    response = grade(target.stub, "sec/probe", STATE_REPORT)
    found = re.search(r"STATE ((?:\w+=[0-9a-f]{4} ?)+)", probe_detail(response))
    assert found, probe_detail(response)
    return dict(item.split("=") for item in found.group(1).split())


class TestTamperingWithLongLivedProcesses:
    @pytest.mark.parametrize("name", list(TAMPERINGS))
    def test_tamperer_then_correct_submissions(
        self, target: RunningServer, baseline: dict[str, str], name: str
    ) -> None:
        pool = target.server.pool
        assert pool is not None
        grade(target.stub, "sec/stdin", CORRECT_STDIN)  # a container that is warm and in use
        tampered = grade(target.stub, "sec/stdin", tamperer(name))
        assert tampered.verdict == pb.ACCEPTED, [(t.verdict, t.detail) for t in tampered.tests]
        for _ in range(3):
            follow_up = grade(target.stub, "sec/stdin", CORRECT_STDIN)
            assert follow_up.verdict == pb.ACCEPTED, [(t.verdict, t.detail) for t in follow_up.tests]
        big = grade(target.stub, "sec/stdin", CORRECT_BIG)
        assert big.verdict == pb.ACCEPTED, [(t.verdict, t.detail) for t in big.tests]
        spin = grade(target.stub, "sec/stdin", "while True: pass\n")
        assert spin.verdict == pb.TIME_LIMIT_EXCEEDED, [(t.verdict, t.detail) for t in spin.tests]
        wait_for_idle_pool(target)
        state = grade(target.stub, "sec/probe", state_probe(baseline))
        assert state.verdict == pb.ACCEPTED, probe_detail(state)

    def test_state_probe_is_not_blind(self, target: RunningServer, baseline: dict[str, str]) -> None:
        """In the tamperer's own process (its own limits changed) the probe sees the difference."""
        code = "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (200, 256))\n"
        response = grade(target.stub, "sec/probe", code + state_probe(baseline))
        assert response.verdict == pb.WRONG_ANSWER
        assert "DIRTY" in probe_detail(response) and "selfR" in probe_detail(response)


# Every operation on another process of the same uid, in a form that changes nothing where it is
# allowed (the current value set again, signal 0, a /proc file's content written back): each must
# be refused for every long-lived process.
REFUSALS = (
    TARGETS
    + r"""
def rewrite(path):
    fd = os.open(path, os.O_WRONLY)  # some files any process may open (attr/*, timerslack_ns)
    try:
        try:
            with open(path, "rb") as f:
                data = f.read() or b"0"
        except OSError:
            data = b"0"
        os.write(fd, data)
    finally:
        os.close(fd)
for pid in TARGETS:
    for n, r in RLIMITS.items():
        refused(f"{pid} prlimit {n}", lambda: resource.prlimit(pid, r, resource.prlimit(pid, r)))
    nice = os.getpriority(os.PRIO_PROCESS, pid)
    refused(f"{pid} setpriority", lambda: os.setpriority(os.PRIO_PROCESS, pid, nice))
    refused(f"{pid} setaffinity", lambda: os.sched_setaffinity(pid, os.sched_getaffinity(pid)))
    refused(f"{pid} setscheduler",
            lambda: os.sched_setscheduler(pid, os.sched_getscheduler(pid), os.sched_getparam(pid)))
    refused(f"{pid} setparam", lambda: os.sched_setparam(pid, os.sched_getparam(pid)))
    refused(f"{pid} ioprio_set", lambda: ioprio(pid, ioprio(pid)))
    refused(f"{pid} kill 0", lambda: os.kill(pid, 0))
    refused(f"{pid} pidfd_send_signal 0", lambda: signal.pidfd_send_signal(os.pidfd_open(pid), 0))
    refused(f"{pid} setpgid", lambda: os.setpgid(pid, pid))
    for top in [f"/proc/{pid}"] + [f"/proc/{pid}/task/{t}" for t in os.listdir(f"/proc/{pid}/task")]:
        for name in os.listdir(top):
            path = f"{top}/{name}"
            if os.path.isdir(path) and name != "attr":
                continue
            for each in ([f"{path}/{a}" for a in os.listdir(path)] if name == "attr" else [path]):
                if os.path.isdir(each):
                    continue
                refused(f"write {each[6:]}", lambda: rewrite(each))
"""
)


class TestSameUidOperations:
    def test_refused_on_every_long_lived_process(self, target: RunningServer) -> None:
        response = probe(target, REFUSALS)
        assert response.verdict == pb.ACCEPTED, probe_detail(response)

    def test_probe_is_not_blind(self, target: RunningServer) -> None:
        """On its own submission zygote (same uid) the operations are allowed and reported."""
        response = probe(target, REFUSALS.replace("for pid in TARGETS:", "for pid in [os.getppid()]:"))
        assert response.verdict == pb.WRONG_ANSWER
        assert "prlimit RLIMIT_AS" in probe_detail(response)


def container_of(server: RunningServer) -> str:
    pool = server.server.pool
    assert pool is not None and len(pool._live) == 1
    return next(iter(pool._live)).name


class TestResetVerifiesLongLivedProcesses:
    """A long-lived process changed behind the supervisor's back (here by `docker exec`, as root:
    no candidate can) retires the container at the next reset, with its own recycle reason."""

    @pytest.mark.parametrize(
        "change",
        [
            "os.setpriority(os.PRIO_PROCESS, ROOT, 5)",
            "resource.prlimit(ROOT, resource.RLIMIT_NOFILE, (200, 256))",
            "resource.prlimit(SUP, resource.RLIMIT_STACK, (1 << 20, 1 << 20))",
            "os.sched_setaffinity(SUP, {min(os.sched_getaffinity(SUP))})",
            "open(f'/proc/{ROOT}/oom_score_adj', 'w').write('999')",
        ],
    )
    def test_changed_process_recycles_the_container(self, target: RunningServer, change: str) -> None:
        pool = target.server.pool
        assert pool is not None
        wait_for_idle_pool(target)
        grade(target.stub, "sec/stdin", CORRECT_STDIN)
        name = container_of(target)
        script = (
            "import os, resource\n"
            "def children(pid):\n"
            "    return [int(p) for p in os.listdir('/proc') if p.isdigit() and\n"
            "            open(f'/proc/{p}/stat').read().rsplit(')', 1)[1].split()[1] == str(pid)]\n"
            "SUP = min(p for p in children(1) if 'supervisor' in open(f'/proc/{p}/cmdline').read())\n"
            "ROOT = min(p for p in children(SUP) if 'child.py' in open(f'/proc/{p}/cmdline').read())\n"
            + change
            + "\n"
        )
        subprocess.run(
            ["docker", "exec", "-u", "0", name, "python3", "-c", script],
            check=True,
            timeout=60,
            capture_output=True,
        )
        registry = target.server.metrics.registry

        def tampered() -> float:
            value = registry.get_sample_value("grader_container_recycles_total", {"reason": "tampered"})
            return value or 0.0

        recycled = tampered()
        response = grade(target.stub, "sec/stdin", CORRECT_STDIN)
        assert response.verdict == pb.ACCEPTED
        deadline = time.monotonic() + 10
        while tampered() == recycled and time.monotonic() < deadline:
            time.sleep(0.05)
        assert tampered() == recycled + 1
        wait_for_idle_pool(target)
        assert container_of(target) != name
        response = grade(target.stub, "sec/stdin", CORRECT_STDIN)
        assert response.verdict == pb.ACCEPTED

    def test_untouched_container_is_kept(self, target: RunningServer) -> None:
        wait_for_idle_pool(target)
        grade(target.stub, "sec/stdin", CORRECT_STDIN)
        name = container_of(target)
        grade(target.stub, "sec/stdin", CORRECT_STDIN)
        assert container_of(target) == name
