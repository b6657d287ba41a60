"""Sending attacks to the server under attack and checking it is unharmed: no secret in the response,
a candidate verdict, and a correct submission right after ACCEPTED; probes that report what they
reached; the forger that writes reports through the runner's own reporter."""

from __future__ import annotations

import time

from google.protobuf import text_format

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_STDIN, SECRET_INPUTS, SECRETS
from tests.support.server import TEST_RUNTIME, RunningServer, grade

RUNTIME = TEST_RUNTIME
"""The container runtime under attack (`GRADER_TEST_RUNTIME`: runc, or runsc for gVisor)."""


def rendered(response: pb.GradeResponse) -> str:
    return text_format.MessageToString(response) + response.SerializeToString().decode("latin-1")


def assert_no_secret(response: pb.GradeResponse) -> None:
    """No private test's input or expected output in anything the response carries."""
    text = rendered(response)
    for secret in (*SECRETS, *(t.strip() for t in SECRET_INPUTS)):
        assert secret not in text


def wait_for_idle_pool(server: RunningServer, timeout_s: float = 120.0) -> None:
    """A retired container is replaced in the background; wait for its replacement."""
    pool = server.server.pool
    assert pool is not None
    deadline = time.monotonic() + timeout_s
    while pool.idle < 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool.idle == 1, "the pool did not recover"


def attack(
    server: RunningServer, question_id: str, code: str, internal_error_ok: bool = False, **kwargs: object
) -> pb.GradeResponse:
    """Sends an attack, then checks that the service is unharmed: the response leaks no secret,
    is a candidate verdict (`internal_error_ok`: a documented exception), and a correct submission
    right after (in the same container, or in the pool's replacement when the attack was an
    anomaly) is ACCEPTED."""
    response = grade(server.stub, question_id, code, **kwargs)
    assert_no_secret(response)
    if not internal_error_ok:
        assert response.verdict != pb.INTERNAL_ERROR, "an attack must end in a candidate verdict"
    follow_up = grade(server.stub, "sec/stdin", CORRECT_STDIN)
    assert follow_up.verdict == pb.ACCEPTED, [t.verdict for t in follow_up.tests]
    return response


# Prepended to every probe: `refused(what, action)` records a breach unless `action` raises an
# OSError; `libc(name, *args)` calls libc and raises OSError on -1; `write(path, text)` writes
# unbuffered (so that the error, if any, is raised there); `done()` prints the outcome.
PROBE_PRELUDE = r"""
import ctypes, errno, os, socket, sys
BREACHES = []
LIBC = ctypes.CDLL(None, use_errno=True)

def libc(name, *args):
    result = getattr(LIBC, name)(*args)
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result

def write(path, data):
    fd = os.open(path, os.O_WRONLY)
    try:
        os.write(fd, data.encode())
    finally:
        os.close(fd)

def refused(what, action):
    try:
        action()
    except OSError:
        return
    BREACHES.append(what)

def done():
    print("SAFE" if not BREACHES else "BREACH " + "; ".join(BREACHES)[:180])
"""


def probe(server: RunningServer, body: str) -> pb.GradeResponse:
    """Runs an attack that reports what it reached as a probe: SAFE when it reached nothing."""
    return attack(server, "sec/probe", PROBE_PRELUDE + body + "\ndone()\n")


def probe_detail(response: pb.GradeResponse) -> str:
    """What a probe printed instead of SAFE (the public test's detail), for assertion messages."""
    return response.tests[0].detail if response.tests else "no tests"


# Prepended to every attack: `reporter()` finds the runner's report function in the frames above
# (the test's nonce is bound in it), `forge(**fields)` writes a report through it, `raw(data)` writes
# `data` (bytes, with {nonce} filled in) straight to the result channel.
FORGER = r"""
import hashlib, json, os, sys
def reporter():
    frame = sys._getframe()
    while frame is not None:
        found = frame.f_locals.get("report")
        if callable(found) and getattr(found, "__closure__", None):
            return found
        frame = frame.f_back
    raise AssertionError("no reporter in the frames")

def nonce():
    for cell in reporter().__closure__:
        value = cell.cell_contents
        if isinstance(value, str) and len(value) == 32:
            return value
    raise AssertionError("no nonce")

def forge(**fields):
    reporter()(**fields)

def raw(data):
    os.write(3, data.replace(b"{nonce}", nonce().encode()))
"""
