"""Attack round 3 (batch limits, kills): a process whose main thread has exited.

A process whose leader thread ends with the `exit` system call (not `exit_group`) lives on in its
other threads, while /proc/PID/status says `State: Z (zombie)` for it. The supervisor lists the
candidate's processes from /proc/PID/status and passes over zombies (they are dead, it assumes),
so it never signals such a process: not at an input's limit, not at the end of a test, not at the
reset, and the reset's leftovers check does not see it either.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_CALL, SECRET_INPUTS
from tests.support.attacks import attack, rendered
from tests.support.server import RunningServer, grade

# Forks a process that keeps one thread watching /code/input (each test's input, mode 0644) and
# serving what it saw on an abstract unix socket; its main thread then ends alone (SYS_exit,
# through ctypes, which lets the GIL go first), so the process reads as a zombie.
GHOST = r"""
import ctypes, os, socket, threading, time

def _ghost():
    seen = []
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind("\0ghost-" + str(os.getpid()))
    server.listen(8)
    server.settimeout(0.01)
    while True:
        try:
            with open("/code/input") as f:
                text = f.read()
            if text not in seen:
                seen.append(text)
        except OSError:
            pass
        try:
            conn, _ = server.accept()
            conn.sendall(repr(seen).encode())
            conn.close()
        except OSError:
            pass

if os.fork() == 0:
    os.setsid()
    null = os.open("/dev/null", os.O_RDWR)
    for fd in range(0, 5):
        os.dup2(null, fd)
    threading.Thread(target=_ghost, daemon=True).start()
    time.sleep(0.2)
    ctypes.CDLL(None).syscall(60, 0)  # SYS_exit: this thread only
time.sleep(0.5)
"""

# Asks every ghost (abstract socket names are listed in /proc/net/unix) what it saw.
ASK = r"""
import socket
names = set()
with open("/proc/net/unix") as f:
    for line in f:
        if "@ghost-" in line:
            names.add(line.split()[-1][1:])
seen = []
for name in sorted(names):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect("\0" + name)
        seen.append(s.recv(1 << 20).decode())
    except OSError as exc:
        seen.append(repr(exc))
print("ghosts:", len(names), seen)
"""


# Kills every process of its uid that reads as a zombie (signals reach a zombie leader's live
# threads): the ghosts, so that the rest of the suite runs in a container without them.
EXORCISM = r"""
import os, signal
for name in os.listdir("/proc"):
    try:
        with open(f"/proc/{name}/status") as f:
            fields = dict(line.split(":", 1) for line in f if ":" in line)
        if fields["State"].split()[0] == "Z" and fields["Uid"].split()[0] == str(os.getuid()):
            os.kill(int(name), signal.SIGKILL)
    except (OSError, KeyError, ValueError):
        pass
print("SAFE")
"""


@pytest.fixture
def exorcised(target: RunningServer) -> Iterator[RunningServer]:
    yield target
    grade(target.stub, "sec/probe", EXORCISM)


class TestZombieLeader:
    def test_private_inputs_of_a_later_submission(self, exorcised: RunningServer) -> None:
        """The ghost is planted by one submission, survives its reset, sees the private inputs of
        the next (an unrelated, correct one) and tells a third, whose public detail shows them."""
        target = exorcised
        attack(target, "sec/stdin", GHOST + "print('x')\n")
        victim = grade(target.stub, "sec/call", CORRECT_CALL)
        assert victim.verdict == pb.ACCEPTED
        told = grade(target.stub, "sec/probe", ASK)
        text = rendered(told)
        assert not any(t.strip() in text for t in SECRET_INPUTS), told.tests[0].detail

    def test_exorcism_leaves_no_ghost(self, exorcised: RunningServer) -> None:
        attack(exorcised, "sec/stdin", GHOST + "print('x')\n")
        grade(exorcised.stub, "sec/probe", EXORCISM)
        told = grade(exorcised.stub, "sec/probe", ASK)
        assert "ghosts: 0" in told.tests[0].detail, told.tests[0].detail


# A batched solution whose every input needs 1.5 s of CPU (the limit is 1 s). It asks an oracle on
# an abstract socket for each answer; the first time there is none, and it plants one per input of
# its batch (read from /code/input): a ghost that works the answer out, outside every limit but
# the RLIMIT_CPU it inherits (hence one per input), and then tells it. Meanwhile it answers wrong
# at once (a limit hit would retire the container, and the ghosts with it).
ORACLE = r"""
import ctypes, hashlib, json, os, socket, threading, time

def slow(s):
    start = time.thread_time()
    while time.thread_time() - start < 1.5:
        pass
    return "MARK" + "ER-" + hashlib.sha256(s.encode()).hexdigest()[:16]

def name(s):
    return "\0oracle-" + hashlib.sha256(s.encode()).hexdigest()[:16]

def ask(s):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
            c.settimeout(1)
            c.connect(name(s))
            return c.recv(1 << 16).decode()
    except OSError:
        return None

def _ghost(s, server):
    answer = []
    threading.Thread(target=lambda: answer.append(slow(s)), daemon=True).start()
    while True:
        try:
            conn, _ = server.accept()
            with conn:
                conn.sendall((answer[0] if answer else "-").encode())
        except Exception:
            pass

def plant():
    with open("/code/input") as f:
        inputs = [json.loads(json.loads(line)[1]) for line in f if line.strip()]
    planted = False
    for s in inputs:
        if ask(s) is not None:
            continue
        planted = True
        if os.fork() == 0:
            os.setsid()
            null = os.open("/dev/null", os.O_RDWR)
            for fd in range(0, 5):
                os.dup2(null, fd)
            server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            server.bind(name(s))
            server.listen(8)
            threading.Thread(target=_ghost, args=(s, server), daemon=True).start()
            time.sleep(0.05)
            ctypes.CDLL(None).syscall(60, 0)  # SYS_exit: this thread only
    if planted:
        time.sleep(0.5)  # until they read as zombies: the end of the test kills what does not

plant()

class Solution:
    def marker(self, s):
        known = ask(s)
        return known if known and known != "-" else "not yet"
"""

# How many ghosts have their answer.
COUNT = r"""
import socket
names = {line.split()[-1][1:] for line in open("/proc/net/unix") if "@oracle-" in line}
done = 0
for name in names:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as c:
        c.connect("\0" + name)
        done += c.recv(99) != b"-"
print("done", done, "of", len(names))
"""


class TestZombieLeaderOracle:
    def test_batched_answers_worked_out_between_submissions(self, exorcised: RunningServer) -> None:
        """Each input needs 1.5 s of CPU against a 1 s limit. The first submission is
        WRONG_ANSWER, its ghost works on; the same code sent again is answered by it."""
        first = grade(exorcised.stub, "sec/batch", ORACLE)
        assert first.verdict == pb.WRONG_ANSWER, [t.verdict for t in first.tests]
        deadline = time.monotonic() + 150
        count = ""
        while time.monotonic() < deadline:
            count = grade(exorcised.stub, "sec/probe", COUNT).tests[0].detail
            if "done 8 of 8" in count or " of 0" in count:  # all answered, or no ghost
                break
            time.sleep(3)
        again = grade(exorcised.stub, "sec/batch", ORACLE)
        assert again.verdict != pb.ACCEPTED, (count, [t.cpu_time_ms for t in again.tests])
