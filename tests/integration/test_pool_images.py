"""A warm pool per sandbox environment, on the real engine: an environment no question of the bank
uses costs nothing (its image need not even exist); a question naming an environment runs in that
environment's pool; one the bank uses whose image is missing makes health NOT_SERVING and its
questions UNAVAILABLE while the default environment goes on grading."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grader.bank.build import build_bank
from grader.sandbox.interface import Limits, Prelude, Program, ProgramKind
from grader.sandbox.pool import PoolSettings
from grader.sandbox.router import ImagePool, ImageRouter, environments
from grader.sandbox.runtimes import limit_args
from grader.v1 import grader_pb2 as pb
from tests.support import server as support
from tests.support.bank_rows import native_row, native_unittest_row
from tests.support.server import IMAGE, RunningServer, grade, require_docker, start_server

BOGUS = "grader-sandbox-bogus-never-built:none"
ECHO = "print(input())"
ADD = "a, b = map(int, input().split())\nprint(a + b)\n"
SUITE_QUESTION = native_unittest_row()["id"]
SUITE_ANSWER = "def task_func(values):\n    return sum(values)\n"
NATIVE_QUESTION = native_row()["id"]
NATIVE_ANSWER = "for _ in range(int(input())):\n    a, b = map(int, input().split())\n    print(a + b)\n"
SUITE = """import unittest
class TestCases(unittest.TestCase):
    def test_one(self):
        self.assertEqual(task_func([1]), 1)
    def test_two(self):
        self.assertEqual(task_func([1, 2]), 3)
"""
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


def wait_for(condition: Callable[[], bool], what: str, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
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


@pytest.fixture(scope="module")
def suite_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A default-image question and a unittest one that names the bigcodebench environment."""
    require_docker()
    tmp = tmp_path_factory.mktemp("images")
    rows = [native_row(), native_unittest_row(image="bigcodebench", suite=SUITE)]
    del rows[1]["reference"]  # no reference to check: the build needs no sandbox
    out = tmp / "bank.db"
    build_bank(out, [support.write_jsonl(tmp / "rows.jsonl", rows)])
    return out


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


class TestUsedEnvironments:
    """A bank whose questions name the bigcodebench environment: its pool starts with the server."""

    def test_each_question_in_its_environments_pool(self, suite_bank: Path) -> None:
        # The test image stands in for the bigcodebench one: the suite needs no library.
        running = start_server(suite_bank, pool=PoolSettings(size=1), images={"bigcodebench": IMAGE},
                               image_pools={"bigcodebench": ImagePool(1)})  # fmt: skip
        try:
            router = running.server.router
            assert router.started == {"", "bigcodebench"}
            assert health(running) == SERVING
            suite = grade(running.stub, SUITE_QUESTION, SUITE_ANSWER)
            assert suite.verdict == pb.ACCEPTED, suite
            assert suite.tests_total == 2
            assert grade(running.stub, NATIVE_QUESTION, NATIVE_ANSWER).verdict == pb.ACCEPTED
            assert (router.pools["bigcodebench"].stats.leases, router.pools[""].stats.leases) == (1, 1)
        finally:
            running.stop()

    def test_an_image_that_is_missing_turns_health_not_serving(self, suite_bank: Path) -> None:
        running = serve(suite_bank)
        try:
            assert health(running) == NOT_SERVING
            assert running.server.router.started == {"", "bigcodebench"}
            with pytest.raises(grpc.RpcError) as info:
                grade(running.stub, SUITE_QUESTION, SUITE_ANSWER)
            assert info.value.code() == grpc.StatusCode.UNAVAILABLE
            # The default environment goes on grading meanwhile.
            assert grade(running.stub, NATIVE_QUESTION, NATIVE_ANSWER).verdict == pb.ACCEPTED
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
        docker = support.docker_settings(owner=f"test-pool-images-{time.monotonic_ns()}")
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


class TestBankBuild:
    """`grader bank build` checks a reference in its question's environment, started on first need."""

    def build(self, tmp: Path, rows: list[dict[str, object]], bcb: str) -> subprocess.CompletedProcess[str]:
        source = support.write_jsonl(tmp / "rows.jsonl", rows)
        command = [sys.executable, "-m", "grader.cli", "bank", "build", "--out", str(tmp / "bank.db"),
                   "--sandbox-image", IMAGE, "--runtime", support.TEST_RUNTIME, "--concurrency", "1",
                   "--images", f"bigcodebench={bcb}", str(source)]  # fmt: skip
        return subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)

    def test_in_the_questions_environment(self, tmp_path: Path) -> None:
        require_docker()
        rows: list[dict[str, object]] = [native_unittest_row(id="default/sum", suite=SUITE)]
        assert self.build(tmp_path, rows, BOGUS).returncode == 0  # bigcodebench: needed by none
        rows.append(native_unittest_row(id="bcb/sum", image="bigcodebench", suite=SUITE))
        missing = self.build(tmp_path, rows, BOGUS)
        assert missing.returncode == 1
        assert f"sandbox image {BOGUS} is missing" in missing.stderr
        built = self.build(tmp_path, rows, IMAGE)
        assert built.returncode == 0, built.stderr
        assert "2 questions" in built.stderr
