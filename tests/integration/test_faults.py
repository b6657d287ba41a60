"""Faults and overload: a container killed mid-submission, a full queue."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.integration.conftest import RunningServer, grade, require_docker, start_server

SLOW_ECHO = "import time\ntime.sleep(1.0)\nprint(input())\n"


def kill_busy_container_soon(server: RunningServer, delay: float) -> threading.Thread:
    """Kills, from outside, the container that is running a submission after `delay` seconds."""

    def kill() -> None:
        time.sleep(delay)
        pool = server.server.pool
        assert pool is not None
        subprocess.run(["docker", "kill", *pool.leased()], capture_output=True, check=False)

    thread = threading.Thread(target=kill)
    thread.start()
    return thread


@pytest.fixture(scope="module")
def one_sandbox(small_bank: Path) -> Iterator[RunningServer]:
    require_docker()
    running = start_server(small_bank, pool=PoolSettings(size=1), max_concurrent=1, max_queued=1)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from grader.bank.build import build_bank
    from tests.integration.conftest import write_jsonl

    tmp = tmp_path_factory.mktemp("faults")
    tests = [{"input": "7\n", "output": "7\n", "public": True}]
    rows = [{"format": "grader.v1", "id": "slow", "title": "Slow echo", "kind": "stdin", "tests": tests}]
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "q.jsonl", rows)])
    return tmp / "bank.db"


def wait_idle(server: RunningServer) -> None:
    pool = server.server.pool
    assert pool is not None
    deadline = time.monotonic() + 60
    while pool.idle < pool.settings.size and time.monotonic() < deadline:
        time.sleep(0.1)
    assert pool.idle == pool.settings.size


class TestContainerKilled:
    """A container killed mid-submission is never a candidate verdict: retried once, then
    INTERNAL_ERROR; the pool heals either way."""

    def test_retried_on_a_fresh_container(self, one_sandbox: RunningServer) -> None:
        wait_idle(one_sandbox)
        killer = kill_busy_container_soon(one_sandbox, 0.5)
        response = grade(one_sandbox.stub, "slow", SLOW_ECHO)
        killer.join()
        assert response.verdict == pb.ACCEPTED
        wait_idle(one_sandbox)

    def test_internal_error_after_two_deaths(self, one_sandbox: RunningServer) -> None:
        wait_idle(one_sandbox)
        stop = threading.Event()
        pool = one_sandbox.server.pool
        assert pool is not None

        def keep_killing() -> None:
            # Only the containers running the submission: one killed while it starts (likelier
            # under gVisor, whose start is slower) is a failed start, answered UNAVAILABLE.
            while not stop.is_set():
                for name in pool.leased():
                    subprocess.run(["docker", "kill", name], capture_output=True, check=False)
                time.sleep(0.3)

        killer = threading.Thread(target=keep_killing)
        killer.start()
        try:
            # Slow enough that a loaded machine's `docker kill` still lands on each attempt.
            response = grade(one_sandbox.stub, "slow", SLOW_ECHO.replace("1.0", "5.0"))
        finally:
            stop.set()
            killer.join()
        assert response.verdict == pb.INTERNAL_ERROR
        assert {t.verdict for t in response.tests} == {pb.INTERNAL_ERROR}
        wait_idle(one_sandbox)
        assert grade(one_sandbox.stub, "slow", SLOW_ECHO).verdict == pb.ACCEPTED


class TestOverload:
    """With one sandbox busy and one submission queued, the next is refused with a retry hint."""

    def test_resource_exhausted(self, one_sandbox: RunningServer) -> None:
        wait_idle(one_sandbox)
        results: list[object] = []
        workers = [
            threading.Thread(target=lambda: results.append(grade(one_sandbox.stub, "slow", SLOW_ECHO)))
            for _ in range(2)
        ]
        for w in workers:
            w.start()
            time.sleep(0.3)
        with pytest.raises(grpc.RpcError) as info:
            grade(one_sandbox.stub, "slow", SLOW_ECHO)
        for w in workers:
            w.join()
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED  # type: ignore[attr-defined]
        trailers = dict(info.value.trailing_metadata())  # type: ignore[attr-defined]
        assert int(trailers["retry-after-ms"]) > 0
        assert all(r.verdict == pb.ACCEPTED for r in results)  # type: ignore[attr-defined]
