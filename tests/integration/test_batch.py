"""GradeBatch: results stream as they finish, per-item errors do not stop the rest, pass@k at the
end; a client deadline stops the sandbox work it paid for."""

from __future__ import annotations

import io
import json
import subprocess
import threading
import time
from collections.abc import Iterator

import grpc
import pytest

from grader.bank.build import build_bank
from grader.demo import demo_path
from grader.judge.passk import pass_at_k
from grader.sandbox.command import OWNER_LABEL
from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.server import RunningServer, require_docker, start_server, write_jsonl
from tests.support.waits import wait_until

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


SLEEPY_LIMIT_S = 30
"""The sleepy question's time limit: its wall-clock backstop is 30 s * 2 + 2 s = 62 s."""
BACKSTOP_S = SLEEPY_LIMIT_S * 2 + 2
DEADLINE_S = 10.0
"""Long enough for both sandboxes to take a sleeper on a loaded machine, far short of the backstop."""
RETIRE_WAIT_S = 30.0
"""How long after the deadline the interrupted containers may take to be gone: well inside the
backstop, so that only the deadline's handling, not the backstop, can retire them in time."""
SLEEPER = "import time\ntime.sleep(600)\nprint(input())\n"


@pytest.fixture(scope="module")
def sleepy_server(
    tmp_path_factory: pytest.TempPathFactory, server_log: io.StringIO
) -> Iterator[RunningServer]:
    """A server of its own (pool of 2) on a bank whose question allows a long sleep."""
    require_docker()
    tmp = tmp_path_factory.mktemp("sleepy")
    rows: list[dict[str, object]] = [
        {"format": "grader.v1", "id": "sleepy", "title": "Sleepy echo", "kind": "stdin",
         "limits": {"time_s": SLEEPY_LIMIT_S}, "tests": [{"input": "7\n", "output": "7\n", "public": True}]},
    ]  # fmt: skip
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "q.jsonl", rows)])
    running = start_server(tmp / "bank.db", pool=PoolSettings(size=2))
    yield running
    running.stop()


def owned_containers(server: RunningServer) -> set[str]:
    """The running containers the engine lists with this server's owner label."""
    owner = server.server.docker.settings.owner
    listing = subprocess.run(
        ["docker", "ps", "--filter", f"label={OWNER_LABEL}={owner}", "--format", "{{.Names}}"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return set(listing.stdout.split())


class TestBatchDeadline:
    def test_deadline_stops_the_work(self, sleepy_server: RunningServer) -> None:
        """Items that would sleep for 10 minutes, under a 10 s deadline: DEADLINE_EXCEEDED while
        both sandboxes hold a sleeper; those containers are retired (cancelled) and replaced long
        before the backstop would have ended the sleep, and nothing is left running."""
        server = sleepy_server
        pool = server.server.pool
        assert pool is not None
        wait_until(lambda: pool.idle == pool.settings.size, 120, "the pool to fill")
        before = owned_containers(server)
        assert len(before) == pool.settings.size, before
        registry = server.server.metrics.registry

        def cancelled() -> float:
            sample = ("grader_container_recycles_total", {"reason": "failed_or_cancelled"})
            return registry.get_sample_value(*sample) or 0.0

        cancelled_before, retired_before = cancelled(), pool.stats.retired
        items = [pb.GradeRequest(question_id="sleepy", code=SLEEPER) for _ in range(4)]
        outcome: list[BaseException | list[pb.GradeBatchResponse]] = []

        def call() -> None:
            try:
                outcome.append(list(server.stub.GradeBatch(pb.GradeBatchRequest(submissions=items),
                                                           timeout=DEADLINE_S)))  # fmt: skip
            except grpc.RpcError as exc:
                outcome.append(exc)

        caller = threading.Thread(target=call)
        caller.start()
        wait_until(lambda: pool.busy == pool.settings.size, DEADLINE_S, "a sleeper in every sandbox")
        holders = set(pool.leased())
        assert holders <= before and len(holders) == pool.settings.size
        caller.join(DEADLINE_S + 30)
        struck = time.monotonic()
        assert not caller.is_alive()
        [error] = outcome
        assert isinstance(error, grpc.RpcError), error
        assert error.code() == grpc.StatusCode.DEADLINE_EXCEEDED  # type: ignore[attr-defined]
        # Asleep for minutes yet: only the deadline's handling can free their sandboxes this soon.
        wait_until(lambda: not owned_containers(server) & holders, RETIRE_WAIT_S, "the sleepers to go")
        assert time.monotonic() - struck < BACKSTOP_S - DEADLINE_S
        wait_until(lambda: pool.idle == pool.settings.size and pool.busy == 0, 60, "the pool to be refilled")
        after = owned_containers(server)
        assert len(after) == pool.settings.size and not after & holders, after
        assert pool.stats.retired - retired_before == len(holders)
        assert cancelled() - cancelled_before == len(holders)
        assert server.server.grading.admission.running == 0
        assert server.server.grading.admission.waiting == 0
