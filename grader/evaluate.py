"""`grader eval`: grade a file of samples through a server; per-sample results and pass@k."""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import grpc
from tqdm import tqdm

from grader.judge.passk import ks_allowed, mean_pass_at_k, pass_at_k
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc


class SampleFileError(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Sample:
    line: int
    question_id: str
    code: str | None
    completion: str | None
    extra: dict[str, Any] = field(default_factory=dict)


def read_samples(path: Path) -> list[Sample]:
    """Lines of `question_id` + `code`, or HumanEval's `task_id` + `completion`."""
    samples = []
    with path.open(encoding="utf-8") as f:
        for number, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                row = json.loads(text)
            except ValueError as exc:
                raise SampleFileError(f"{path}:{number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise SampleFileError(f"{path}:{number}: a sample must be a JSON object")
            qid = row.get("question_id", row.get("task_id"))
            code, completion = row.get("code"), row.get("completion")
            if not isinstance(qid, str) or not qid:
                raise SampleFileError(f"{path}:{number}: needs question_id (or task_id)")
            if not isinstance(code, str) and not isinstance(completion, str):
                raise SampleFileError(f"{path}:{number}: needs code (or completion)")
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


@dataclass(slots=True)
class SampleResult:
    sample: Sample
    verdict: str
    tests_passed: int = 0
    tests_total: int = 0
    error: str = ""
    request_id: str = ""
    tests: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.verdict == "ACCEPTED"

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
        if self.error:
            row["error"] = self.error
        return row


class Evaluator:
    def __init__(
        self,
        stub: pb_grpc.GraderStub,
        concurrency: int,
        timeout_s: float,
        stop_on_first_failure: bool = False,
    ) -> None:
        self.stub = stub
        self.limit = asyncio.Semaphore(concurrency)
        self.timeout_s = timeout_s
        self.stop_on_first_failure = stop_on_first_failure
        self._prompts: dict[str, asyncio.Task[str]] = {}

    async def _prompt(self, question_id: str) -> str:
        if question_id not in self._prompts:

            async def fetch() -> str:
                q = await self.stub.GetQuestion(pb.GetQuestionRequest(question_id=question_id), timeout=30)
                return str(q.prompt)

            self._prompts[question_id] = asyncio.ensure_future(fetch())
        return await self._prompts[question_id]

    async def grade(self, sample: Sample) -> SampleResult:
        async with self.limit:
            request_id = uuid.uuid4().hex
            try:
                code = sample.code
                if code is None:  # HumanEval samples: the program is prompt + completion
                    code = await self._prompt(sample.question_id) + (sample.completion or "")
                response = await self.stub.Grade(
                    pb.GradeRequest(
                        question_id=sample.question_id,
                        code=code,
                        request_id=request_id,
                        stop_on_first_failure=self.stop_on_first_failure,
                    ),
                    timeout=self.timeout_s,
                )
            except grpc.aio.AioRpcError as exc:
                return SampleResult(
                    sample, f"ERROR_{exc.code().name}", error=str(exc.details()), request_id=request_id
                )
            return SampleResult(
                sample,
                pb.Verdict.Name(response.verdict),
                response.tests_passed,
                response.tests_total,
                request_id=response.request_id,
                tests=[pb.Verdict.Name(t.verdict) for t in response.tests],
            )


async def evaluate(
    server: str,
    samples: Sequence[Sample],
    *,
    concurrency: int = 4,
    timeout_s: float = 600.0,
    progress: bool = True,
    stop_on_first_failure: bool = False,
) -> list[SampleResult]:
    """Grades every sample; results come back in the samples' order."""
    async with grpc.aio.insecure_channel(server) as channel:
        stub = pb_grpc.GraderStub(channel)  # type: ignore[no-untyped-call]
        evaluator = Evaluator(stub, concurrency, timeout_s, stop_on_first_failure)
        tasks = [asyncio.ensure_future(evaluator.grade(s)) for s in samples]
        bar = tqdm(total=len(tasks), desc="grading", unit="sample", disable=not progress, file=sys.stderr)
        for task in asyncio.as_completed(tasks):
            result = await task
            bar.update(1)
            bar.set_postfix(last=result.verdict[:12], refresh=False)
        bar.close()
        return [t.result() for t in tasks]


def summarize(results: Sequence[SampleResult], out: TextIO) -> dict[str, float]:
    """Prints pass@k per question and overall, for every k the samples allow; returns overall."""
    per_question: dict[str, tuple[int, int]] = {}
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    errors = 0
    for r in results:
        if r.verdict.startswith("ERROR_"):
            errors += 1
        counts[r.sample.question_id][0] += 1
        counts[r.sample.question_id][1] += r.passed
    per_question = {q: (n, c) for q, (n, c) in counts.items()}
    ks = ks_allowed(n for n, _ in per_question.values())
    width = max((len(q) for q in per_question), default=8)
    header = f"{'question':<{width}}  {'n':>4} {'c':>4}  " + "  ".join(f"pass@{k:<4}" for k in ks)
    print(header, file=out)
    for q in sorted(per_question):
        n, c = per_question[q]
        print(
            f"{q:<{width}}  {n:>4} {c:>4}  " + "  ".join(f"{pass_at_k(n, c, k):<9.4f}" for k in ks), file=out
        )
    overall = {f"pass@{k}": mean_pass_at_k(per_question, k) for k in ks}
    print(
        f"{'overall':<{width}}  {sum(n for n, _ in per_question.values()):>4} "
        f"{sum(c for _, c in per_question.values()):>4}  "
        + "  ".join(f"{v:<9.4f}" for v in overall.values()),
        file=out,
    )
    if errors:
        print(f"{errors} sample(s) could not be graded (see the error field of their results)", file=out)
    return overall
