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


RETRYABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED)


async def _programs(stub: pb_grpc.GraderStub, samples: Sequence[Sample]) -> dict[str, str | grpc.StatusCode]:
    """The prompt of every question that completions need (HumanEval samples grade prompt +
    completion), or the status GetQuestion gave for it."""
    needed = sorted({s.question_id for s in samples if s.code is None})
    limit = asyncio.Semaphore(8)

    async def fetch(qid: str) -> str | grpc.StatusCode:
        async with limit:
            try:
                question = await stub.GetQuestion(pb.GetQuestionRequest(question_id=qid), timeout=60)
            except grpc.aio.AioRpcError as exc:
                return exc.code()
            return str(question.prompt)

    return dict(zip(needed, await asyncio.gather(*(fetch(q) for q in needed)), strict=True))


async def _grade_chunk(
    stub: pb_grpc.GraderStub,
    requests: dict[int, pb.GradeRequest],
    results: dict[int, SampleResult],
    samples: Sequence[Sample],
    timeout_s: float,
    on_result: Any,
) -> None:
    """Grades the requests (by sample index) in GradeBatch calls, retrying what is left after an
    UNAVAILABLE or RESOURCE_EXHAUSTED with backoff."""
    pending = dict(requests)
    for attempt in range(5):
        order = sorted(pending)
        call = stub.GradeBatch(
            pb.GradeBatchRequest(submissions=[pending[i] for i in order]), timeout=timeout_s
        )
        try:
            async for message in call:
                if message.HasField("summary"):
                    continue
                index = order[message.index]
                sample = samples[index]
                if message.HasField("error"):
                    code = grpc.StatusCode(
                        next(c for c in grpc.StatusCode if c.value[0] == message.error.code)
                    )
                    result = SampleResult(sample, f"ERROR_{code.name}", error=message.error.message)
                else:
                    r = message.result
                    result = SampleResult(sample, pb.Verdict.Name(r.verdict), r.tests_passed, r.tests_total,
                                          request_id=r.request_id,
                                          tests=[pb.Verdict.Name(t.verdict) for t in r.tests])  # fmt: skip
                results[index] = result
                del pending[index]
                on_result(result)
            return
        except grpc.aio.AioRpcError as exc:
            if exc.code() not in RETRYABLE or attempt == 4:
                for index in list(pending):
                    results[index] = SampleResult(
                        samples[index], f"ERROR_{exc.code().name}", error=str(exc.details())
                    )
                    on_result(results[index])
                return
            await asyncio.sleep(min(30.0, 0.5 * 2**attempt))


async def evaluate(
    server: str,
    samples: Sequence[Sample],
    *,
    batch_size: int = 500,
    timeout_s: float = 3600.0,
    progress: bool = True,
    stop_on_first_failure: bool = False,
) -> list[SampleResult]:
    """Grades every sample through GradeBatch; results come back in the samples' order."""
    async with grpc.aio.insecure_channel(
        server, options=[("grpc.max_send_message_length", 256 << 20)]
    ) as channel:
        stub = pb_grpc.GraderStub(channel)  # type: ignore[no-untyped-call]
        prompts = await _programs(stub, samples)
        results: dict[int, SampleResult] = {}
        requests: dict[int, pb.GradeRequest] = {}
        for index, sample in enumerate(samples):
            code = sample.code
            if code is None:
                prompt = prompts[sample.question_id]
                if isinstance(prompt, grpc.StatusCode):
                    results[index] = SampleResult(sample, f"ERROR_{prompt.name}", error="GetQuestion failed")
                    continue
                code = prompt + (sample.completion or "")
            requests[index] = pb.GradeRequest(question_id=sample.question_id, code=code,
                                              request_id=uuid.uuid4().hex,
                                              stop_on_first_failure=stop_on_first_failure)  # fmt: skip
        bar = tqdm(total=len(samples), initial=len(results), desc="grading", unit="sample",
                   disable=not progress, file=sys.stderr)  # fmt: skip

        def on_result(result: SampleResult) -> None:
            bar.update(1)
            bar.set_postfix(last=result.verdict[:12], refresh=False)

        order = sorted(requests)
        for start in range(0, len(order), batch_size):
            chunk = {i: requests[i] for i in order[start : start + batch_size]}
            await _grade_chunk(stub, chunk, results, samples, timeout_s, on_result)
        bar.close()
        return [results[i] for i in range(len(samples))]


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
