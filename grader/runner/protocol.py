"""The wire protocol between the host and the in-container supervisor (standard library only).

One JSON object per line in each direction, over the container's attached stdin/stdout.

host -> supervisor
    {"type": "submission", "code", "kind", "entry_point", "prelude", "limits": {...}}
    {"type": "test", "index", "input"}          run one test of the loaded submission
    {"type": "reset"}                           kill every candidate process, wipe writable places
supervisor -> host
    {"type": "hello", "protocol", "python"}     once, at start
    {"type": "loaded"}                          the submission is in place
    {"type": "result", "index", ...}            one test's raw outcome (see TEST_RESULT_FIELDS)
    {"type": "reset_done", "clean", "leftovers", "changed"}   clean: nothing left, no long-lived
                                                process changed ("changed": which settings)
    {"type": "error", "message"}                the supervisor could not do what was asked

The supervisor never receives expected outputs: it reports what the candidate did, and the judge
outside decides what that means.
"""

from __future__ import annotations

import json
from typing import Any

PROTOCOL_VERSION = 1

CANDIDATE_UID = 1001
CANDIDATE_GID = 1001

CODE_DIR = "/code"
WORK_DIR = "/tmp"
RUNNER_DIR = "/opt/grader/grader/runner"
# Set on the container under gVisor only (see grader/sandbox/runtimes.py and runner/gvisor.py):
NPROC_LIMIT_ENV = "GRADER_NPROC_LIMIT"  # the candidate uid's RLIMIT_NPROC
MEMORY_BUDGET_ENV = "GRADER_MEMORY_BUDGET_KB"  # memory in use at which the candidate is OOM-killed

TEST_RESULT_FIELDS = (
    "stdout",  # str: raw stdout, base64
    "stdout_truncated",  # bool: more than the output limit was written
    "stderr_tail",  # str: the last bytes of stderr, text (candidate-controlled)
    "exit_code",  # int | None
    "signal",  # int | None: the signal that ended the process
    "cpu_ms",  # float
    "wall_ms",  # float
    "peak_memory_kb",  # int
    "timed_out",  # bool: killed at the wall-clock backstop or the CPU limit
    "oom_killed",  # bool: the kernel's OOM killer ended a candidate process
    "report",  # dict | None: what child.py reported on the result channel
)


def encode(message: dict[str, Any]) -> bytes:
    """Serialises one message as a line."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """Parses one line; raises ValueError for anything that is not a JSON object."""
    message = json.loads(line)
    if not isinstance(message, dict):
        raise ValueError("message is not a JSON object")
    return message
