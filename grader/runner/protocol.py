"""Every message of the runner, typed once (standard library only: the runner uses it in the sandbox).

Three channels, one JSON object per message:

host <-> supervisor: one line each, over the container's attached stdin/stdout. The supervisor
    runs as root and out of the candidate's reach: what it sends is trusted, except the `report`
    fields, which carry what a worker wrote and the host validates (grader/sandbox/results.py).
supervisor <-> zygotes: one SOCK_SEQPACKET datagram each (see child.py). A submission zygote's
    hello comes before any candidate code has run, so its compile error is trusted; the exit
    status it reports is the kernel's (wait4).
worker -> supervisor: the result channel (fd 3 of a worker), one line per report, each carrying
    the test's nonce. Written by the candidate's own process, so untrusted: it may be forged,
    duplicated, reordered or malformed, and is only ever the candidate's answer.

The supervisor never receives expected outputs: it reports what the candidate did, and the judge
outside decides what that means.
"""

from __future__ import annotations

import json
from typing import Any, Literal, NotRequired, TypedDict

PROTOCOL_VERSION = 2

CANDIDATE_UID = 1001
CANDIDATE_GID = 1001

CODE_DIR = "/code"
WORK_DIR = "/tmp"
# Set on the container under gVisor only (see grader/sandbox/runtimes.py and runner/gvisor.py):
NPROC_LIMIT_ENV = "GRADER_NPROC_LIMIT"  # the candidate uid's RLIMIT_NPROC
MEMORY_BUDGET_ENV = "GRADER_MEMORY_BUDGET_KB"  # memory in use at which the candidate is OOM-killed

REPORT_MARGIN = 64 * 1024
"""Bytes a report may take beyond its answer (field names, an exception's message)."""
BATCH_REPORT_LIMIT = 32 * 1024 * 1024
"""Bytes of reports one batch message returns at most; the host asks again for the inputs left."""
COMPILE_ERROR_LIMIT = 2000
"""Characters of a compiler message (written by the zygote before any candidate code runs)."""
MESSAGE_LIMIT = 200
"""Characters of an exception's message in a report."""


def report_limit(kind: str, output_bytes: int) -> int:
    """The most bytes one test's reports may take: a call's answer comes in two encodings (plain
    and tagged JSON), each within the output limit; anything more is OUTPUT_LIMIT_EXCEEDED."""
    return (2 if kind == "call" else 1) * output_bytes + REPORT_MARGIN


# ---- host -> supervisor ------------------------------------------------------------------------


class Limits(TypedDict):
    time_s: float  # CPU seconds per test, and per input of a batch
    wall_s: float  # wall-clock backstop per test, and per input of a batch
    memory_kb: int
    output_bytes: int  # stdout, and a test's report (see report_limit)


class SubmissionMessage(TypedDict):
    type: Literal["submission"]
    code: str
    kind: str  # "stdin" | "call" | "humaneval" | "unittest"
    entry_point: str
    prelude: str  # "none" | "lcb"
    limits: Limits
    suite: NotRequired[str]  # unittest: the suite's source, appended to the code as one module


class TestMessage(TypedDict):
    type: Literal["test"]
    index: int
    input: str


class BatchMessage(TypedDict):
    """Call inputs run one after another by one worker each can restart (EvalPlus-style)."""

    type: Literal["batch"]
    index: int  # the first input's test index
    inputs: list[str]


class SuiteMessage(TypedDict):
    """unittest: run the code with its suite once, in one worker; limits.time_s is the whole
    suite's CPU time."""

    type: Literal["suite"]
    index: int  # the first method's test index
    methods: list[str]  # the TestCases methods, in unittest's loader order


class ResetMessage(TypedDict):
    type: Literal["reset"]


# ---- supervisor -> host ------------------------------------------------------------------------


class HelloMessage(TypedDict):
    type: Literal["hello"]
    protocol: int
    python: str


class LoadedMessage(TypedDict):
    type: Literal["loaded"]


class Measured(TypedDict):
    """What the supervisor measured of one test or one batched input: never the candidate's word."""

    exit_code: int | None  # None: killed by a signal, or still running when its input ended
    signal: int | None
    cpu_ms: float  # /proc and wait4, all threads
    wall_ms: float
    peak_memory_kb: int
    timed_out: bool  # killed at the CPU limit or the wall-clock backstop (or the batch's budget)
    oom_killed: bool
    output_exceeded: bool  # stdout or the reports over their limit


class ResultMessage(Measured):
    """One test."""

    type: Literal["result"]
    index: int
    compile_error: str | None  # the zygote's, before any candidate code ran; then nothing ran
    stdout: str  # base64, at most the output limit (the candidate's answer to a stdin question)
    stderr_tail: str  # the last bytes of stderr, text (the candidate's)
    reports: list[Any]  # every result line with the test's nonce, nonce removed (untrusted)


class BatchItem(Measured):
    """One input of a batch: its CPU time is from handing it over (the worker's previous answer,
    or the worker's start) to its answer."""

    report: Any  # the result line answering it, nonce removed (untrusted); None: none came


class BatchResultMessage(TypedDict):
    type: Literal["batch_result"]
    index: int
    compile_error: str | None
    items: list[BatchItem]  # the first inputs, in order; fewer than sent when the reports filled


class SuiteResultMessage(TypedDict):
    """unittest: one item per method, in order. The method running when the worker ended (the
    suite's limit, a crash) carries how it ended; the ones after it have report None."""

    type: Literal["suite_result"]
    index: int
    compile_error: str | None
    items: list[BatchItem]


class ResetDoneMessage(TypedDict):
    """clean: no candidate process, file or IPC object left, and no long-lived process changed."""

    type: Literal["reset_done"]
    clean: bool
    leftovers: int
    changed: list[str]  # the long-lived processes' settings found changed (runner/standing.py)


class ErrorMessage(TypedDict):
    """The supervisor could not do what was asked: our failure."""

    type: Literal["error"]
    message: str


# ---- supervisor <-> zygotes (control socket datagrams) -----------------------------------------


class ZygoteReady(TypedDict):
    ready: Literal[True]


class ZygoteCompileError(TypedDict):
    compile_error: str


class SpawnRequest(TypedDict):
    """To the root zygote, with the submission's control socket."""

    kind: str
    entry_point: str
    prelude: str


class ForkRequest(TypedDict):
    """To a submission zygote, with fds [stdin, stdout, stderr, result channel, nonce]."""

    cpu_limit: int  # RLIMIT_CPU, whole seconds: the last resort behind the supervisor's watch
    stack: int
    batch: bool


class Forked(TypedDict):
    pid: int


class Exited(TypedDict):
    status: int  # from wait4, as are the rest
    utime: float
    stime: float
    maxrss: int


# ---- worker -> supervisor: result lines (untrusted) -------------------------------------------


class CallAnswer(TypedDict):
    """A call's return value: plain JSON (`value`) and tagged JSON (`typed`, codec.py), either
    replaced by `not_serializable` (the type's name) when it has no such form. Batches send
    `typed` only, and `i`."""

    nonce: str
    i: NotRequired[int]  # a batch: the input's test index
    value: NotRequired[str]
    typed: NotRequired[str | None]
    not_serializable: NotRequired[str]


class ExceptionReport(TypedDict):
    """The call, the check or the program raised."""

    nonce: str
    i: NotRequired[int]  # a batch: the input's test index
    exception: str  # the type's name
    message: str


class PassedReport(TypedDict):
    """humaneval: check() returned."""

    nonce: str
    passed: Literal[True]


class FatalReport(TypedDict):
    """A batch's worker could not start calling: the code raised, or the entry point is missing.
    Every input left gets it."""

    nonce: str
    fatal: str
    message: str


class ReadyReport(TypedDict):
    """A batch's worker has run the module and found the entry point: its first input starts.
    Only the first line of a worker may say so; the supervisor takes it, the host never sees it."""

    nonce: str
    ready: Literal[True]


class MethodStart(TypedDict):
    """unittest: method `i` starts (the supervisor takes it, for which method a limit stops)."""

    nonce: str
    i: int
    start: Literal[True]


class MethodOutcome(TypedDict):
    """unittest: method `i` ended: "pass", "fail" (an assertion) or "error" (with the exception's
    type). Never a message or a traceback: those carry the suite's hidden data."""

    nonce: str
    i: int
    outcome: str
    exception: NotRequired[str]


Report = CallAnswer | ExceptionReport | PassedReport | FatalReport | ReadyReport | MethodStart | MethodOutcome


def encode(message: Any) -> bytes:
    """Serialises one message as a line."""
    return json.dumps(message, separators=(",", ":")).encode() + b"\n"


def decode(line: bytes) -> dict[str, Any]:
    """Parses one line; raises ValueError for anything that is not a JSON object."""
    try:
        message = json.loads(line)
    except RecursionError as exc:  # a worker's line nested past the recursion limit
        raise ValueError("message nested too deeply") from exc
    if not isinstance(message, dict):
        raise ValueError("message is not a JSON object")
    return message
