"""Runs the candidate's code in a fresh process, as the candidate's uid (standard library only).

    python3 -B child.py KIND ENTRY_POINT PRELUDE

fd 3 is the result channel (one JSON line), fd 4 holds a one-time nonce the supervisor wrote
before starting us. The candidate's own stdout (fd 1) is never read as a result for call and
humaneval questions, so printed markers mean nothing. A result line carries the nonce, so a
candidate writing to fd 3 without reaching into this process's memory cannot forge one.

Results:
    {"nonce", "compile_error": msg}            the code does not compile
    {"nonce", "exception": name, "message"}    an exception escaped the candidate's code
    {"nonce", "value": json}                   call: the entry point's return value, as JSON
    {"nonce", "not_serializable": type}        call: the return value has no JSON form
    {"nonce", "passed": true}                  humaneval: check(candidate) returned
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import types

# LiveCodeBench runs candidates with this import block in front; questions from it rely on it
# (e.g. `List[int]` annotations without importing typing).
LCB_PRELUDE = "\n".join(
    [
        *(
            f"from {m} import *"
            for m in [
                "string",
                "re",
                "datetime",
                "collections",
                "heapq",
                "bisect",
                "copy",
                "math",
                "random",
                "statistics",
                "itertools",
                "functools",
                "operator",
                "io",
                "sys",
                "json",
                "builtins",
                "typing",
            ]
        ),
        *(
            f"import {m}"
            for m in [
                "string",
                "re",
                "datetime",
                "collections",
                "heapq",
                "bisect",
                "copy",
                "math",
                "random",
                "statistics",
                "itertools",
                "functools",
                "operator",
                "io",
                "sys",
                "json",
            ]
        ),
        "sys.setrecursionlimit(50000)",
    ]
)

CODE_PATH = "/code/main.py"
MESSAGE_LIMIT = 200


def main() -> None:
    kind, entry_point, prelude = sys.argv[1], sys.argv[2], sys.argv[3]
    # Bound before the candidate runs, so rebinding os.write or json.dumps cannot change a report.
    write, dumps, exit_now = os.write, json.dumps, os._exit
    nonce = os.read(4, 64).decode()
    os.close(4)

    def report(**fields: object) -> None:
        fields["nonce"] = nonce
        data = dumps(fields, default=repr).encode() + b"\n"
        while data:
            data = data[write(3, data) :]

    def exception_report(exc: BaseException) -> None:
        report(exception=type(exc).__name__, message=str(exc)[:MESSAGE_LIMIT])

    sys.set_int_max_str_digits(0)
    data_in = sys.stdin.read() if kind != "stdin" else ""
    with open(CODE_PATH, encoding="utf-8", errors="replace") as f:
        source = f.read()
    try:
        code = compile(source, "main.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, OverflowError, MemoryError, RecursionError) as exc:
        report(compile_error=f"{type(exc).__name__}: {exc}"[:2000])
        exit_now(1)

    module = types.ModuleType("__main__" if kind == "stdin" else "solution")
    module.__file__ = "main.py"
    sys.modules[module.__name__] = module
    namespace = module.__dict__
    if prelude == "lcb":
        exec(LCB_PRELUDE, namespace)
    sys.argv = ["main.py"]
    sys.path[0] = "/code"

    if kind == "stdin":
        try:
            exec(code, namespace)
        except SystemExit:
            raise
        except BaseException as exc:
            exception_report(exc)
            raise
        return  # normal interpreter exit: flushes stdout, joins the candidate's threads

    try:
        exec(code, namespace)
        if kind == "call":
            args = [json.loads(line) for line in data_in.split("\n") if line.strip()]
            value = resolve_entry_point(namespace, entry_point)(*args)
        else:
            check_namespace = dict(namespace)
            exec(data_in, check_namespace)
            check_namespace["check"](namespace[entry_point])
            value = None
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included: never a pass
        exception_report(exc)
        flush_quietly()
        exit_now(1)
    if kind == "call":
        try:
            text = dumps(value, allow_nan=True)
        except (TypeError, ValueError, RecursionError):
            report(not_serializable=type(value).__name__)
        else:
            report(value=text)
    else:
        report(passed=True)
    flush_quietly()
    # Skip interpreter shutdown: no atexit hook, excepthook or lingering thread runs after this.
    exit_now(0)


def resolve_entry_point(namespace: dict[str, object], name: str) -> types.FunctionType:
    """A method of ``Solution`` when the class has it, else a top-level function."""
    solution = namespace.get("Solution")
    if isinstance(solution, type) and hasattr(solution, name):
        return getattr(solution(), name)  # type: ignore[no-any-return]
    function = namespace.get(name)
    if not callable(function):
        raise NameError(f"no Solution.{name} and no function {name} defined")
    return function  # type: ignore[return-value]


def flush_quietly() -> None:
    for stream in (sys.stdout, sys.stderr):
        # The candidate may have closed or replaced the stream.
        with contextlib.suppress(BaseException):
            stream.flush()


if __name__ == "__main__":
    main()
