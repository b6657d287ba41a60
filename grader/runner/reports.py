"""The shapes of what the supervisor reports (standard library only): the measured fields of a
test or a batch's input that ran nothing, and the worker's result lines, read as untrusted (the
host validates what they say: grader/sandbox/results.py).
"""

from __future__ import annotations

from typing import Any

from grader.runner import protocol


def blank_result() -> dict[str, Any]:
    """A ResultMessage's fields for a test that ran nothing."""
    return {**blank_item(), "compile_error": None, "stdout": "", "stderr_tail": "", "reports": []}


def blank_item(**fields: Any) -> dict[str, Any]:
    """Measured fields (protocol.Measured) of nothing run, updated with `fields`."""
    item: dict[str, Any] = {
        "exit_code": None,
        "signal": None,
        "cpu_ms": 0.0,
        "wall_ms": 0.0,
        "peak_memory_kb": 0,
        "timed_out": False,
        "oom_killed": False,
        "output_exceeded": False,
        "report": None,
    }
    item.update(fields)
    return item


def parse_reports(data: bytes, nonce: str) -> list[dict[str, Any]]:
    """The result lines carrying this nonce, in order, nonce removed; anything else is ignored
    (what they say is the host's to judge: see grader/sandbox/results.py)."""
    reports = []
    for line in data.split(b"\n"):
        try:
            message = protocol.decode(line)
        except ValueError:
            continue
        if message.pop("nonce", None) == nonce:
            reports.append(flat(message))
    return reports


def flat(report: dict[str, Any]) -> dict[str, Any]:
    """The report if its fields are scalars, as the runner writes them; else one the host finds
    malformed (RUNTIME_ERROR), so that nothing nested is ever forwarded."""
    if all(value is None or isinstance(value, str | int | float) for value in report.values()):
        return report
    return {"malformed": "a field that is not a scalar"}
