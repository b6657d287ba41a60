"""`grader eval` offline parts: reading a samples file and summarising pass@k."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from grader.evaluate import Sample, SampleFileError, SampleResult, read_samples, summarize


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def row(**fields: Any) -> str:
    return json.dumps(fields)


class TestReadSamples:
    """Each line is question_id + code, or HumanEval's task_id + completion; anything else names its line."""

    def test_question_id_and_code(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "s.jsonl", [row(question_id="q1", code="print(1)", model="m")])
        (sample,) = read_samples(path)
        assert sample.line == 1
        assert sample.question_id == "q1"
        assert sample.code == "print(1)"
        assert sample.completion is None
        assert sample.extra == {"question_id": "q1", "model": "m"}  # the code is not copied

    def test_task_id_and_completion(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "s.jsonl", [row(task_id="HumanEval/0", completion="    return 1\n")])
        (sample,) = read_samples(path)
        assert sample.question_id == "HumanEval/0"
        assert sample.code is None
        assert sample.completion == "    return 1\n"
        assert "completion" not in sample.extra

    def test_question_id_wins_over_task_id(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "s.jsonl", [row(question_id="a", task_id="b", code="x")])
        assert read_samples(path)[0].question_id == "a"

    def test_blank_lines_are_skipped_and_lines_keep_their_numbers(self, tmp_path: Path) -> None:
        lines = [row(question_id="q1", code="a"), "", "   ", row(question_id="q2", code="b")]
        samples = read_samples(write_lines(tmp_path / "s.jsonl", lines))
        assert [(s.line, s.question_id, s.code) for s in samples] == [(1, "q1", "a"), (4, "q2", "b")]

    def test_empty_file(self, tmp_path: Path) -> None:
        assert read_samples(write_lines(tmp_path / "s.jsonl", [])) == []

    def test_bad_json_names_the_line(self, tmp_path: Path) -> None:
        path = write_lines(tmp_path / "s.jsonl", [row(question_id="q1", code="a"), '{"question_id": "q2",'])
        with pytest.raises(SampleFileError, match=r"s\.jsonl:2: not JSON"):
            read_samples(path)

    @pytest.mark.parametrize(
        ("line", "words"),
        [
            (row(code="print(1)"), "needs question_id"),
            (row(question_id="", code="print(1)"), "needs question_id"),
            (row(question_id=7, code="print(1)"), "needs question_id"),
            (row(question_id="q1"), "needs code"),
            (row(question_id="q1", code=None), "needs code"),
            (row(task_id="HumanEval/0", completion=3), "needs code"),
            ('["q1", "print(1)"]', "must be a JSON object"),
        ],
    )
    def test_missing_or_malformed_fields(self, tmp_path: Path, line: str, words: str) -> None:
        path = write_lines(tmp_path / "s.jsonl", [row(question_id="ok", code="x"), line])
        with pytest.raises(SampleFileError) as info:
            read_samples(path)
        assert f"{path}:2:" in str(info.value)
        assert words in str(info.value)


def results(spec: dict[str, list[str]]) -> list[SampleResult]:
    """Results from {question: [verdict per sample]}."""
    out = []
    for qid, verdicts in spec.items():
        for i, verdict in enumerate(verdicts, 1):
            out.append(SampleResult(Sample(i, qid, "code", None), verdict))
    return out


class TestSummarize:
    """pass@k per question and overall, for every k all questions have enough samples for."""

    def test_pass_at_1_and_5(self) -> None:
        out = io.StringIO()
        # alpha: n=10, c=1 -> pass@1 0.1, pass@5 1 - C(9,5)/C(10,5) = 0.5; beta: n=5, c=0 -> 0, 0.
        overall = summarize(
            results({"alpha": ["ACCEPTED"] + ["WRONG_ANSWER"] * 9, "beta": ["TIME_LIMIT_EXCEEDED"] * 5}),
            out,
        )
        assert overall == {"pass@1": pytest.approx(0.05), "pass@5": pytest.approx(0.25)}
        text = out.getvalue()
        assert "pass@1" in text and "pass@5" in text
        assert "pass@10" not in text
        lines = text.splitlines()
        alpha = next(line for line in lines if line.startswith("alpha"))
        assert alpha.split() == ["alpha", "10", "1", "0.1000", "0.5000"]
        last = next(line for line in lines if line.startswith("overall"))
        assert last.split() == ["overall", "15", "1", "0.0500", "0.2500"]

    def test_few_samples_give_pass_at_1_only(self) -> None:
        out = io.StringIO()
        overall = summarize(results({"a": ["ACCEPTED", "WRONG_ANSWER"], "b": ["ACCEPTED"] * 7}), out)
        assert overall == {"pass@1": pytest.approx((0.5 + 1.0) / 2)}
        assert "pass@5" not in out.getvalue()

    def test_every_k_up_to_the_smallest_count(self) -> None:
        overall = summarize(results({"a": ["ACCEPTED"] * 3 + ["WRONG_ANSWER"] * 7}), io.StringIO())
        assert set(overall) == {"pass@1", "pass@5", "pass@10"}
        assert overall["pass@1"] == pytest.approx(0.3)
        assert overall["pass@5"] == pytest.approx(1 - 21 / 252)
        assert overall["pass@10"] == 1.0

    def test_errors_count_as_failed_and_are_mentioned(self) -> None:
        out = io.StringIO()
        overall = summarize(results({"a": ["ACCEPTED", "ERROR_UNAVAILABLE"]}), out)
        assert overall == {"pass@1": pytest.approx(0.5)}
        assert "1 sample(s) could not be graded" in out.getvalue()

    def test_no_error_line_without_errors(self) -> None:
        out = io.StringIO()
        summarize(results({"a": ["ACCEPTED"]}), out)
        assert "could not be graded" not in out.getvalue()

    def test_no_results(self) -> None:
        out = io.StringIO()
        assert summarize([], out) == {}
        assert "overall" in out.getvalue()
