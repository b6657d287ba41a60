"""Reading the result lines `grader eval --out` writes (one JSON object per graded sample)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.jsonl import JsonLinesError, json_lines

UNKNOWN_MONTH = "unknown"
"""The release-month bucket of questions without a release date."""

_MONTH = re.compile(r"(\d{4})-(\d{2})(?:-\d{2}(?:[T ].*)?)?")


class ResultFileError(ValueError):
    """A results file that cannot be read; the message starts with ``FILE:LINE:``."""


@dataclass(frozen=True, slots=True)
class ResultLine:
    model: str
    question_id: str
    verdict: str
    release_month: str
    """``YYYY-MM`` of the question's release date, or :data:`UNKNOWN_MONTH`."""

    @property
    def passed(self) -> bool:
        return self.verdict == "ACCEPTED"


def month_of(text: str) -> str | None:
    """``YYYY-MM`` of an ISO date (``YYYY-MM`` or ``YYYY-MM-DD``, maybe with a time); None if it
    is not one."""
    match = _MONTH.fullmatch(text.strip())
    if match is None or not 1 <= int(match.group(2)) <= 12:
        return None
    return f"{match.group(1)}-{match.group(2)}"


def _line(row: Any, default_model: str) -> ResultLine:
    if not isinstance(row, dict):
        raise ValueError("a result must be a JSON object")
    qid, verdict = row.get("question_id"), row.get("verdict")
    if not isinstance(qid, str) or not qid:
        raise ValueError("needs question_id (a non-empty string)")
    if not isinstance(verdict, str) or not verdict:
        raise ValueError("needs verdict (a non-empty string): is this a file of `grader eval --out`?")
    model = row.get("model", row.get("model_id", default_model))
    if not isinstance(model, str) or not model:
        raise ValueError("model (or model_id) must be a non-empty string")
    released = row.get("release_date") or ""
    if not isinstance(released, str):
        raise ValueError("release_date must be a string (an ISO date)")
    month = UNKNOWN_MONTH
    if released.strip():
        parsed = month_of(released)
        if parsed is None:
            raise ValueError(f"release_date is not an ISO date (YYYY-MM-DD): {released[:40]!r}")
        month = parsed
    return ResultLine(model, qid, verdict, month)


def read_results(paths: Iterable[Path]) -> list[ResultLine]:
    """Every result line of the files, in order. A line's model is its ``model`` (or LiveBench's
    ``model_id``), else the file's name without its extension, so that files of runs without
    a model field compare as one model each. Blank lines are skipped."""
    lines: list[ResultLine] = []
    for path in paths:
        default_model = path.name.removesuffix(".jsonl").removesuffix(".json") or path.name
        try:
            for number, row in json_lines(path):
                try:
                    lines.append(_line(row, default_model))
                except ValueError as exc:
                    raise ResultFileError(f"{path}:{number}: {exc}") from None
        except JsonLinesError as exc:
            raise ResultFileError(str(exc)) from None
    return lines


def parse_cutoff(text: str) -> tuple[str, str]:
    """``MODEL=YYYY-MM`` (a model's training cutoff) as (model, month); ValueError if malformed.
    The model name may itself contain ``=``: the last one separates."""
    model, sep, month = text.rpartition("=")
    parsed = month_of(month) if sep else None
    if not model or parsed is None or len(month.strip()) != len("YYYY-MM"):
        raise ValueError(f"expected MODEL=YYYY-MM, got {text!r}")
    return model, parsed
