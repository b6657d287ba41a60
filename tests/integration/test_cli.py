"""The command line: `grader bank build` and `grader eval` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from grader.demo import demo_path
from tests.support.cli import grader
from tests.support.server import RunningServer, write_jsonl


class TestBankBuild:
    """A build names the file and line of what is wrong, and writes nothing then."""

    def test_malformed_line(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.jsonl"
        bad.write_text(demo_path("questions.jsonl").read_text().splitlines()[0] + "\n{not json\n")
        result = grader("bank", "build", "--out", str(tmp_path / "b.db"), str(bad))
        assert result.returncode == 1
        assert f"{bad}:2" in result.stderr
        assert not (tmp_path / "b.db").exists()

    def test_question_without_tests(self, tmp_path: Path) -> None:
        row = {"format": "grader.v1", "id": "x", "title": "x", "kind": "stdin", "tests": []}
        result = grader(
            "bank", "build", "--out", str(tmp_path / "b.db"), str(write_jsonl(tmp_path / "q.jsonl", [row]))
        )
        assert result.returncode == 1
        assert "no tests" in result.stderr

    def test_duplicate_ids_across_files(self, tmp_path: Path) -> None:
        q = demo_path("questions.jsonl")
        result = grader("bank", "build", "--out", str(tmp_path / "b.db"), str(q), str(q))
        assert result.returncode == 1
        assert "duplicate" in result.stderr.lower()


class TestEval:
    """`grader eval` grades HumanEval-style completions, counts unknown tasks, writes results."""

    def test_completions_and_unknown_task(self, server: RunningServer, tmp_path: Path) -> None:
        questions = {
            q["id"]: q for q in map(json.loads, demo_path("questions.jsonl").read_text().splitlines())
        }
        samples = [s for s in map(json.loads, demo_path("samples.jsonl").read_text().splitlines())
                   if questions[s["question_id"]]["kind"] == "humaneval"]  # fmt: skip
        rows: list[dict[str, object]] = [
            {"task_id": s["question_id"], "expect": s["expect"],
             "completion": s["code"].removeprefix(questions[s["question_id"]]["prompt"])}
            for s in samples
        ] + [{"task_id": "demo/no-such-task", "completion": "    return 1\n"}]  # fmt: skip
        out = tmp_path / "results.jsonl"
        result = grader("eval", "--server", server.address, str(write_jsonl(tmp_path / "s.jsonl", rows)),
                        "--out", str(out), "--no-progress")  # fmt: skip
        assert result.returncode == 0, result.stderr
        results = [json.loads(line) for line in out.read_text().splitlines()]
        assert len(results) == len(rows)
        for row, res in zip(rows, results, strict=True):
            if "expect" in row:
                assert res["verdict"] == row["expect"], res
        assert results[-1]["verdict"] == "ERROR_NOT_FOUND"
        assert "pass@1" in result.stdout and "overall" in result.stdout
        assert "1 sample(s) could not be graded" in result.stdout
