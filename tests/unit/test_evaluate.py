"""`grader eval` without Docker: reading a samples file (ours, HumanEval's, LiveBench answers),
summarising pass@k, LiveBench judgment rows, and the client against an in-process fake server."""

from __future__ import annotations

import asyncio
import io
import json
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, ClassVar

import grpc
import pytest

from grader.evaluate import (
    NO_CODE,
    Sample,
    SampleFileError,
    SampleResult,
    evaluate,
    livebench_judgments,
    read_samples,
    report_livebench,
    summarize,
)
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.datasets import SHARED_DATASETS

LCB = SHARED_DATASETS / "lcb"
ANSWERS = LCB / "LCB_generation_model_answer_zft-community-8b-bs4.jsonl"
JUDGMENTS = LCB / "LCB_generation_model_judgment_ground_truth_judgment.jsonl"


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

    def test_livebench_answer(self, tmp_path: Path) -> None:
        """question_id + choices[0].turns[0]: the code is extracted; ids and tstamp are kept."""
        raw = "<think>```python\nprint(0)\n```</think>\nSo:\n```python\nprint(1)\n```\n```py\nprint(2)\n```"
        answer = {"question_id": "ab" * 32, "answer_id": "A1", "model_id": "m-1", "tstamp": 1754992475.5,
                  "choices": [{"index": 0, "turns": [raw]}], "total_output_tokens": 9}  # fmt: skip
        (sample,) = read_samples(write_lines(tmp_path / "a.jsonl", [json.dumps(answer)]))
        assert sample.livebench
        assert sample.question_id == "ab" * 32
        assert sample.code == "print(2)"
        assert sample.completion is None
        assert sample.extra == {"question_id": "ab" * 32, "answer_id": "A1", "model_id": "m-1",
                                "tstamp": 1754992475.5}  # fmt: skip

    def test_livebench_answer_without_code(self, tmp_path: Path) -> None:
        """An answer that is all reasoning is still a sample (LiveBench scores it 0)."""
        answer = {"question_id": "q", "model_id": "m", "choices": [{"turns": ["<think>hmm"]}]}
        (sample,) = read_samples(write_lines(tmp_path / "a.jsonl", [json.dumps(answer)]))
        assert sample.livebench and sample.code == ""

    def test_code_wins_over_choices(self, tmp_path: Path) -> None:
        line = row(question_id="q", code="print(1)", choices=[{"turns": ["```\nprint(2)\n```"]}])
        (sample,) = read_samples(write_lines(tmp_path / "s.jsonl", [line]))
        assert not sample.livebench and sample.code == "print(1)"

    def test_real_livebench_answer_file(self) -> None:
        """Every row of a real LiveBench answer file parses, one sample per line, with code."""
        samples = read_samples(ANSWERS)
        rows = [json.loads(line) for line in ANSWERS.read_text(encoding="utf-8").splitlines()]
        assert len(samples) == len(rows) == 50
        assert all(s.livebench for s in samples)
        assert [s.question_id for s in samples] == [r["question_id"] for r in rows]
        assert [s.extra["answer_id"] for s in samples] == [r["answer_id"] for r in rows]
        assert {s.extra["model_id"] for s in samples} == {"zft-community-8b-bs4"}
        assert all(isinstance(s.extra["tstamp"], float) for s in samples)
        for sample in samples:
            assert sample.code, sample.line
            assert "```" not in sample.code
            compile(sample.code, f"answer line {sample.line}", "exec")  # every answer is Python

    @pytest.mark.parametrize(
        ("line", "words"),
        [
            (row(question_id="q1", choices=[]), "choices"),
            (row(question_id="q1", choices="text"), "choices"),
            (row(question_id="q1", choices=[{"turns": []}]), "choices[0].turns"),
            (row(question_id="q1", choices=[{"turns": [7]}]), "choices[0].turns"),
            (row(question_id="q1", choices=[{}]), "choices[0].turns"),
            (row(choices=[{"turns": ["x"]}]), "needs question_id"),
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


def livebench_sample(line: int, qid: str, code: str, model: str = "m-1", answer_id: str = "") -> Sample:
    extra = {"question_id": qid, "answer_id": answer_id or f"ans{line}", "model_id": model, "tstamp": 1.0}
    return Sample(line, qid, code, None, extra, livebench=True)


class TestLiveBenchJudgments:
    """One LiveBench judgment row per graded sample, in LiveBench's exact shape."""

    def test_row_matches_livebench_shape(self) -> None:
        """Same keys in the same order as a real ground_truth_judgment.jsonl row, same value types."""
        real = json.loads(JUDGMENTS.read_text(encoding="utf-8").splitlines()[0])
        before = time.time()
        result = SampleResult(livebench_sample(3, "q" * 64, "print(1)", answer_id="AbC"), "ACCEPTED",
                              task="LCB_generation", category="coding")  # fmt: skip
        judgment = result.livebench_judgment()
        assert list(judgment) == list(real)
        assert {k: type(v) for k, v in judgment.items()} == {k: type(v) for k, v in real.items()}
        assert judgment == {"question_id": "q" * 64, "task": "LCB_generation", "model": "m-1", "score": 1,
                            "tstamp": result.judged_at, "category": "coding", "answer_id": "AbC"}  # fmt: skip
        assert before <= judgment["tstamp"] <= time.time()  # the time of judging, not of answering

    @pytest.mark.parametrize(
        ("verdict", "score"),
        [
            ("ACCEPTED", 1),
            ("WRONG_ANSWER", 0),
            ("TIME_LIMIT_EXCEEDED", 0),
            ("COMPILE_ERROR", 0),
            (NO_CODE, 0),
        ],
    )
    def test_score(self, verdict: str, score: int) -> None:
        result = SampleResult(livebench_sample(1, "q", "x"), verdict, task="t", category="coding")
        assert result.livebench_judgment()["score"] == score

    def ungraded_mix(self) -> list[SampleResult]:
        return [
            SampleResult(livebench_sample(1, "a", "x"), "ACCEPTED", task="LCB_generation", category="coding"),
            SampleResult(livebench_sample(2, "zz", "x"), "ERROR_NOT_FOUND", error="GetQuestion failed"),
            SampleResult(livebench_sample(3, "b", ""), NO_CODE, task="coding_completion", category="coding"),
            SampleResult(
                livebench_sample(4, "c", "x"), "ERROR_INTERNAL", error="internal error", task="LCB_generation"
            ),
        ]

    def test_errors_get_no_row_and_are_returned(self) -> None:
        results = self.ungraded_mix()
        rows, ungraded = livebench_judgments(results)
        assert [(r["question_id"], r["score"]) for r in rows] == [("a", 1), ("b", 0)]
        assert ungraded == [results[1], results[3]]
        with pytest.raises(ValueError, match="not graded"):
            results[1].livebench_judgment()

    def test_ungraded_score_zero(self) -> None:
        """The finding: a model whose wrong answers crash the judge scored 100 instead of 50."""
        results = self.ungraded_mix()
        rows, ungraded = livebench_judgments(results, ungraded_score_zero=True)
        assert [(r["question_id"], r["score"]) for r in rows] == [("a", 1), ("zz", 0), ("b", 0), ("c", 0)]
        assert ungraded == [results[1], results[3]]
        lcb = [r["score"] for r in rows if r["task"] == "LCB_generation"]
        assert 100 * sum(lcb) / len(lcb) == 50

    def test_ungraded_are_listed_with_their_reason(self) -> None:
        results = self.ungraded_mix()
        rows, ungraded = livebench_judgments(results)
        out, err = io.StringIO(), io.StringIO()
        report_livebench(rows, ungraded, "j.jsonl", out, err)
        assert "2 sample(s) could not be graded" in err.getvalue()
        assert "line 2 (question 'zz', answer 'ans2'): ERROR_NOT_FOUND: GetQuestion failed" in err.getvalue()
        assert "line 4 (question 'c', answer 'ans4'): ERROR_INTERNAL: internal error" in err.getvalue()
        assert "could not be graded" not in out.getvalue()
        err = io.StringIO()
        report_livebench(rows, ungraded, "j.jsonl", io.StringIO(), err, ungraded_score_zero=True)
        assert "scored 0 (--ungraded-score-zero)" in err.getvalue()

    def test_samples_of_our_own_shape(self) -> None:
        """question_id + code samples get judgment rows too; model and answer id as far as known."""
        result = SampleResult(Sample(1, "q", "x", None, {"question_id": "q", "model": "mm"}), "ACCEPTED",
                              task="LCB_generation", category="coding")  # fmt: skip
        judgment = result.livebench_judgment()
        assert (judgment["model"], judgment["answer_id"], judgment["score"]) == ("mm", "", 1)

    def test_report(self) -> None:
        rows = [
            {"task": "LCB_generation", "score": 1},
            {"task": "LCB_generation", "score": 0},
            {"task": "coding_completion", "score": 1},
        ]
        out = io.StringIO()
        report_livebench(rows, [], "j.jsonl", out)
        text = out.getvalue()
        assert "wrote 3 LiveBench judgment(s) to j.jsonl" in text
        assert "LCB_generation: 50.0 (2 answers)" in text
        assert "coding_completion: 100.0 (1 answers)" in text

    def test_report_without_skips(self) -> None:
        out = io.StringIO()
        report_livebench([], [], "j.jsonl", out)
        assert "could not be graded" not in out.getvalue()


class FakeGrader(pb_grpc.GraderServicer):
    """GetQuestion for two questions; GradeBatch accepts code containing "ok" and fails code
    containing "crash" with INTERNAL (a judge that crashed)."""

    QUESTIONS: ClassVar[dict[str, pb.Question]] = {
        "gen": pb.Question(id="gen", prompt="", task="LCB_generation", category="coding"),
        "he": pb.Question(id="he", prompt="def f():\n", task="", category=""),
    }

    def __init__(self) -> None:
        self.get_calls: Counter[str] = Counter()
        self.graded: list[pb.GradeRequest] = []

    async def GetQuestion(self, request: pb.GetQuestionRequest, context: Any) -> pb.Question:
        self.get_calls[request.question_id] += 1
        if request.question_id not in self.QUESTIONS:
            await context.abort(grpc.StatusCode.NOT_FOUND, "unknown question")
        return self.QUESTIONS[request.question_id]

    async def GradeBatch(
        self, request: pb.GradeBatchRequest, context: Any
    ) -> AsyncIterator[pb.GradeBatchResponse]:
        for index, sub in enumerate(request.submissions):
            self.graded.append(sub)
            if sub.question_id not in self.QUESTIONS:
                yield pb.GradeBatchResponse(index=index, error=pb.BatchError(code=5, message="unknown"))
                continue
            if "crash" in sub.code:
                internal = pb.BatchError(code=13, message="internal error; see the server log")
                yield pb.GradeBatchResponse(index=index, error=internal)
                continue
            verdict = pb.ACCEPTED if "ok" in sub.code else pb.WRONG_ANSWER
            yield pb.GradeBatchResponse(
                index=index, result=pb.GradeResponse(question_id=sub.question_id, verdict=verdict,
                                                     tests_passed=int(verdict == pb.ACCEPTED), tests_total=1)
            )  # fmt: skip
        yield pb.GradeBatchResponse(summary=pb.BatchSummary())


@pytest.fixture
async def fake_server() -> AsyncIterator[tuple[str, FakeGrader]]:
    server = grpc.aio.server()
    fake = FakeGrader()
    pb_grpc.add_GraderServicer_to_server(fake, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}", fake
    await server.stop(None)


class TestEvaluateClient:
    """GetQuestion once per question; task and category on the results; empty answers not sent."""

    async def test_livebench_answers(self, fake_server: tuple[str, FakeGrader]) -> None:
        address, fake = fake_server
        samples = [
            livebench_sample(1, "gen", "print('ok')"),
            livebench_sample(2, "gen", "print('no')"),
            livebench_sample(3, "gen", ""),
            livebench_sample(4, "nope", "print('ok')"),
            Sample(5, "he", None, "    return 'ok'\n"),
        ]
        results = await evaluate(address, samples, progress=False, stop_on_first_failure=True)
        assert [r.verdict for r in results] == [
            "ACCEPTED",
            "WRONG_ANSWER",
            NO_CODE,
            "ERROR_NOT_FOUND",
            "ACCEPTED",
        ]
        assert fake.get_calls == Counter({"gen": 1, "nope": 1, "he": 1})
        assert [(r.task, r.category) for r in results[:3]] == [("LCB_generation", "coding")] * 3
        assert {s.code for s in fake.graded} == {"print('ok')", "print('no')", "def f():\n    return 'ok'\n"}
        assert all(s.stop_on_first_failure for s in fake.graded)
        rows, ungraded = livebench_judgments(results)
        assert [(r["question_id"], r["score"], r["answer_id"]) for r in rows[:3]] == [
            ("gen", 1, "ans1"), ("gen", 0, "ans2"), ("gen", 0, "ans3")
        ]  # fmt: skip
        assert ungraded == [results[3]]
        assert results[0].as_json()["task"] == "LCB_generation"

    async def test_metadata_only_when_asked_for_code_samples(
        self, fake_server: tuple[str, FakeGrader]
    ) -> None:
        address, fake = fake_server
        samples = [Sample(1, "gen", "print('ok')", None)]
        (plain,) = await evaluate(address, samples, progress=False)
        assert not fake.get_calls and plain.task == "" and "task" not in plain.as_json()
        (with_meta,) = await evaluate(address, samples, progress=False, question_metadata=True)
        assert fake.get_calls == Counter({"gen": 1})
        assert (with_meta.verdict, with_meta.task, with_meta.category) == (
            "ACCEPTED",
            "LCB_generation",
            "coding",
        )


class TestEvalCommand:
    """`grader eval --livebench-judgments`: no answer silently leaves the score."""

    def answers(self, tmp_path: Path) -> Path:
        rows = [
            {"question_id": "gen", "answer_id": "a1", "model_id": "m", "choices": [{"turns": [answer]}]}
            for answer in ("```python\nprint('ok')\n```", "```python\nprint('crash')\n```")
        ]
        path = tmp_path / "answers.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        return path

    async def run(self, address: str, tmp_path: Path, *flags: str) -> tuple[int, list[dict[str, Any]]]:
        from grader.cli import main

        out = tmp_path / "judgments.jsonl"
        argv = ["eval", "--server", address, "--no-progress", "--max-attempts", "1",
                "--livebench-judgments", str(out), str(self.answers(tmp_path)), *flags]  # fmt: skip
        code = await asyncio.to_thread(main, argv)
        return code, [json.loads(line) for line in out.read_text().splitlines()]

    async def test_ungraded_fails_the_command(
        self, fake_server: tuple[str, FakeGrader], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, rows = await self.run(fake_server[0], tmp_path)
        assert code == 1
        assert [r["score"] for r in rows] == [1]
        err = capsys.readouterr().err
        assert "1 sample(s) could not be graded" in err
        assert "line 2 (question 'gen', answer 'a1'): ERROR_INTERNAL: internal error" in err

    async def test_ungraded_score_zero(
        self, fake_server: tuple[str, FakeGrader], tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        code, rows = await self.run(fake_server[0], tmp_path, "--ungraded-score-zero")
        assert code == 0
        assert [r["score"] for r in rows] == [1, 0]
        assert "LCB_generation: 50.0 (2 answers)" in capsys.readouterr().out
