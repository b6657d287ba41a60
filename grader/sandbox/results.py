"""The supervisor's result messages (grader/runner/protocol.py), parsed and validated once.

What the supervisor measured is trusted: a message that breaks the protocol there is our failure
(ReplyError). What a worker wrote on its result channel is the candidate's, who can forge it: any
shape other than the runner's own becomes an Answer marked malformed, a candidate verdict, never an
error. The two end up in different types (interface.py): TestRun and its Answer.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
from collections.abc import Callable
from typing import Any, TypeVar

from grader.runner import protocol
from grader.sandbox.interface import Answer, ProgramKind, TestRun

_T = TypeVar("_T")


class ReplyError(ValueError):
    """The supervisor's message is not what the protocol says: our failure."""


class SupervisorError(Exception):
    """The supervisor could not do what was asked (protocol.ErrorMessage): our failure."""


def parse_reply(line: bytes, parse: Callable[[dict[str, Any]], _T]) -> _T:
    """One reply line of the supervisor, parsed by `parse` (in a thread or a process of
    grader/offload.py when it is large)."""
    try:
        reply = protocol.decode(line)
    except ValueError as exc:
        raise ReplyError("unreadable reply") from exc
    if reply.get("type") == "error":
        raise SupervisorError(str(reply.get("message")))
    return parse(reply)


def _field(message: dict[str, Any], name: str, kinds: type | tuple[type, ...]) -> Any:
    value = message.get(name)
    if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in _tuple(kinds)):
        raise ReplyError(f"field {name!r} is {type(value).__name__}")
    return value


def _tuple(kinds: type | tuple[type, ...]) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _measured(message: dict[str, Any], answer: Answer) -> TestRun:
    """protocol.Measured's fields, type-checked, beside the candidate's answer."""
    return TestRun(
        exit_code=_field(message, "exit_code", (int, type(None))),
        signal=_field(message, "signal", (int, type(None))),
        cpu_ms=float(_field(message, "cpu_ms", (int, float))),
        wall_ms=float(_field(message, "wall_ms", (int, float))),
        peak_memory_kb=_field(message, "peak_memory_kb", int),
        timed_out=_field(message, "timed_out", bool),
        oom_killed=_field(message, "oom_killed", bool),
        output_exceeded=_field(message, "output_exceeded", bool),
        answer=answer,
    )


def _compile_error(message: dict[str, Any]) -> str | None:
    value: str | None = _field(message, "compile_error", (str, type(None)))
    return value


def compiled_not(compile_error: str) -> TestRun:
    """A test that did not run: the code does not compile."""
    return TestRun(None, None, 0.0, 0.0, 0, False, False, False, compile_error=compile_error)


def parse_result(message: dict[str, Any], kind: ProgramKind, index: int) -> TestRun:
    """A protocol.ResultMessage for test `index`."""
    if message.get("type") != "result" or message.get("index") != index:
        raise ReplyError(f"expected the result of test {index}, got {message.get('type')!r}")
    compile_error = _compile_error(message)
    if compile_error is not None:
        return compiled_not(compile_error)
    try:
        stdout = base64.b64decode(_field(message, "stdout", str), validate=True)
    except binascii.Error as exc:
        raise ReplyError("stdout is not base64") from exc
    stderr_tail = _field(message, "stderr_tail", str)
    reports = _field(message, "reports", list)
    if not reports:
        answer = Answer(stdout=stdout, stderr_tail=stderr_tail)
    elif len(reports) > 1:
        answer = Answer(stdout=stdout, stderr_tail=stderr_tail, reported=True,
                        malformed=f"{len(reports)} results for one test")  # fmt: skip
    else:
        answer = parse_answer(reports[0], kind, stdout=stdout, stderr_tail=stderr_tail)
    return _measured(message, answer)


def parse_batch_result(message: dict[str, Any], first: int, count: int) -> tuple[str | None, list[TestRun]]:
    """A protocol.BatchResultMessage for inputs `first`...: the compile error, or a run for each
    of the first inputs (at least one, at most `count`)."""
    if message.get("type") != "batch_result" or message.get("index") != first:
        raise ReplyError(f"expected the batch result from input {first}, got {message.get('type')!r}")
    compile_error = _compile_error(message)
    if compile_error is not None:
        return compile_error, []
    items = _field(message, "items", list)
    if not 0 < len(items) <= count:
        raise ReplyError(f"{len(items)} results for a batch of {count}")
    runs = []
    for offset, item in enumerate(items):
        if not isinstance(item, dict):
            raise ReplyError("a batch item is not an object")
        report = item.get("report")
        answer = Answer() if report is None else parse_answer(report, ProgramKind.CALL, index=first + offset)
        runs.append(_measured(item, answer))
    return None, runs


def parse_suite_result(message: dict[str, Any], first: int, count: int) -> tuple[str | None, list[TestRun]]:
    """A protocol.SuiteResultMessage for methods `first`...: the compile error, or a run for each
    of the `count` methods; a method with no report did not run or did not end (how the worker
    ended is in the measured fields of the one it was in)."""
    if message.get("type") != "suite_result" or message.get("index") != first:
        raise ReplyError(f"expected the suite result from method {first}, got {message.get('type')!r}")
    compile_error = _compile_error(message)
    if compile_error is not None:
        return compile_error, []
    items = _field(message, "items", list)
    if len(items) != count:
        raise ReplyError(f"{len(items)} results for a suite of {count}")
    runs = []
    for offset, item in enumerate(items):
        if not isinstance(item, dict):
            raise ReplyError("a suite item is not an object")
        report = item.get("report")
        answer = Answer() if report is None else parse_outcome(report, first + offset)
        runs.append(dataclasses.replace(_measured(item, answer), not_run=item.get("not_run") is True))
    return None, runs


OUTCOMES = frozenset({"pass", "fail", "error"})
EXCEPTION_NAME_LIMIT = 100


def parse_outcome(report: object, index: int) -> Answer:
    """unittest: one method's outcome line (nonce removed), or a fatal report (the module raised,
    the suite was altered); anything else is malformed. Never raises."""
    base = Answer(reported=True)
    if not isinstance(report, dict):
        return dataclasses.replace(base, malformed="a result that is not an object")
    fields = dict(report)
    if set(fields) == {"fatal", "message"} and isinstance(fields["fatal"], str):
        return dataclasses.replace(base, exception=fields["fatal"][:EXCEPTION_NAME_LIMIT], outcome="error")
    if fields.pop("i", None) != index:
        return dataclasses.replace(base, malformed=f"a result out of order (expected method {index})")
    outcome, exception = fields.pop("outcome", None), fields.pop("exception", "")
    if fields or outcome not in OUTCOMES or not isinstance(exception, str):
        return dataclasses.replace(base, malformed="not a method's outcome")
    return dataclasses.replace(base, outcome=str(outcome), exception=exception[:EXCEPTION_NAME_LIMIT])


_CALL_KEYS = frozenset({"value", "typed", "not_serializable"})


def parse_answer(
    report: object,
    kind: ProgramKind,
    *,
    index: int | None = None,
    stdout: bytes = b"",
    stderr_tail: str = "",
) -> Answer:
    """One result line (nonce removed) as the runner writes it for a question of this kind, or
    for input `index` of a batch; anything else is malformed. Never raises."""
    base = Answer(stdout=stdout, stderr_tail=stderr_tail, reported=True)

    def malformed(why: str) -> Answer:
        return Answer(stdout=stdout, stderr_tail=stderr_tail, reported=True, malformed=why)

    if not isinstance(report, dict):
        return malformed("a result that is not an object")
    fields = dict(report)
    if index is not None:
        if "fatal" in fields:
            fields["exception"] = fields.pop("fatal")
        elif fields.pop("i", None) != index:
            return malformed(f"a result out of order (expected input {index})")
    keys = frozenset(fields)
    if keys == {"exception", "message"}:
        exception, message = fields["exception"], fields["message"]
        if isinstance(exception, str) and isinstance(message, str):
            return dataclasses.replace(base, exception=exception, message=message)
        return malformed("an exception that is not text")
    if kind is ProgramKind.HUMANEVAL and index is None and keys == {"passed"}:
        if fields["passed"] is True:
            return dataclasses.replace(base, passed=True)
        return malformed("a check result other than true")
    if kind is ProgramKind.CALL and keys and keys <= _CALL_KEYS:
        value, typed, kind_name = fields.get("value"), fields.get("typed"), fields.get("not_serializable", "")
        if index is not None and "value" in keys:
            return malformed("a plain value in a batch")
        if not (
            isinstance(value, str | None) and isinstance(typed, str | None) and isinstance(kind_name, str)
        ):
            return malformed("a value that is not JSON text")
        if value is None and typed is None and not kind_name:
            return malformed("a result without a value")
        return dataclasses.replace(base, value=value, typed=typed, not_serializable=kind_name)
    return malformed(f"a result with fields {sorted(keys)[:8]}")
