"""Liveness under exhausting requests: `grader serve` (its own process, so that the test's own clients
do not share its interpreter; real Docker engine) keeps answering health checks (p99 under 100 ms)
and grades a correct submission on a free slot within its normal time plus 1 s, while one of these
runs back to back:

* `many_ks`: GradeBatch asking pass@k for every k of 1..10000 (refused), and for 16 large ks over
  10000 samples;
* `large_batch`: a batch of ~200 MiB (10000 submissions of 20 KB): first as one GradeBatch
  (refused: over the server's default largest message, `MAX_BATCH_BYTES`), then as
  `grader.client.GraderClient` sends it, in calls each near that limit;
* `long_line`: a submission printing one 16 MiB line of short numbers (judged against another);
* `huge_value`: a call-based submission returning a nested list whose JSON is ~3.5 MB.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.server import grader_server
from grader.api.limits import MAX_BATCH_BYTES
from grader.bank.build import build_bank
from grader.client import batch_chunks
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.server import IMAGE, TEST_RUNTIME, require_docker, write_jsonl

WINDOW_S = 12.0
HEALTH_EVERY_S = 0.02
HEALTH_P99_S = 0.1

QUESTIONS: list[dict[str, object]] = [
    {
        "format": "grader.v1", "id": "live/add", "title": "Add", "kind": "stdin",
        "limits": {"time_s": 2, "memory_mb": 256, "output_mb": 1},
        "tests": [{"input": "1 2\n", "output": "3\n", "public": True},
                  {"input": "20 22\n", "output": "42\n", "public": False}],
    },
    {
        "format": "grader.v1", "id": "live/line", "title": "One long line", "kind": "stdin",
        "limits": {"time_s": 10, "memory_mb": 512, "output_mb": 32},
        "tests": [{"input": "", "output": "2 " * 1000 + "\n", "public": True}],
    },
    {
        "format": "grader.v1", "id": "live/value", "title": "A value", "kind": "call",
        "entry_point": "f", "limits": {"time_s": 10, "memory_mb": 512, "output_mb": 32},
        "tests": [{"input": "1", "output": "[1]", "public": True}],
    },
]  # fmt: skip
CORRECT = "a, b = map(int, input().split())\nprint(a + b)\n"
LONG_LINE = "import sys\nsys.stdout.write('1 ' * (8 << 20) + '\\n')\n"
HUGE_VALUE = "def f(x):\n    return [[i, [i, [i]]] for i in range(150_000)]\n"


@dataclass
class Live:
    address: str
    normal_s: float
    """The correct submission's median grading time on the idle server."""
    stub: pb_grpc.GraderStub = field(init=False)

    def __post_init__(self) -> None:
        self.stub = pb_grpc.GraderStub(grpc.insecure_channel(self.address))


def grade_correct(stub: pb_grpc.GraderStub) -> float:
    started = time.monotonic()
    response = stub.Grade(pb.GradeRequest(question_id="live/add", code=CORRECT), timeout=60)
    assert response.verdict == pb.ACCEPTED
    return time.monotonic() - started


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    require_docker()
    tmp = tmp_path_factory.mktemp("liveness")
    bank = tmp / "bank.db"
    build_bank(bank, [write_jsonl(tmp / "questions.jsonl", QUESTIONS)])
    # Three sandboxes: one for a load's submission, one for the probe's, one spare.
    flags = ("--runtime", TEST_RUNTIME, "--sandbox-image", IMAGE, "--pool-size", "3", "--max-concurrent", "3")
    with grader_server(bank, *flags) as (address, _proc):
        stub = pb_grpc.GraderStub(grpc.insecure_channel(address))
        grade_correct(stub)  # warm-up
        normal = statistics.median(grade_correct(stub) for _ in range(5))
        yield Live(address, normal)


class Load:
    """Runs `step` back to back in a thread until stopped; cancels the call in flight at the end."""

    def __init__(self, step: Callable[[Load], None]) -> None:
        self.step = step
        self.stopped = threading.Event()
        self.calls: list[grpc.Future] = []  # type: ignore[type-arg]
        self.rounds = 0
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self.step(self)
            except BaseException as exc:  # handed to the test thread in __exit__
                if not self.stopped.is_set():  # else: the call in flight was cancelled
                    self.error = exc
                return
            self.rounds += 1

    def track(self, call: grpc.Future) -> grpc.Future:  # type: ignore[type-arg]
        self.calls.append(call)
        if self.stopped.is_set():
            call.cancel()
        return call

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stopped.set()
        for call in self.calls:
            call.cancel()
        self.thread.join(120)
        if self.error is not None:
            raise self.error


def drain(call: object) -> int:
    return sum(1 for _ in call)  # type: ignore[attr-defined]


def many_ks(live: Live) -> Callable[[Load], None]:
    unknown = [pb.GradeRequest(question_id="live/none", code="pass")] * 10_000
    every_k = pb.GradeBatchRequest(submissions=unknown[:1], ks=range(1, 10_001))
    sixteen = pb.GradeBatchRequest(submissions=unknown, ks=[1, *range(1250, 10_001, 625)])

    def step(load: Load) -> None:
        code = grpc.StatusCode.OK
        try:
            drain(load.track(live.stub.GradeBatch(every_k, timeout=60)))
        except grpc.RpcError as exc:
            code = exc.code()  # type: ignore[attr-defined]
        assert code == grpc.StatusCode.INVALID_ARGUMENT or load.stopped.is_set()
        assert drain(load.track(live.stub.GradeBatch(sixteen, timeout=60))) == 10_001

    return step


def large_batch(live: Live) -> Callable[[Load], None]:
    code = "print(1)\n#" + "x" * 20_000
    items = [pb.GradeRequest(question_id=f"live/none-{i}", code=code) for i in range(10_000)]
    whole = pb.GradeBatchRequest(submissions=items).SerializeToString()
    assert 180 << 20 < len(whole) < 256 << 20
    chunks = [
        pb.GradeBatchRequest(submissions=items[chunk.start : chunk.stop]).SerializeToString()
        for chunk in batch_chunks(items, [], len(items), MAX_BATCH_BYTES)
    ]
    assert max(map(len, chunks)) > MAX_BATCH_BYTES * 0.9
    # Sent as bytes, serialized once: the test's own interpreter stays free for its health checks.
    channel = grpc.insecure_channel(live.address, options=[("grpc.max_send_message_length", 256 << 20)])
    send = channel.unary_stream(
        "/grader.v1.Grader/GradeBatch", response_deserializer=pb.GradeBatchResponse.FromString
    )

    def step(load: Load) -> None:
        code = grpc.StatusCode.OK
        try:
            drain(load.track(send(whole, timeout=120)))
        except grpc.RpcError as exc:
            code = exc.code()  # type: ignore[attr-defined]
        refused = {grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED}
        assert code in refused or load.stopped.is_set()
        answered = sum(drain(load.track(send(chunk, timeout=120))) - 1 for chunk in chunks)
        assert answered == len(items)

    return step


def submission(question_id: str, code: str, verdict: int) -> Callable[[Live], Callable[[Load], None]]:
    def make(live: Live) -> Callable[[Load], None]:
        def step(load: Load) -> None:
            call = load.track(
                live.stub.Grade.future(pb.GradeRequest(question_id=question_id, code=code), timeout=120)
            )
            assert call.result().verdict == verdict

        return step

    return make


LOADS: dict[str, Callable[[Live], Callable[[Load], None]]] = {
    "many_ks": many_ks,
    "large_batch": large_batch,
    "long_line": submission("live/line", LONG_LINE, pb.WRONG_ANSWER),
    "huge_value": submission("live/value", HUGE_VALUE, pb.WRONG_ANSWER),
}


def health_latencies(address: str, until: float) -> list[float]:
    channel = grpc.insecure_channel(address)
    health = health_pb2_grpc.HealthStub(channel)
    latencies = []
    while time.monotonic() < until:
        started = time.monotonic()
        status = health.Check(health_pb2.HealthCheckRequest(), timeout=10).status
        latencies.append(time.monotonic() - started)
        assert status == health_pb2.HealthCheckResponse.SERVING
        time.sleep(HEALTH_EVERY_S)
    channel.close()
    return latencies


@pytest.mark.parametrize("name", list(LOADS))
def test_health_and_a_free_slot_stay_fast(live: Live, name: str) -> None:
    step = LOADS[name](live)
    with Load(step) as load:
        time.sleep(1.5)  # the load is under way
        until = time.monotonic() + WINDOW_S
        probes: list[float] = []
        prober = threading.Thread(
            target=lambda: probes.extend(grade_correct(live.stub) for _ in range(3)), daemon=True
        )
        prober.start()
        latencies = health_latencies(live.address, until)
        prober.join(120)
        rounds = load.rounds
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    p50 = latencies[len(latencies) // 2]
    print(
        f"{name}: {rounds} load rounds, {len(latencies)} health checks, p50 {p50 * 1000:.1f} ms,"
        f" p99 {p99 * 1000:.1f} ms, max {latencies[-1] * 1000:.1f} ms;"
        f" probes {[round(p, 2) for p in probes]} s (normal {live.normal_s:.2f} s)"
    )
    assert rounds >= 1 or name == "large_batch", "the load did not run"
    assert p99 < HEALTH_P99_S, f"health p99 {p99 * 1000:.0f} ms under {name}"
    assert len(probes) == 3
    assert max(probes) <= live.normal_s + 1.0, (probes, live.normal_s)
