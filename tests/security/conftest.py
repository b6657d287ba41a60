"""The attack suite's fixtures: one real grader server, grading in the real Docker engine through a
warm pool of ONE container, so that every submission after an attack lands in the container the
attack used (unless the pool retired it after an anomaly, as it must).

The container runtime comes from `GRADER_TEST_RUNTIME` (default runc; `runsc` for gVisor). Like the
integration tests, these never skip: without an engine they fail.
"""

from __future__ import annotations

import hashlib
import io
import logging
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from google.protobuf import text_format

from grader import logs
from grader.bank.build import build_bank
from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.integration.conftest import (
    RunningServer,
    docker_settings,
    grade,
    require_docker,
    start_server,
    write_jsonl,
)

RUNTIME = os.environ.get("GRADER_TEST_RUNTIME", "runc")

# The secret: every private expected output below starts with this prefix followed by 16 hex digits.
# The inputs never contain it: the answer is PREFIX + sha256(input)[:16], which a correct solution
# computes and an attack can only find if the expected output is somewhere it can read.
PREFIX = "MARKER-"
SECRET_INPUTS = ("zebra-one\n", "zebra-two\n")


def answer(text: str) -> str:
    return PREFIX + hashlib.sha256(text.strip().encode()).hexdigest()[:16]


SECRETS = tuple(answer(t) for t in SECRET_INPUTS)
PUBLIC_INPUT = "public-key\n"
BATCH_INPUTS = ("alpha", "beta", "gamma", "delta", "epsilon")
# Searched for by attacks: built so that the searching code itself never contains a match.
SECRET_PATTERN = 'rb"MARK" + rb"ER-[0-9a-f]{16}"'

JUDGE_TEXT_CHECKERS = ("lcb", "tokens", "float", "exact")

QUESTIONS: list[dict[str, object]] = [
    {
        "format": "grader.v1", "id": "sec/stdin", "title": "Marker of a line", "kind": "stdin",
        "prompt": "Print MARKER- followed by the first 16 hex digits of the SHA-256 of the line.",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": PUBLIC_INPUT, "output": answer(PUBLIC_INPUT) + "\n", "public": True},
                  *({"input": t, "output": answer(t) + "\n", "public": False} for t in SECRET_INPUTS)],
    },
    {
        "format": "grader.v1", "id": "sec/call", "title": "Marker of a string", "kind": "call",
        "entry_point": "marker", "prelude": "lcb",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": f'"{PUBLIC_INPUT.strip()}"', "output": f'"{answer(PUBLIC_INPUT)}"',
                   "public": True},
                  *({"input": f'"{t.strip()}"', "output": f'"{answer(t)}"', "public": False}
                    for t in SECRET_INPUTS)],
    },
    # EvalPlus's way: the checker `evalplus` runs a process per batch of inputs, not per test.
    {
        "format": "grader.v1", "id": "sec/batched", "title": "Marker of a string, batched",
        "kind": "call", "entry_point": "marker", "checker": "evalplus",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": f'"{PUBLIC_INPUT.strip()}"', "output": f'"{answer(PUBLIC_INPUT)}"',
                   "public": True},
                  *({"input": f'"{t.strip()}"', "output": f'"{answer(t)}"', "public": False}
                    for t in SECRET_INPUTS)],
    },
    # EvalPlus-style: checked with EvalPlus's rule, so its inputs run in batches (one process for
    # many inputs). Besides the public and the secret inputs, five more, so that a batch is long.
    {
        "format": "grader.v1", "id": "sec/batch", "title": "Markers of strings", "kind": "call",
        "entry_point": "marker", "checker": "evalplus",
        "limits": {"time_s": 1, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": f'"{PUBLIC_INPUT.strip()}"', "output": f'"{answer(PUBLIC_INPUT)}"',
                   "public": True},
                  *({"input": f'"{t}"', "output": f'"{answer(t)}"', "public": True}
                    for t in BATCH_INPUTS),
                  *({"input": f'"{t.strip()}"', "output": f'"{answer(t)}"', "public": False}
                    for t in SECRET_INPUTS)],
    },
    # A batched question whose memory limit is below the pooled container's (the pool's default
    # is 1 GiB; a question's limit is often less): what the question's limit means in a batch.
    {
        "format": "grader.v1", "id": "sec/batch-small", "title": "Markers of strings, 64 MiB",
        "kind": "call", "entry_point": "marker", "checker": "evalplus",
        "limits": {"time_s": 1, "memory_mb": 64, "output_mb": 1},
        "tests": [{"input": f'"{PUBLIC_INPUT.strip()}"', "output": f'"{answer(PUBLIC_INPUT)}"',
                   "public": True},
                  *({"input": f'"{t.strip()}"', "output": f'"{answer(t)}"', "public": False}
                    for t in SECRET_INPUTS)],
    },
    # The same, one process per test (json checker): the control for sec/batch-small.
    {
        "format": "grader.v1", "id": "sec/call-small", "title": "Marker of a string, 64 MiB",
        "kind": "call", "entry_point": "marker",
        "limits": {"time_s": 1, "memory_mb": 64, "output_mb": 1},
        "tests": [{"input": f'"{PUBLIC_INPUT.strip()}"', "output": f'"{answer(PUBLIC_INPUT)}"',
                   "public": True},
                  *({"input": f'"{t.strip()}"', "output": f'"{answer(t)}"', "public": False}
                    for t in SECRET_INPUTS)],
    },
    # The default output limit (16 MiB), for answers of the largest size a result may carry.
    {
        "format": "grader.v1", "id": "sec/big", "title": "Marker of a string, big limit", "kind": "call",
        "entry_point": "marker",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 16},
        "tests": [{"input": f'"{PUBLIC_INPUT.strip()}"', "output": f'"{answer(PUBLIC_INPUT)}"',
                   "public": True}],
    },
    # An attack that is run for what it finds prints SAFE when every attempt was refused; anything
    # else (BREACH and what it reached, or a crash) fails the test, with the output in the detail.
    # Probes make thousands of system calls (filling every writable place, 4096 shm segments),
    # which gVisor makes slow on a loaded machine: they get more CPU time than the attacks.
    {
        "format": "grader.v1", "id": "sec/probe", "title": "Probe", "kind": "stdin",
        "limits": {"time_s": 8, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": "", "output": "SAFE\n", "public": True}],
    },
    # One question per checker, for hostile answers to the judge (test_judge.py): the expected
    # answer is small, the output limit large enough for a 16 MiB line of numbers.
    *({"format": "grader.v1", "id": f"sec/judge-{checker}", "title": f"Judge {checker}", "kind": "stdin",
       "checker": checker, "limits": {"time_s": 4, "memory_mb": 256, "output_mb": 16},
       "tests": [{"input": "", "output": "1 2 3\n", "public": True},
                 {"input": "", "output": "1 2 3\n", "public": False}]}
      for checker in JUDGE_TEXT_CHECKERS),
    *({"format": "grader.v1", "id": f"sec/judge-{checker}", "title": f"Judge {checker}", "kind": "call",
       "entry_point": "f", "checker": checker, "limits": {"time_s": 4, "memory_mb": 256, "output_mb": 16},
       "tests": [{"input": "3", "output": "[1.0, 2.0, 3.0]", "public": True},
                 {"input": "3", "output": "[1.0, 2.0, 3.0]", "public": False}]}
      for checker in ("json", "evalplus")),
    {
        # p(x) = x - 2: the one root is 2.
        "format": "grader.v1", "id": "sec/judge-poly_root", "title": "Judge poly_root", "kind": "call",
        "entry_point": "f", "checker": "poly_root",
        "limits": {"time_s": 4, "memory_mb": 256, "output_mb": 16},
        "tests": [{"input": "[-2, 1]", "output": "2.0", "public": True},
                  {"input": "[-2, 1]", "output": "2.0", "public": False}],
    },
]  # fmt: skip

CORRECT_STDIN = (
    "import hashlib\nprint('MARK' + 'ER-' + hashlib.sha256(input().strip().encode()).hexdigest()[:16])\n"
)
CORRECT_CALL = (
    "import hashlib\nclass Solution:\n    def marker(self, s):\n"
    "        return 'MARK' + 'ER-' + hashlib.sha256(s.encode()).hexdigest()[:16]\n"
)


@pytest.fixture(scope="session")
def security_log() -> Iterator[io.StringIO]:
    """Every log line the server writes while the suite runs, as JSON, for leak checks."""
    if not structlog.is_configured():
        logs.configure("debug", json_logs=True)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=logs.SHARED_PROCESSORS,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(),
            ],
        )
    )
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield captured
    root.removeHandler(handler)


@pytest.fixture(scope="session")
def secure_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("security")
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "questions.jsonl", QUESTIONS)])
    return tmp / "bank.db"


@pytest.fixture(scope="session")
def target(secure_bank: Path, security_log: io.StringIO) -> Iterator[RunningServer]:
    """The server under attack: one pooled container, a small memory limit (attacks hit it fast)."""
    require_docker()
    running = start_server(
        secure_bank,
        docker=docker_settings(runtime=RUNTIME, wall_extra_s=1.0),  # GRADER_SANDBOX_IMAGE's image
        pool=PoolSettings(size=1, max_uses=10_000, memory_limit_mb=256),
        max_concurrent=1,
    )
    yield running
    running.stop()


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
