"""Deeply nested JSON in a samples or results file: `FILE:LINE: reason` and exit 2, no traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader import cli
from grader.jsonl import MAX_DEPTH, JsonLinesError, depth, json_lines

GOOD_SAMPLE = '{"question_id": "q", "code": "print(1)"}\n'
GOOD_RESULT = '{"question_id": "q", "verdict": "ACCEPTED"}\n'


def nested(levels: int) -> str:
    return '{"question_id": "q", "code": "x", "meta": ' + "[" * levels + "]" * levels + "}"


@pytest.mark.parametrize("levels", [MAX_DEPTH, 5_000, 1_000_000])
def test_too_deep_names_file_and_line(tmp_path: Path, levels: int) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(GOOD_SAMPLE + "\n" + nested(levels) + "\n")
    with pytest.raises(JsonLinesError, match=rf"^{path}:3: JSON nested deeper than {MAX_DEPTH} levels$"):
        list(json_lines(path))


def test_within_the_limit_is_read(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    path.write_text(nested(MAX_DEPTH - 1) + "\n")
    [(number, value)] = list(json_lines(path))
    assert number == 1 and depth(value) == MAX_DEPTH


def test_depth() -> None:
    assert depth(1) == 0
    assert depth([]) == depth({}) == 1
    assert depth({"a": [1, {"b": []}]}) == 4


@pytest.mark.parametrize("levels", [200, 100_000])
def test_eval_exits_2(tmp_path: Path, levels: int, capsys: pytest.CaptureFixture[str]) -> None:
    samples = tmp_path / "s.jsonl"
    samples.write_text(nested(levels) + "\n")
    assert cli.main(["eval", "--server", "127.0.0.1:1", str(samples)]) == 2
    err = capsys.readouterr().err
    assert f"{samples}:1: JSON nested deeper than" in err and "Traceback" not in err


@pytest.mark.parametrize("levels", [200, 100_000])
def test_report_exits_2(tmp_path: Path, levels: int, capsys: pytest.CaptureFixture[str]) -> None:
    results = tmp_path / "r.jsonl"
    results.write_text(GOOD_RESULT + '{"question_id": "q", "verdict": "x", "m": '
                       + "[" * levels + "]" * levels + "}\n")  # fmt: skip
    code = cli.main(["report", str(results)])
    assert code == 2
    err = capsys.readouterr().err
    assert f"{results}:2: JSON nested deeper than" in err and "Traceback" not in err
