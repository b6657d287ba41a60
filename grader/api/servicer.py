"""grader.v1.Grader: request -> domain call -> response."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import grpc
import structlog

from grader.api import convert
from grader.api.batch import batch_problem, grade_batch
from grader.api.errors import InvalidPageTokenError, counted_stream, rpc_errors
from grader.bank.store import BankStore, is_release_date
from grader.grading import InvalidSubmissionError, QuestionNotFoundError
from grader.service import GraderService
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

log = structlog.get_logger(__name__)


class GraderServicer(pb_grpc.GraderServicer):
    def __init__(
        self,
        service: GraderService,
        bank: BankStore,
        max_batch: int = 10000,
        batch_engine_wait_s: float = 60.0,
        private_test_metrics: bool = False,
    ) -> None:
        self.service = service
        self.metrics = service.metrics  # what errors.record_rpc counts each call in
        self.bank = bank
        self.max_batch = max_batch
        self.batch_engine_wait_s = batch_engine_wait_s
        self.private_test_metrics = private_test_metrics

    @rpc_errors
    async def Grade(
        self, request: pb.GradeRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.GradeResponse:
        return await self._grade(request, "Grade", patient=False)

    async def _grade(self, request: pb.GradeRequest, rpc: str, patient: bool) -> pb.GradeResponse:
        request_id = self.service.begin(request.request_id, rpc, request.question_id)
        result = await self.service.grade(convert.submission(request), patient=patient)
        return convert.grade_response(request.question_id, request_id, result, self.private_test_metrics)

    async def _grade_batch_item(self, request: pb.GradeRequest) -> pb.GradeResponse:
        return await self._grade(request, "GradeBatch", patient=True)

    @counted_stream
    async def GradeBatch(
        self, request: pb.GradeBatchRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> AsyncIterator[pb.GradeBatchResponse]:
        structlog.contextvars.bind_contextvars(rpc="GradeBatch", batch_size=len(request.submissions))
        problem = batch_problem(request, self.max_batch)
        if problem:
            log.info("rpc_rejected", status="INVALID_ARGUMENT", reason=problem)
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, problem)
        batch = grade_batch(self._grade_batch_item, self.service.capacity, request, self.batch_engine_wait_s)
        async for message in batch:
            yield message

    @rpc_errors
    async def ListQuestions(
        self, request: pb.ListQuestionsRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.ListQuestionsResponse:
        if request.page_size < 0:
            raise InvalidSubmissionError("page_size must not be negative")
        for name in ("release_date_start", "release_date_end"):
            value = getattr(request, name)
            if value and not is_release_date(value):
                raise InvalidSubmissionError(f"{name} must be an ISO date (YYYY-MM-DD), got {value!r}")
        try:
            infos, next_token = await asyncio.to_thread(
                self.bank.list_questions,
                request.release_date_start,
                request.release_date_end,
                request.page_size,
                request.page_token,
            )
        except ValueError as exc:
            raise InvalidPageTokenError(f"page_token is not valid: {exc}") from exc
        return pb.ListQuestionsResponse(
            questions=[convert.question_summary(info) for info in infos],
            next_page_token=next_token,
            bank_size=await asyncio.to_thread(self.bank.count),
        )

    @rpc_errors
    async def GetQuestion(
        self, request: pb.GetQuestionRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.Question:
        if not request.question_id:
            raise InvalidSubmissionError("question_id is required")
        question = await asyncio.to_thread(self.bank.get_public_question, request.question_id)
        if question is None:
            raise QuestionNotFoundError(f"no question with id {request.question_id!r}")
        return convert.public_question(question)
