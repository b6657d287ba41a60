"""GradeBatch: results stream as they finish, per-item errors do not stop the rest, pass@k at the
end; a client deadline stops the sandbox work it paid for."""

from __future__ import annotations

import json
import time

import grpc
import pytest

from grader.demo import demo_path
from grader.judge.passk import pass_at_k
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.integration.conftest import RunningServer

SAMPLES = [json.loads(line) for line in demo_path("samples.jsonl").read_text().splitlines() if line]
QUICK = [s for s in SAMPLES if s["expect"] not in ("TIME_LIMIT_EXCEEDED", "MEMORY_LIMIT_EXCEEDED")]


class TestGradeBatch:
    """Every item is answered once, with its index; the summary's pass@k is the estimator's."""

    def test_stream_and_summary(self, stub: pb_grpc.GraderStub) -> None:
        items = [pb.GradeRequest(question_id=s["question_id"], code=s["code"]) for s in QUICK]
        items.append(pb.GradeRequest(question_id="no/such", code="print(1)\n"))
        messages = list(stub.GradeBatch(pb.GradeBatchRequest(submissions=items), timeout=600))
        *results, last = messages
        assert last.HasField("summary")
        assert sorted(m.index for m in results) == list(range(len(items)))
        by_index = {m.index: m for m in results}
        for i, sample in enumerate(QUICK):
            assert pb.Verdict.Name(by_index[i].result.verdict) == sample["expect"], sample["label"]
        error = by_index[len(items) - 1].error
        assert error.code == grpc.StatusCode.NOT_FOUND.value[0] and "no/such" in error.message
        s = last.summary
        assert (s.graded, s.errors) == (len(QUICK), 1)
        assert s.accepted == sum(x["expect"] == "ACCEPTED" for x in QUICK)
        per_question = {q.question_id: q for q in s.questions}
        for q in per_question.values():
            value = {p.k: p.value for p in q.pass_at_k}[1]
            assert value == pytest.approx(pass_at_k(q.samples, q.correct, 1))
        assert per_question["no/such"].samples == 1 and per_question["no/such"].correct == 0

    def test_requested_ks(self, stub: pb_grpc.GraderStub) -> None:
        code = "a, b = map(int, input().split())\nprint(a + b)\n"
        items = [
            pb.GradeRequest(question_id="it/add", code=code if i < 3 else "print(0)\n") for i in range(6)
        ]
        messages = list(stub.GradeBatch(pb.GradeBatchRequest(submissions=items, ks=[1, 2, 5]), timeout=300))
        summary = messages[-1].summary
        overall = {p.k: p.value for p in summary.overall}
        assert overall[1] == pytest.approx(0.5)
        assert overall[2] == pytest.approx(pass_at_k(6, 3, 2))
        assert overall[5] == pytest.approx(1.0)

    @pytest.mark.parametrize(
        ("request_fields", "words"),
        [({"submissions": []}, "empty"), ({"ks": [0]}, "k must")],
    )
    def test_bad_batches(
        self, stub: pb_grpc.GraderStub, request_fields: dict[str, object], words: str
    ) -> None:
        fields = {"submissions": [pb.GradeRequest(question_id="it/add", code="print(3)\n")], **request_fields}
        with pytest.raises(grpc.RpcError) as info:
            list(stub.GradeBatch(pb.GradeBatchRequest(**fields), timeout=60))  # type: ignore[arg-type]
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT  # type: ignore[attr-defined]
        assert words in info.value.details()  # type: ignore[attr-defined]

    def test_deadline_stops_the_work(self, server: RunningServer) -> None:
        """Sleeping samples under a short deadline: DEADLINE_EXCEEDED, and the pool is soon all
        idle again (the interrupted containers are retired and replaced)."""
        pool = server.server.pool
        assert pool is not None
        slow = "import time\ntime.sleep(1.5)\nprint(input())\n"
        items = [pb.GradeRequest(question_id="it/add", code=slow) for _ in range(4)]
        with pytest.raises(grpc.RpcError) as info:
            list(server.stub.GradeBatch(pb.GradeBatchRequest(submissions=items), timeout=1.0))
        assert info.value.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]
        deadline = time.monotonic() + 60
        while (pool.busy or pool.idle < pool.settings.size) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert pool.busy == 0 and pool.idle == pool.settings.size
        assert server.server.grading.admission.running == 0
