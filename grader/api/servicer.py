"""grader.v1.Grader: request -> domain call -> response."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import grpc
import structlog

from grader.api import convert
from grader.api.batch import batch_problem, grade_batch
from grader.api.errors import counted_stream, rpc_errors
from grader.service import GraderService
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

log = structlog.get_logger(__name__)


class GraderServicer(pb_grpc.GraderServicer):
    def __init__(
        self,
        service: GraderService,
        max_batch: int = 10000,
        batch_engine_wait_s: float = 60.0,
        private_test_metrics: bool = False,
    ) -> None:
        self.service = service
        self.metrics = service.metrics  # what errors.record_rpc counts each call in
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
        page = await self.service.list_questions(
            request.release_date_start, request.release_date_end, request.page_size, request.page_token
        )
        return pb.ListQuestionsResponse(
            questions=[convert.question_summary(info) for info in page.questions],
            next_page_token=page.next_page_token,
            bank_size=page.bank_size,
        )

    @rpc_errors
    async def GetQuestion(
        self, request: pb.GetQuestionRequest, context: grpc.aio.ServicerContext[Any, Any]
    ) -> pb.Question:
        return convert.public_question(await self.service.public_question(request.question_id))
