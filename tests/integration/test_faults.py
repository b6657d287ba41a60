"""Faults and overload: a container killed mid-submission, a full queue."""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, grade, require_docker, start_server
from tests.support.waits import wait_until

SLOW_ECHO = "import time\ntime.sleep(1.0)\nprint(input())\n"
WAIT_S = 60.0
"""Deadline of every wait on the server's state: far past what a loaded machine needs."""


def leased_containers(server: RunningServer) -> list[str]:
    pool = server.server.pool
    assert pool is not None
    return pool.leased()


def running(container: str) -> bool:
    state = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.Running}}", container],
        capture_output=True,
        text=True,
        check=False,
    )
    return state.stdout.strip() == "true"


def kill(container: str) -> bool:
    """`docker kill`, from outside; True when it landed (the container was running and got SIGKILL)."""
    return subprocess.run(["docker", "kill", container], capture_output=True, check=False).returncode == 0


class Killer(threading.Thread):
    """Kills, from outside, the container a submission runs in, once it has leased it."""

    def __init__(self, server: RunningServer) -> None:
        super().__init__()
        self.server = server
        self.killed: list[str] = []
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            busy = wait_until(
                lambda: [c for c in leased_containers(self.server) if running(c)],
                WAIT_S,
                "the submission to be running in a container",
            )
            self.killed = [c for c in busy if kill(c)]
        except BaseException as exc:  # the test's thread reports it
            self.error = exc


@pytest.fixture(scope="module")
def one_sandbox(small_bank: Path) -> Iterator[RunningServer]:
    require_docker()
    server = start_server(small_bank, pool=PoolSettings(size=1), max_concurrent=1, max_queued=1)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def small_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from grader.bank.build import build_bank
    from tests.support.server import write_jsonl

    tmp = tmp_path_factory.mktemp("faults")
    tests = [{"input": "7\n", "output": "7\n", "public": True}]
    rows = [{"format": "grader.v1", "id": "slow", "title": "Slow echo", "kind": "stdin", "tests": tests}]
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "q.jsonl", rows)])
    return tmp / "bank.db"


def wait_idle(server: RunningServer) -> None:
    pool = server.server.pool
    assert pool is not None
    wait_until(lambda: pool.idle == pool.settings.size, WAIT_S, "every pooled container to be idle")


class TestContainerKilled:
    """A container killed mid-submission is never a candidate verdict: retried once, then
    INTERNAL_ERROR; the pool heals either way."""

    def test_retried_on_a_fresh_container(self, one_sandbox: RunningServer) -> None:
        wait_idle(one_sandbox)
        pool = one_sandbox.server.pool
        assert pool is not None
        leases, retired = pool.stats.leases, pool.stats.retired
        killer = Killer(one_sandbox)
        killer.start()
        # Long enough that the kill lands while the candidate sleeps, however slow the machine.
        response = grade(one_sandbox.stub, "slow", SLOW_ECHO.replace("1.0", "3.0"))
        killer.join(WAIT_S)
        assert killer.error is None and len(killer.killed) == 1, "the kill did not land"
        assert not running(killer.killed[0])
        assert response.verdict == pb.ACCEPTED
        # The killed container was retired, and the submission ran again in a second one.
        assert pool.stats.leases == leases + 2
        assert pool.stats.retired >= retired + 1
        wait_idle(one_sandbox)
        assert killer.killed[0] not in pool.leased()

    def test_internal_error_after_two_deaths(self, one_sandbox: RunningServer) -> None:
        wait_idle(one_sandbox)
        stop = threading.Event()
        pool = one_sandbox.server.pool
        assert pool is not None
        killed: list[str] = []

        def keep_killing() -> None:
            # Only the containers running the submission: one killed while it starts (likelier
            # under gVisor, whose start is slower) is a failed start, answered UNAVAILABLE.
            while not stop.is_set():
                killed.extend(c for c in pool.leased() if c not in killed and running(c) and kill(c))
                stop.wait(0.05)

        killer = threading.Thread(target=keep_killing)
        killer.start()
        try:
            # Slow enough that a loaded machine's `docker kill` still lands on each attempt.
            response = grade(one_sandbox.stub, "slow", SLOW_ECHO.replace("1.0", "5.0"))
        finally:
            stop.set()
            killer.join()
        assert len(killed) == 2, f"kills that landed: {killed}"
        assert not any(running(c) for c in killed)
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
        admission = one_sandbox.server.grading.admission
        workers[0].start()
        wait_until(lambda: admission.running == 1, WAIT_S, "the first submission to run")
        workers[1].start()
        wait_until(lambda: admission.waiting == 1, WAIT_S, "the second submission to wait in line")
        with pytest.raises(grpc.RpcError) as info:
            grade(one_sandbox.stub, "slow", SLOW_ECHO)
        for w in workers:
            w.join()
        assert info.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED  # type: ignore[attr-defined]
        trailers = dict(info.value.trailing_metadata())  # type: ignore[attr-defined]
        assert int(trailers["retry-after-ms"]) > 0
        assert all(r.verdict == pb.ACCEPTED for r in results)  # type: ignore[attr-defined]
