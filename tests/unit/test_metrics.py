"""Prometheus metrics: a real gRPC server over a fake sandbox, scraped over loopback HTTP; the warm
pool's recycle reasons; one registry per server."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from grader.api.server import GraderServer, ServerSettings
from grader.bank.store import BankStore
from grader.metrics import Metrics, MetricsPortError
from grader.sandbox.interface import RECYCLE_REASONS, Limits, Prelude, Program, ProgramKind
from grader.sandbox.pool import PoolSettings, WarmPool
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.fake_sandbox import FakeSandbox, GatedSandbox
from tests.support.questions import ANSWERS, question
from tests.support.runs import run
from tests.support.serving import serving as fake_serving

GOOD = "print(input().upper())"
WRONG = "print('wrong')"

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def parse(text: str) -> Samples:
    """Every sample of a scrape, by name and sorted labels."""
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, tuple(sorted(labels.items())))]


async def scrape(port: int | None) -> Samples:
    assert port, "metrics are not served"

    def get() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as reply:
            return str(reply.read().decode())

    return parse(await asyncio.to_thread(get))


def scripted_sandbox() -> FakeSandbox:
    """Answers right unless the program says 'wrong'."""
    sandbox = FakeSandbox()

    def script(session: int, _index: int, test_input: str) -> Any:
        if "wrong" in sandbox.programs[session - 1].code:
            return run(stdout=b"nope\n")
        return run(stdout=ANSWERS[test_input])

    sandbox.script = script
    return sandbox


@pytest.fixture
def bank_path(tmp_path: Path) -> Path:
    path = tmp_path / "bank.db"
    BankStore.create(path, [question("echo")])
    return path


def serving(
    bank: Path, sandbox: FakeSandbox, **settings: Any
) -> contextlib.AbstractAsyncContextManager[GraderServer]:
    """A server over `sandbox` whose metrics are served, on an ephemeral port."""
    return fake_serving(bank, sandbox, **({"metrics_port": 0} | settings))


@contextlib.asynccontextmanager
async def stub_of(server: GraderServer) -> AsyncIterator[pb_grpc.GraderStub]:
    async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
        yield pb_grpc.GraderStub(channel)


async def status_of(call: Any) -> grpc.StatusCode:
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await call
    return info.value.code()


class TestServedMetrics:
    """Counters move with what the server answered; /metrics serves them over HTTP."""

    async def test_requests_verdicts_and_latency(self, bank_path: Path) -> None:
        async with serving(bank_path, scripted_sandbox()) as server, stub_of(server) as stub:
            for code in (GOOD, GOOD, WRONG):
                await stub.Grade(pb.GradeRequest(question_id="echo", code=code), timeout=30)
            missing = stub.Grade(pb.GradeRequest(question_id="nope", code=GOOD), timeout=30)
            assert await status_of(missing) == grpc.StatusCode.NOT_FOUND
            await stub.GetQuestion(pb.GetQuestionRequest(question_id="echo"), timeout=30)
            await stub.ListQuestions(pb.ListQuestionsRequest(), timeout=30)
            batch = pb.GradeBatchRequest(
                submissions=[
                    pb.GradeRequest(question_id="echo", code=GOOD),
                    pb.GradeRequest(question_id="nope", code=GOOD),
                ]
            )
            replies = [reply async for reply in stub.GradeBatch(batch, timeout=30)]
            assert replies[-1].summary.graded == 1
            empty = stub.GradeBatch(pb.GradeBatchRequest(), timeout=30)
            assert await status_of(empty.read()) == grpc.StatusCode.INVALID_ARGUMENT
            samples = await scrape(server.metrics_port)

        requests = "grader_requests_total"
        assert value(samples, requests, rpc="Grade", code="OK") == 3
        assert value(samples, requests, rpc="Grade", code="NOT_FOUND") == 1
        assert value(samples, requests, rpc="GetQuestion", code="OK") == 1
        assert value(samples, requests, rpc="ListQuestions", code="OK") == 1
        assert value(samples, requests, rpc="GradeBatch", code="OK") == 1
        assert value(samples, requests, rpc="GradeBatch", code="INVALID_ARGUMENT") == 1
        assert value(samples, "grader_verdicts_total", verdict="ACCEPTED") == 3
        assert value(samples, "grader_verdicts_total", verdict="WRONG_ANSWER") == 1
        assert value(samples, "grader_verdicts_total", verdict="TIME_LIMIT_EXCEEDED") == 0
        assert value(samples, "grader_grade_seconds_count") == 4
        assert value(samples, "grader_rpc_seconds_count", rpc="Grade") == 4
        assert value(samples, "grader_rpc_seconds_count", rpc="GradeBatch") == 2
        assert value(samples, "grader_container_starts_total") == 0  # a fake sandbox starts none
        for reason in RECYCLE_REASONS:
            assert value(samples, "grader_container_recycles_total", reason=reason) == 0
        # No client data in any label: only the fixed names above.
        assert not any("echo" in str(labels) or "nope" in str(labels) for _name, labels in samples)

    async def test_gauges_read_live_values(self, bank_path: Path) -> None:
        sandbox = GatedSandbox()
        async with (
            serving(bank_path, sandbox, max_concurrent=1) as server,
            stub_of(server) as stub,
        ):
            calls = [
                asyncio.ensure_future(stub.Grade(pb.GradeRequest(question_id="echo", code=GOOD), timeout=60))
                for _ in range(3)
            ]
            admission = server.grading.admission
            for _ in range(1000):
                if admission.running == 1 and admission.waiting == 2:
                    break
                await asyncio.sleep(0.01)
            during = await scrape(server.metrics_port)
            sandbox.gate.set()
            await asyncio.gather(*calls)
            after = await scrape(server.metrics_port)
        assert value(during, "grader_queue_depth") == 2
        assert value(during, "grader_sandboxes_busy") == 1
        assert value(after, "grader_queue_depth") == 0
        assert value(after, "grader_sandboxes_busy") == 0
        assert value(after, "grader_verdicts_total", verdict="ACCEPTED") == 3

    async def test_servers_count_apart(self, bank_path: Path) -> None:
        async with (
            serving(bank_path, scripted_sandbox()) as first,
            serving(bank_path, scripted_sandbox()) as second,
            stub_of(first) as stub,
        ):
            await stub.Grade(pb.GradeRequest(question_id="echo", code=GOOD), timeout=30)
            assert first.metrics_port != second.metrics_port
            one, other = await scrape(first.metrics_port), await scrape(second.metrics_port)
        assert value(one, "grader_verdicts_total", verdict="ACCEPTED") == 1
        assert value(other, "grader_verdicts_total", verdict="ACCEPTED") == 0

    async def test_not_served_when_off(self, bank_path: Path) -> None:
        async with serving(bank_path, scripted_sandbox(), metrics_port=None) as server:
            assert server.metrics_port is None

    async def test_port_taken_fails_the_start_clearly(self, bank_path: Path) -> None:
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            port = taken.getsockname()[1]
            server = GraderServer(
                ServerSettings(bank=bank_path, host="127.0.0.1", port=0, metrics_port=port, pool=None),
                sandbox=scripted_sandbox(),
            )
            with pytest.raises(MetricsPortError, match=f"cannot serve metrics on \\[127.0.0.1\\]:{port}"):
                await server.start()
            server.bank.close()


class FakeContainer:
    def __init__(self, number: int, reset_ok: bool, tampered: bool = False) -> None:
        self.name = f"fake-{number}"
        self.uses = 0
        self.anomaly = ""
        self.alive = True
        self.reset_ok = reset_ok
        self.tampered = tampered

    async def load(self, _program: Program, _wall_s: float) -> None:
        return None

    async def reset(self) -> bool:
        if self.tampered:  # as ContainerSession.reset when the supervisor reports a change
            self.anomaly = "long-lived process changed"
            return False
        return self.reset_ok


class FakeDocker:
    """Just enough of DockerSandbox for the pool: containers that cost nothing."""

    def __init__(self, reset_ok: bool = True, tampered: bool = False) -> None:
        self.started = 0
        self.reset_ok = reset_ok
        self.tampered = tampered

    async def start_container(self, _memory_limit_mb: int) -> FakeContainer:
        self.started += 1
        return FakeContainer(self.started, self.reset_ok, self.tampered)

    async def stop_container(self, _container: FakeContainer) -> None:
        return None

    def wall_s(self, _program: Program) -> float:
        return 1.0


PROGRAM = Program(
    code=GOOD,
    kind=ProgramKind.STDIN,
    entry_point="",
    prelude=Prelude.NONE,
    limits=Limits(time_s=1.0, memory_mb=256, output_mb=1),
)


def recycles(metrics: Metrics) -> dict[str, float]:
    samples = parse(metrics.exposition().decode())
    return {r: value(samples, "grader_container_recycles_total", reason=r) for r in RECYCLE_REASONS}


async def use_pool(pool: WarmPool, anomaly: str = "", fail: bool = False) -> None:
    with contextlib.suppress(RuntimeError):
        async with pool.session(PROGRAM) as container:
            container.anomaly = anomaly  # type: ignore[misc]
            if fail:
                raise RuntimeError("the submission failed")


class TestRecycleReasons:
    """Each way a pooled container is retired is counted under its own reason."""

    @pytest.mark.parametrize(
        ("anomaly", "fail", "reset_ok", "reason"),
        [
            ("oom kill", False, True, "oom_kill"),
            ("killed at a limit", False, True, "limit_kill"),
            ("", True, True, "failed_or_cancelled"),
            ("", False, False, "reset_failed"),
        ],
    )
    async def test_reason(self, anomaly: str, fail: bool, reset_ok: bool, reason: str) -> None:
        metrics = Metrics()
        pool = WarmPool(FakeDocker(reset_ok), PoolSettings(size=1), events=metrics)  # type: ignore[arg-type]
        await pool.start()
        await use_pool(pool, anomaly, fail)
        await pool.close()
        assert recycles(metrics) == {r: (1.0 if r == reason else 0.0) for r in RECYCLE_REASONS}

    async def test_changed_long_lived_process(self) -> None:
        metrics = Metrics()
        pool = WarmPool(FakeDocker(tampered=True), PoolSettings(size=1), events=metrics)  # type: ignore[arg-type]
        await pool.start()
        await use_pool(pool)
        await pool.close()
        assert recycles(metrics) == {r: (1.0 if r == "tampered" else 0.0) for r in RECYCLE_REASONS}

    async def test_clean_use_is_not_a_recycle_until_max_uses(self) -> None:
        metrics = Metrics()
        docker = FakeDocker()
        pool = WarmPool(docker, PoolSettings(size=1, max_uses=2), events=metrics)  # type: ignore[arg-type]
        await pool.start()
        await use_pool(pool)
        assert sum(recycles(metrics).values()) == 0
        await use_pool(pool)
        await pool.close()
        assert recycles(metrics)["max_uses"] == 1
        assert sum(recycles(metrics).values()) == 1
