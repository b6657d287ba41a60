"""The candidate's side: fork servers (zygotes) that run each test in a fresh forked process.

    python3 -B -s child.py UID GID NPROC   (as root; fd 3: the root control socket)

The root zygote imports what every test needs, once per container. For each submission it forks
a submission zygote, which takes the candidate's uid and gid (UID, GID) for good, compiles the
code once (a SyntaxError is reported once, before any test) and forks one worker per test: a
fork costs about a millisecond where a new interpreter costs tens. The root zygote outlives every
submission, so it keeps root's uid (with the container's only capabilities, SETUID and SETGID):
no candidate process can change its limits, priority, affinity or OOM score, nor signal it
(docs/security.md). No zygote ever runs candidate code, and the root never even compiles it, so
every submission and every worker starts from the same clean state. Zygotes are not dumpable, so
a worker (same uid) can neither trace its submission zygote nor read its memory or descriptors,
and each worker closes its control socket before the candidate's code runs.

Control messages (JSON, one per SOCK_SEQPACKET datagram):
    root -> supervisor     {"ready": true}
    supervisor -> root     {"kind", "entry_point", "prelude"} + fd [the submission's control socket]
    root -> supervisor     {"pid": n}
    zygote -> supervisor   {"ready": true} | {"compile_error": msg}
    supervisor -> zygote   {"cpu_limit": s, "stack": bytes, "batch": b}
                           + fds [stdin, stdout, stderr, result, nonce]
    zygote -> supervisor   {"pid": n}, then {"status": n, "utime": s, "stime": s, "maxrss": kb}

A worker's result channel is fd 3: one JSON line per report, each carrying the test's nonce (read
from fd 4 before the candidate runs); the shapes are protocol.py's `Report`. The candidate can
forge any of them, so they are only ever its answer: a compile error comes from the zygote's
hello alone, and every measurement from the supervisor. The candidate's own stdout is never taken
as a result for call and humaneval questions, so printed markers mean nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import os
import random
import resource
import signal
import socket
import sys
import threading
import traceback
import types
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

if __package__:  # imported as grader.runner.child
    from grader.runner.codec import MESSAGE_LIMIT, call_arguments, tagged
    from grader.runner.environment import PRELOAD_ENV, preload
else:  # run as a script in the sandbox, with no PYTHONPATH: its own directory is sys.path[0]
    from codec import MESSAGE_LIMIT, call_arguments, tagged  # type: ignore[import-not-found,no-redef]
    from environment import PRELOAD_ENV, preload  # type: ignore[import-not-found,no-redef]

# LiveCodeBench runs candidates with this import block in front; questions from it rely on it
# (e.g. `List[int]` annotations without importing typing).
PRELUDE_MODULES = [
    *("string", "re", "datetime", "collections", "heapq", "bisect", "copy", "math", "random"),
    *("statistics", "itertools", "functools", "operator", "io", "sys", "json"),
]
LCB_PRELUDE = "\n".join(
    [
        *(f"from {m} import *" for m in [*PRELUDE_MODULES, "builtins", "typing"]),
        *(f"import {m}" for m in PRELUDE_MODULES),
        "sys.setrecursionlimit(50000)",
    ]
)

CODE_PATH = "/code/main.py"
PR_SET_DUMPABLE = 4
LIBC = ctypes.CDLL(None)
JSON_DUMPS = json.dumps  # bound at import, before any candidate code


def send(control: socket.socket, **message: Any) -> None:
    control.send(json.dumps(message).encode())


def forks(
    control: socket.socket, child: Callable[[dict[str, Any], list[int]], None], max_fds: int, min_fds: int,
    exit_code: int,
) -> Iterator[tuple[int, list[int]]]:  # fmt: skip
    """A fork server's loop: for each request on `control` (with `min_fds` to `max_fds`
    descriptors), forks a child that closes `control`, runs `child` and exits; yields its pid and
    the descriptors, which the parent closes. Ends when the supervisor is gone."""
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(control, 65536, max_fds)
        except OSError:
            return
        if not data or len(fds) < min_fds:
            return
        request = json.loads(data)
        pid = os.fork()
        if pid == 0:
            try:
                control.close()
                child(request, fds)
            finally:
                os._exit(exit_code)
        yield pid, fds


def main() -> None:
    """The root zygote: imports everything once, then forks one submission zygote per request.

    It never compiles or runs candidate code, so what it hands each submission is clean.
    """
    uid, gid, nproc = (int(arg) for arg in sys.argv[1:4])
    root = socket.socket(fileno=3)
    exec(LCB_PRELUDE, {})  # imports the prelude's modules once; forks inherit them loaded
    preload(os.environ.get(PRELOAD_ENV, ""))
    set_dumpable(0)
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps submission zygotes
    send(root, ready=True)

    def submission_zygote(request: dict[str, Any], fds: list[int]) -> None:
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        become_candidate(uid, gid, nproc)
        serve_submission(socket.socket(fileno=fds[0]), request["kind"], request["entry_point"],
                         request["prelude"])  # fmt: skip

    for pid, fds in forks(root, submission_zygote, max_fds=1, min_fds=1, exit_code=0):
        os.close(fds[0])
        send(root, pid=pid)


def become_candidate(uid: int, gid: int, nproc: int) -> None:
    """A submission zygote leaves root's uid for the candidate's, for good: every id, and with
    them every capability. `nproc`: the candidate uid's RLIMIT_NPROC (gVisor only, see
    runner/gvisor.py), set here so that root's own processes are never counted against it."""
    if nproc:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)
    if 0 in (*os.getresuid(), *os.getresgid()):
        raise PermissionError("still root")


def serve_submission(control: socket.socket, kind: str, entry_point: str, prelude: str) -> None:
    """A submission zygote: compiles the code once, then forks one worker per test."""
    with open(CODE_PATH, encoding="utf-8", errors="replace") as f:
        source = f.read()
    try:
        code = compile(source, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as exc:
        send(control, compile_error=f"{type(exc).__name__}: {exc}"[:2000])
        return
    if kind == "unittest":
        module = suite_runner().with_suite(source)
        if isinstance(module, str):
            send(control, compile_error=module)
            return
        code = module
    del source
    send(control, ready=True)

    def worker(request: dict[str, Any], fds: list[int]) -> None:
        become_worker(fds, request)
        if request.get("batch"):
            run_batch(entry_point, prelude, code)
        if kind == "unittest":
            run_unittest(code)
        run_test(kind, entry_point, prelude, code)

    for pid, fds in forks(control, worker, max_fds=8, min_fds=0, exit_code=70):
        for fd in fds:
            os.close(fd)
        send(control, pid=pid)
        _, status, usage = os.wait4(pid, 0)
        send(control, status=status, utime=usage.ru_utime, stime=usage.ru_stime, maxrss=usage.ru_maxrss)


def set_dumpable(value: int) -> None:
    with contextlib.suppress(OSError, AttributeError):
        LIBC.prctl(PR_SET_DUMPABLE, value, 0, 0, 0)


def become_worker(fds: list[int], request: dict[str, Any]) -> None:
    os.setsid()
    # Lift the received descriptors clear of 0-4 first, so no dup2 overwrites one still needed.
    high = [fcntl.fcntl(fd, fcntl.F_DUPFD, 100) for fd in fds]
    for target, fd in enumerate(high):
        os.dup2(fd, target)
    os.closerange(len(fds), 65536)
    cpu = int(request["cpu_limit"])
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
    stack = int(request["stack"])
    resource.setrlimit(resource.RLIMIT_STACK, (stack, stack))
    random.seed()  # as a fresh interpreter would, not the zygote's state
    set_dumpable(1)  # an ordinary process again


def candidate_namespace(module_name: str, prelude: str) -> dict[str, Any]:
    """A fresh module for the candidate's code (registered, so pickling and dataclasses work),
    with the prelude run in it, and argv and sys.path as for a program `main.py` in /code."""
    module = types.ModuleType(module_name)
    module.__file__ = "main.py"
    sys.modules[module_name] = module
    namespace = module.__dict__
    if prelude == "lcb":
        exec(LCB_PRELUDE, namespace)
    sys.argv = ["main.py"]
    sys.path[0] = "/code"
    return namespace


def reporter() -> Callable[..., None]:
    """Writes result lines to fd 3, each with the nonce read (once) from fd 4. What it uses is
    bound now, before the candidate runs, so rebinding os.write or json.dumps cannot change a
    report."""
    write, dumps = os.write, json.dumps
    nonce = os.read(4, 64).decode()
    os.close(4)

    def report(**fields: object) -> None:
        fields["nonce"] = nonce
        data = dumps(fields, default=repr).encode() + b"\n"
        with contextlib.suppress(OSError):
            while data:
                data = data[write(3, data) :]

    return report


def value_fields(value: Any) -> dict[str, Any]:
    """A returned value as plain JSON (tuples become lists) and as tagged JSON (types kept)."""
    fields: dict[str, Any] = {}
    try:
        fields["value"] = JSON_DUMPS(value, allow_nan=True)
    except (TypeError, ValueError, RecursionError):
        fields["not_serializable"] = type(value).__name__
    fields.update(typed_fields(value))
    fields.setdefault("typed", None)
    return fields


def typed_fields(value: Any) -> dict[str, Any]:
    """A returned value as tagged JSON only (batches: the checkers there read nothing else, and
    some answers are megabytes long)."""
    try:
        return {"typed": JSON_DUMPS(tagged(value), allow_nan=True)}
    except (TypeError, ValueError, RecursionError):
        return {"not_serializable": type(value).__name__}


def run_test(kind: str, entry_point: str, prelude: str, code: types.CodeType) -> NoReturn:
    exit_now = os._exit
    report = reporter()

    def exception_report(exc: BaseException) -> None:
        report(exception=type(exc).__name__, message=str(exc)[:MESSAGE_LIMIT])

    sys.set_int_max_str_digits(0)
    data_in = sys.stdin.read() if kind != "stdin" else ""
    namespace = candidate_namespace("__main__" if kind == "stdin" else "solution", prelude)

    if kind == "stdin":
        exit_now(run_program(code, namespace, exception_report))

    try:
        exec(code, namespace)
        if kind == "call":
            args, kwargs = call_arguments(data_in)
            value = resolve_entry_point(namespace, entry_point)(*args, **kwargs)
        else:
            check_namespace = dict(namespace)
            exec(data_in, check_namespace)  # the question's check code
            check_namespace["check"](namespace[entry_point])
            value = None
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included: never a pass
        exception_report(exc)
        flush_quietly()
        exit_now(1)
    if kind == "call":
        report(**value_fields(value))
    else:
        report(passed=True)
    flush_quietly()
    # Skip interpreter shutdown: no atexit hook, excepthook or lingering thread runs after this.
    exit_now(0)


def run_batch(entry_point: str, prelude: str, code: types.CodeType) -> NoReturn:
    """Calls the entry point once per input, in this one process, as EvalPlus does: stdin holds
    one JSON line `[index, input]` per call, fd 3 gets one result line per input, in order. The
    supervisor times each input from outside, from the previous result line to this one, and
    kills this process at an input's limit (a fresh one goes on with the next input)."""
    exit_now = os._exit
    report = reporter()
    sys.set_int_max_str_digits(0)
    inputs = [json.loads(line) for line in sys.stdin.read().split("\n") if line]
    namespace = candidate_namespace("solution", prelude)
    try:
        exec(code, namespace)
        function = resolve_entry_point(namespace, entry_point)
    except BaseException as exc:
        report(fatal=type(exc).__name__, message=str(exc)[:MESSAGE_LIMIT])
        flush_quietly()
        exit_now(1)
    report(ready=True)  # the module has run: the first input's time starts now
    for index, text in inputs:
        try:
            args, kwargs = call_arguments(text)
            value = function(*args, **kwargs)
        except BaseException as exc:  # a failed input; the next ones still run, as in EvalPlus
            report(i=index, exception=type(exc).__name__, message=str(exc)[:MESSAGE_LIMIT])
            continue
        report(i=index, **typed_fields(value))
    flush_quietly()
    exit_now(0)


def run_unittest(code: types.CodeType) -> NoReturn:
    """The answer and its suite as one module named as LiveBench names it, with the names its
    harness puts there (`sys`, `os`, `environ`); see suite.py."""
    exit_now = os._exit
    report = reporter()
    runner = suite_runner()
    namespace = candidate_namespace(runner.SUITE_MODULE, "none")
    namespace.update(__file__=runner.SUITE_MODULE + ".py", sys=sys, os=os, environ=os.environ)
    runner.run_suite(code, report, namespace, exit_now)
    exit_now(70)  # run_suite ends the process itself


def suite_runner() -> types.ModuleType:
    """runner/suite.py, imported by a unittest question's submission zygote only (before any
    candidate code): other submissions' processes do not carry unittest."""
    if __package__:
        from grader.runner import suite
    else:
        import suite  # type: ignore[import-not-found,no-redef]
    return suite


def run_program(code: types.CodeType, namespace: dict[str, Any], on_exception: Any) -> int:
    """Runs a whole program and ends it as the interpreter would; returns the exit status."""
    status = 0
    try:
        exec(code, namespace)
    except SystemExit as exc:
        status = exit_status(exc)
    except BaseException as exc:
        on_exception(exc)
        with contextlib.suppress(BaseException):
            sys.excepthook(type(exc), exc, exc.__traceback__)
        status = 1
    # What Py_FinalizeEx does before tearing down: join non-daemon threads, run atexit hooks.
    try:
        threading._shutdown()  # type: ignore[attr-defined]
        import atexit

        atexit._run_exitfuncs()
    except SystemExit as exc:
        status = exit_status(exc)
    except BaseException:
        with contextlib.suppress(BaseException):
            traceback.print_exc()
    if not flush_quietly() and status == 0:
        status = 120  # as CPython does when flushing stdout fails at exit
    return status


def exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code & 0xFF
    with contextlib.suppress(BaseException):
        print(exc.code, file=sys.stderr)
    return 1


def resolve_entry_point(namespace: dict[str, object], name: str) -> Any:
    """A method of ``Solution`` when the class has it, else a top-level function."""
    solution = namespace.get("Solution")
    if isinstance(solution, type) and hasattr(solution, name):
        return getattr(solution(), name)
    function = namespace.get(name)
    if not callable(function):
        raise NameError(f"no Solution.{name} and no function {name} defined")
    return function


def flush_quietly() -> bool:
    ok = True
    for stream in (sys.stdout, sys.stderr):
        # The candidate may have closed or replaced the stream.
        try:
            stream.flush()
        except BaseException:
            ok = False
    return ok


if __name__ == "__main__":
    main()
