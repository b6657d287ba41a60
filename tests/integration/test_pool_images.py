"""A warm pool per sandbox environment, on the real engine: an environment no question of the bank
uses costs nothing (its image need not even exist); one the bank uses that cannot start containers
makes health NOT_SERVING while the others go on grading; a program runs in its environment's pool."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grader.bank.store import BankStore
from grader.sandbox.interface import Limits, Prelude, Program, ProgramKind
from grader.sandbox.pool import PoolSettings
from grader.sandbox.router import ImagePool, ImageRouter, environments
from grader.sandbox.runtimes import limit_args
from grader.v1 import grader_pb2 as pb
from tests.support.server import IMAGE, RunningServer, docker_settings, grade, require_docker, start_server

BOGUS = "grader-sandbox-bogus-never-built:none"
ECHO = "print(input())"
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


def images_of_containers(owner: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-a", "--filter", f"label=grader.owner={owner}", "--format", "{{.Image}}"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return out.stdout.split()


def container_memories(owner: str) -> list[str]:
    """The memory limits of the running containers of `owner`, as `docker run --memory` takes them."""
    listed = subprocess.run(["docker", "ps", "--filter", f"label=grader.owner={owner}", "-q"],
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    limits = subprocess.run(["docker", "inspect", "--format", "{{json .HostConfig.Memory}}", *listed],
                            capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
    return sorted(f"{json.loads(m) >> 20}m" for m in limits)


def health(server: RunningServer) -> int:
    stub = health_pb2_grpc.HealthStub(server.channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(service=""), timeout=10).status)


def wait_for(condition: object, what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def serve(bank: Path) -> RunningServer:
    return start_server(
        bank,
        pool=PoolSettings(size=1),
        images={"bigcodebench": BOGUS},
        image_pools={"bigcodebench": ImagePool(1)},
    )


@pytest.fixture(scope="module")
def default_bank(bank_path: Path) -> Path:
    require_docker()
    assert subprocess.run(["docker", "image", "inspect", BOGUS], capture_output=True, check=False).returncode
    return bank_path


@pytest.fixture
def used_by_the_bank(monkeypatch: pytest.MonkeyPatch) -> set[str]:
    """What the bank says its questions use (BankStore.images, stood in for here)."""
    used = {""}
    monkeypatch.setattr(BankStore, "images", lambda self: set(used), raising=False)
    return used


class TestUnusedEnvironment:
    def test_no_container_and_no_check_for_an_image_no_question_uses(self, default_bank: Path) -> None:
        # The bank says which environments it uses (its questions all use the default one).
        running = serve(default_bank)
        try:
            owner = running.server.docker.settings.owner
            pool = running.server.pool
            assert pool is not None
            wait_for(lambda: pool.idle == 1, "the default pool")
            assert health(running) == SERVING
            response = grade(running.stub, "it/add", ADD)
            assert response.verdict == pb.ACCEPTED
            assert running.server.router.started == {""}
            assert running.server.router.pools["bigcodebench"].stats.start_failures == 0
            assert set(images_of_containers(owner)) == {IMAGE}
        finally:
            running.stop()
        assert images_of_containers(owner) == []


class TestUsedEnvironmentThatCannotStart:
    def test_health_not_serving_and_the_default_environment_still_grades(
        self, default_bank: Path, used_by_the_bank: set[str]
    ) -> None:
        used_by_the_bank.add("bigcodebench")
        running = serve(default_bank)
        try:
            assert health(running) == NOT_SERVING
            assert running.server.router.started == {"", "bigcodebench"}
            assert grade(running.stub, "it/add", ADD).verdict == pb.ACCEPTED
            assert set(images_of_containers(running.server.docker.settings.owner)) == {IMAGE}
        finally:
            running.stop()


class TestRouting:
    """Two environments on the real engine (the test image under a second name, with its own
    pool memory): each program runs in a container of its own environment's pool."""

    def test_each_program_in_its_environments_container(self) -> None:
        require_docker()
        asyncio.run(self._run())

    async def _run(self) -> None:
        docker = docker_settings(owner=f"test-pool-images-{time.monotonic_ns()}")
        found = environments(
            docker, PoolSettings(size=1, memory_limit_mb=256), {"other": IMAGE}, {"other": ImagePool(1, 384)}
        )
        router = ImageRouter(docker, found)
        await router.start({""})
        try:
            memories = {}
            limits = Limits(time_s=2.0, memory_mb=128, output_mb=1)
            for name in ("", "other"):
                program = Program(ECHO, ProgramKind.STDIN, "", Prelude.NONE, limits, image=name)
                async with router.session(program) as session:
                    run = await session.run_test(0, "hello\n")
                    assert run.answer.stdout == b"hello\n"
                    memories[name] = session.memory_limit_mb  # type: ignore[attr-defined]
            assert memories == {"": 256, "other": 384}
            assert router.started == {"", "other"}
            expected = [limit_args(docker.runtime, m + docker.memory_headroom_mb, docker.pids_limit)[1]
                        for m in (256, 384)]  # fmt: skip
            assert await asyncio.to_thread(container_memories, docker.owner) == sorted(expected)
        finally:
            await router.close()
