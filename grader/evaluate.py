"""`grader eval`: grade a file of samples through a server; per-sample results, pass@k and
LiveBench judgment rows."""

from __future__ import annotations

import asyncio
import sys
import time
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import grpc
from tqdm import tqdm

from grader.answers import extract_code
from grader.client import BatchItem, GraderClient, RetryPolicy
from grader.jsonl import JsonLinesError, json_lines
from grader.judge.passk import pass_at_k, tally
from grader.v1 import grader_pb2 as pb


class SampleFileError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Sample:
    line: int
    question_id: str
    code: str | None
    """The whole program; None for a completion (graded as the question's prompt + it)."""
    completion: str | None
    extra: dict[str, Any] = field(default_factory=dict)
    """What the results file repeats about the sample (everything but the code)."""
    livebench: bool = False
    """A LiveBench model answer: ``code`` was extracted from its raw text, maybe empty."""


# What a LiveBench answer row keeps besides its question id (the raw text is left out).
_LIVEBENCH_KEPT = ("answer_id", "model_id", "tstamp")


def _livebench_answer(row: dict[str, Any]) -> str:
    """The raw model text of a LiveBench answer row: ``choices[0].turns[0]``."""
    choices = row["choices"]
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise ValueError('choices: expected a non-empty list of {"turns": [answer]}')
    turns = choices[0].get("turns")
    if not isinstance(turns, list) or not turns or not isinstance(turns[0], str):
        raise ValueError("choices[0].turns: expected a non-empty list of strings")
    return turns[0]


def read_samples(path: Path) -> list[Sample]:
    """Lines of `question_id` + `code`, HumanEval's `task_id` + `completion`, or LiveBench
    model answers (`question_id` + `choices[0].turns[0]`, the raw model text, whose code is
    taken by :func:`grader.answers.extract_code`; `answer_id`, `model_id` and `tstamp` are kept)."""
    try:
        return _samples(path)
    except JsonLinesError as exc:
        raise SampleFileError(str(exc)) from None


def _samples(path: Path) -> list[Sample]:
    samples = []
    for number, row in json_lines(path):
        if not isinstance(row, dict):
            raise SampleFileError(f"{path}:{number}: a sample must be a JSON object")
        qid = row.get("question_id", row.get("task_id"))
        code, completion = row.get("code"), row.get("completion")
        if not isinstance(qid, str) or not qid:
            raise SampleFileError(f"{path}:{number}: needs question_id (or task_id)")
        if "choices" in row and code is None and completion is None:
            try:
                answer = _livebench_answer(row)
            except ValueError as exc:
                raise SampleFileError(f"{path}:{number}: {exc}") from None
            kept = {k: row[k] for k in _LIVEBENCH_KEPT if k in row}
            samples.append(
                Sample(number, qid, extract_code(answer), None, {"question_id": qid, **kept}, True)
            )
            continue
        if not isinstance(code, str) and not isinstance(completion, str):
            raise SampleFileError(f"{path}:{number}: needs code (or completion, or LiveBench choices)")
        extra = {k: v for k, v in row.items() if k not in ("code", "completion")}
        samples.append(
            Sample(
                number,
                qid,
                code if isinstance(code, str) else None,
                completion if isinstance(completion, str) else None,
                extra,
            )
        )
    return samples


NO_CODE = "NO_CODE"
"""The verdict of a LiveBench answer with no code in it: not sent, not passed (LiveBench: 0)."""


@dataclass(slots=True)
class SampleResult:
    sample: Sample
    verdict: str
    tests_passed: int = 0
    tests_total: int = 0
    error: str = ""
    request_id: str = ""
    tests: list[str] = field(default_factory=list)
    task: str = ""
    """The question's benchmark task and category (LiveBench's), when they were fetched."""
    category: str = ""
    judged_at: float = field(default_factory=time.time)
    """When the verdict arrived (epoch seconds): a LiveBench judgment's ``tstamp``."""
    release_date: str | None = None
    """The question's release date ("" when it has none); None when it was not fetched."""

    @property
    def passed(self) -> bool:
        return self.verdict == "ACCEPTED"

    @property
    def graded(self) -> bool:
        """Whether there is a verdict on the answer (an error is none)."""
        return not self.verdict.startswith("ERROR_")

    def as_json(self) -> dict[str, Any]:
        row = dict(self.sample.extra)
        row.update(
            question_id=self.sample.question_id,
            line=self.sample.line,
            verdict=self.verdict,
            passed=self.passed,
            tests_passed=self.tests_passed,
            tests_total=self.tests_total,
            pass_rate=self.tests_passed / self.tests_total if self.tests_total else 0.0,
            request_id=self.request_id,
            test_verdicts=self.tests,
        )
        if self.task or self.category:
            row.update(task=self.task, category=self.category)
        if self.release_date is not None:
            row["release_date"] = self.release_date
        if self.error:
            row["error"] = self.error
        return row

    def livebench_judgment(self, ungraded_score_zero: bool = False) -> dict[str, Any]:
        """This result as a line of LiveBench's ``ground_truth_judgment.jsonl``, same keys in the
        same order. A sample that was not graded has none (LiveBench would have no judgment),
        unless ``ungraded_score_zero`` makes it a score of 0."""
        if not self.graded and not ungraded_score_zero:
            raise ValueError(f"sample on line {self.sample.line} was not graded ({self.verdict})")
        extra = self.sample.extra
        return {
            "question_id": self.sample.question_id,
            "task": self.task,
            "model": str(extra.get("model_id", extra.get("model", ""))),
            "score": int(self.passed),
            "tstamp": self.judged_at,
            "category": self.category,
            "answer_id": str(extra.get("answer_id", "")),
        }

    def why_ungraded(self) -> str:
        """One line naming the sample and why it has no verdict."""
        answer = self.sample.extra.get("answer_id")
        who = f"question {self.sample.question_id!r}" + (f", answer {answer!r}" if answer else "")
        return f"line {self.sample.line} ({who}): {self.verdict}" + (f": {self.error}" if self.error else "")


@dataclass(frozen=True, slots=True)
class QuestionMeta:
    """What the client needs of a question: the prompt (completions are graded as prompt +
    completion), LiveBench's task and category (for judgment rows) and the release date (for
    reports)."""

    prompt: str
    task: str
    category: str
    release_date: str


async def _questions(
    client: GraderClient, question_ids: set[str]
) -> dict[str, QuestionMeta | grpc.StatusCode]:
    """GetQuestion once per question id, or the status it gave (after the client's retries)."""
    limit = asyncio.Semaphore(8)

    async def fetch(qid: str) -> QuestionMeta | grpc.StatusCode:
        async with limit:
            try:
                q = await client.get_question(qid)
            except grpc.aio.AioRpcError as exc:
                return exc.code()
            return QuestionMeta(str(q.prompt), str(q.task), str(q.category), str(q.release_date))

    needed = sorted(question_ids)
    return dict(zip(needed, await asyncio.gather(*(fetch(q) for q in needed)), strict=True))


def _result(sample: Sample, item: BatchItem) -> SampleResult:
    if item.error is not None:
        return SampleResult(sample, f"ERROR_{item.error.code.name}", error=item.error.message)
    r = item.result or pb.GradeResponse()  # a BatchItem has a result or an error
    tests = [pb.Verdict.Name(t.verdict) for t in r.tests]
    return SampleResult(sample, pb.Verdict.Name(r.verdict), r.tests_passed, r.tests_total,
                        request_id=r.request_id, tests=tests)  # fmt: skip


async def evaluate(
    server: str,
    samples: Sequence[Sample],
    *,
    batch_size: int = 500,
    timeout_s: float = 3600.0,
    progress: bool = True,
    stop_on_first_failure: bool = False,
    question_metadata: bool = False,
    rpc_timeout_s: float = 60.0,
    retry: RetryPolicy | None = None,
    credentials: grpc.ChannelCredentials | None = None,
    test_set: pb.TestSet = pb.TEST_SET_UNSPECIFIED,
) -> list[SampleResult]:
    """Grades every sample through GradeBatch (:class:`GraderClient`: calls of ``batch_size``,
    each with the deadline ``timeout_s``; only unanswered samples are retried after UNAVAILABLE
    or RESOURCE_EXHAUSTED); results come back in the samples' order.

    GetQuestion is called once per question that needs it: completions (their prompt) and
    LiveBench answers, or every question with ``question_metadata`` (for judgment rows and
    reports); results then carry the question's task, category and release date. ``test_set``
    chooses base or base + plus tests of questions that have both (default: every test). A sample whose
    question could not be fetched gets the status as an ``ERROR_`` verdict and is not graded.
    """
    client = GraderClient(server, timeout_s=rpc_timeout_s, batch_timeout_s=timeout_s,
                          chunk_size=batch_size, retry=retry, credentials=credentials)  # fmt: skip
    async with client:
        questions = await _questions(
            client,
            {s.question_id for s in samples if question_metadata or s.code is None or s.livebench},
        )
        results: dict[int, SampleResult] = {}
        requests: dict[int, pb.GradeRequest] = {}
        for index, sample in enumerate(samples):
            code = sample.code
            meta = questions.get(sample.question_id)
            if isinstance(meta, grpc.StatusCode):
                results[index] = SampleResult(sample, f"ERROR_{meta.name}", error="GetQuestion failed")
                continue
            if code is None:  # a completion: its question was fetched
                code = (meta.prompt if meta else "") + (sample.completion or "")
            if sample.livebench and not code.strip():
                results[index] = SampleResult(sample, NO_CODE, error="no code in the answer")
                continue
            requests[index] = pb.GradeRequest(question_id=sample.question_id, code=code,
                                              request_id=uuid.uuid4().hex,
                                              stop_on_first_failure=stop_on_first_failure,
                                              test_set=test_set)  # fmt: skip
        bar = tqdm(total=len(samples), initial=len(results), desc="grading", unit="sample",
                   disable=not progress, file=sys.stderr)  # fmt: skip
        order = sorted(requests)
        async for item in client.grade_batch([requests[i] for i in order]):
            index = order[item.index]
            results[index] = result = _result(samples[index], item)
            bar.update(1)
            bar.set_postfix(last=result.verdict[:12], refresh=False)
        bar.close()
        ordered = [results[i] for i in range(len(samples))]
        for result in ordered:
            meta = questions.get(result.sample.question_id)
            if isinstance(meta, QuestionMeta):
                result.task, result.category = meta.task, meta.category
                result.release_date = meta.release_date
        return ordered


def summarize(results: Sequence[SampleResult], out: TextIO) -> dict[str, float]:
    """Prints pass@k per question and overall, for every k the samples allow; returns overall."""
    per_question = tally((r.sample.question_id, r.passed) for r in results)
    errors = sum(r.verdict.startswith("ERROR_") for r in results)
    by_k = per_question.overall()
    ks = list(by_k)
    width = max((len(q) for q in per_question), default=8)
    header = f"{'question':<{width}}  {'n':>4} {'c':>4}  " + "  ".join(f"pass@{k:<4}" for k in ks)
    print(header, file=out)
    for q in sorted(per_question):
        n, c = per_question[q]
        print(
            f"{q:<{width}}  {n:>4} {c:>4}  " + "  ".join(f"{pass_at_k(n, c, k):<9.4f}" for k in ks), file=out
        )
    overall = {f"pass@{k}": value for k, value in by_k.items()}
    print(
        f"{'overall':<{width}}  {sum(n for n, _ in per_question.values()):>4} "
        f"{sum(c for _, c in per_question.values()):>4}  "
        + "  ".join(f"{v:<9.4f}" for v in overall.values()),
        file=out,
    )
    if errors:
        print(f"{errors} sample(s) could not be graded (see the error field of their results)", file=out)
    return overall


def livebench_judgments(
    results: Sequence[SampleResult], ungraded_score_zero: bool = False
) -> tuple[list[dict[str, Any]], list[SampleResult]]:
    """LiveBench judgment rows, in order, and the results that could not be graded (after the
    client's retries). Those get no row, so that no answer silently leaves a score: the caller
    reports them and fails, unless ``ungraded_score_zero`` gives them a row scored 0."""
    ungraded = [r for r in results if not r.graded]
    rows = [r.livebench_judgment(ungraded_score_zero) for r in results if r.graded or ungraded_score_zero]
    return rows, ungraded


def report_livebench(
    rows: Sequence[dict[str, Any]],
    ungraded: Sequence[SampleResult],
    path: str,
    out: TextIO,
    err: TextIO | None = None,
    ungraded_score_zero: bool = False,
) -> None:
    """What was written and LiveBench's score (mean of 0/1 x 100) per task on ``out``; every
    sample that could not be graded, with its reason, on ``err``."""
    print(f"wrote {len(rows)} LiveBench judgment(s) to {path}", file=out)
    per_task: dict[str, list[int]] = defaultdict(list)
    for row in rows:
        per_task[row["task"] or "(no task)"].append(row["score"])
    for task in sorted(per_task):
        scores = per_task[task]
        print(f"  {task}: {100 * sum(scores) / len(scores):.1f} ({len(scores)} answers)", file=out)
    if not ungraded:
        return
    errors = err if err is not None else out
    if ungraded_score_zero:
        print(f"grader: {len(ungraded)} sample(s) could not be graded; scored 0 (--ungraded-score-zero):",
              file=errors)  # fmt: skip
    else:
        print(f"grader: {len(ungraded)} sample(s) could not be graded and have no judgment line; the"
              " scores above leave them out (--ungraded-score-zero scores them 0):", file=errors)  # fmt: skip
    for result in ungraded:
        print(f"  {result.why_ungraded()}", file=errors)
