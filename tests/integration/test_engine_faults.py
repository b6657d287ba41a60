"""Faults of the infrastructure under a real grader, on a private Docker engine
(tests/support/private_engine.py): the engine restarted or crashed mid-batch, a supervisor killed
mid-submission, the engine's disk full, a crashed server's leftovers. No item is lost, no verdict is
wrong, health tells the truth throughout, and the pool heals by itself."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grader.bank.build import build_bank
from grader.sandbox.command import LABEL, OWNER_LABEL, DockerSettings
from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.support.private_engine import PrivateEngine
from tests.support.server import IMAGE, RunningServer, grade, require_docker, start_server, write_jsonl
from tests.support.waits import wait_until

REPO = Path(__file__).resolve().parents[2]
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING

GOOD = "a, b = map(int, input().split())\nprint(a + b)\n"
WRONG = "a, b = map(int, input().split())\nprint(a - b)\n"
SLOW_GOOD = "import time\ntime.sleep(0.2)\n" + GOOD
SLOW_ECHO = "import time\ntime.sleep(2.0)\nprint(input())\n"
FILLS_TMP = (
    "import os\nchunk = b'x' * (1 << 20)\n"
    "try:\n    with open('/tmp/fill', 'wb') as f:\n        while True:\n            f.write(chunk)\n"
    "except OSError:\n    pass\n" + GOOD
)
# Correct only when nothing of the previous submission is left in /tmp.
CHECKS_TMP_EMPTY = "import os\nassert not os.listdir('/tmp'), 'tmp not wiped'\n" + GOOD


def health(server: RunningServer) -> int:
    stub = health_pb2_grpc.HealthStub(server.channel)
    return int(stub.Check(health_pb2.HealthCheckRequest(service="grader.v1.Grader"), timeout=10).status)


def wait_pool_full(server: RunningServer, timeout_s: float = 120.0) -> None:
    pool = server.server.pool
    assert pool is not None
    wait_until(lambda: pool.idle == pool.settings.size, timeout_s, "the pool to fill")


@pytest.fixture(scope="session")
def engine() -> Iterator[PrivateEngine]:
    """One private engine for every fault test: the image load is the slow part (~15 s here)."""
    require_docker()
    private = PrivateEngine()
    try:
        private.start()
        private.load_image(IMAGE)
        yield private
    finally:
        private.destroy()


@pytest.fixture(scope="module")
def fault_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("engine-faults")
    rows: list[dict[str, object]] = [
        {"format": "grader.v1", "id": "add", "title": "Add", "kind": "stdin", "limits": {"time_s": 2},
         "tests": [{"input": "1 2\n", "output": "3\n", "public": True},
                   {"input": "40 2\n", "output": "42\n", "public": False}]},
        {"format": "grader.v1", "id": "slow", "title": "Slow echo", "kind": "stdin", "limits": {"time_s": 5},
         "tests": [{"input": "7\n", "output": "7\n", "public": True}]},
    ]  # fmt: skip
    build_bank(tmp / "bank.db", [write_jsonl(tmp / "q.jsonl", rows)])
    return tmp / "bank.db"


def private_server(engine: PrivateEngine, bank: Path, pool_size: int, **settings: object) -> RunningServer:
    """A server on the private engine (pool size 0: a fresh container per submission)."""
    docker = DockerSettings(docker_host=engine.host, image=IMAGE)
    pool = PoolSettings(size=pool_size) if pool_size else None
    # A short drain: a server stopped on a broken engine must not spend its stop on a wait for
    # work that cannot finish (the stop itself is bounded by the fixture's timeout).
    settings.setdefault("drain_s", 5.0)
    return start_server(bank, docker, pool=pool, health_interval_s=0.3, **settings)


class TestEngineRestart:
    """The engine stopped (a restart) or killed (a crash) halfway through a batch: every item is
    answered, no verdict is wrong, health is NOT_SERVING while it is away, and the pool heals."""

    @pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGKILL], ids=["restart", "crash"])
    def test_batch_through_a_restart(
        self, engine: PrivateEngine, fault_bank: Path, stop: signal.Signals
    ) -> None:
        server = private_server(engine, fault_bank, pool_size=2)
        try:
            wait_pool_full(server)
            before = set(engine.containers(f"label={LABEL}", running_only=True))
            assert len(before) == 2
            items = [(SLOW_GOOD, pb.ACCEPTED) if i % 2 == 0 else (WRONG, pb.WRONG_ANSWER) for i in range(20)]
            request = pb.GradeBatchRequest(
                submissions=[pb.GradeRequest(question_id="add", code=c) for c, _ in items]
            )
            answers: list[pb.GradeBatchResponse] = []
            failure: list[BaseException] = []

            def run_batch() -> None:
                try:
                    answers.extend(server.stub.GradeBatch(request, timeout=300))
                except BaseException as exc:
                    failure.append(exc)

            batch = threading.Thread(target=run_batch)
            batch.start()
            wait_until(lambda: len(answers) >= 6, 120, "the batch to get under way")
            engine.stop(stop)
            wait_until(lambda: health(server) == NOT_SERVING, 30, "health to see the engine gone")
            engine.start()
            back = time.monotonic()
            wait_until(lambda: health(server) == SERVING, 60, "the pool to heal")
            healed_s = time.monotonic() - back
            batch.join(300)
            assert not batch.is_alive() and not failure, failure
            *results, summary = answers
            assert summary.HasField("summary")
            assert sorted(m.index for m in results) == list(range(len(items)))
            # The README's promise: every item its right verdict. A retry that found the engine
            # still away waits with the batch; it is not an INTERNAL_ERROR.
            wrong = [
                (m.index, pb.Verdict.Name(m.result.verdict))
                for m in results
                if m.HasField("result") and m.result.verdict != items[m.index][1]
            ]
            assert not wrong, f"wrong verdicts after an engine fault: {wrong}"
            # The batch waited for the engine (--batch-engine-wait-s): a restart costs no item.
            errors = [(m.index, m.error.code, m.error.message) for m in results if m.HasField("error")]
            assert not errors, errors
            after = set(engine.containers(f"label={LABEL}", running_only=True))
            assert after and not after & before, "the pool was not rebuilt with new containers"
            assert grade(server.stub, "add", GOOD).verdict == pb.ACCEPTED
            print(f"engine {stop.name}: pool healed {healed_s:.1f} s after the engine answered")
        finally:
            server.stop()
            if not engine.answers():  # the test failed while the engine was away
                engine.start()


def supervisor_pid(engine: PrivateEngine, container: str) -> int:
    """The host pid of the runner's supervisor: the child of the container's init."""
    init = int(engine.docker("inspect", "--format", "{{.State.Pid}}", container).stdout)
    children = Path(f"/proc/{init}/task/{init}/children").read_text().split()
    assert len(children) == 1, children
    cmdline = Path(f"/proc/{children[0]}/cmdline").read_bytes()
    assert b"grader.runner.supervisor" in cmdline, cmdline
    return int(children[0])


class TestSupervisorCrash:
    """A supervisor killed mid-submission: retried on a fresh container (or INTERNAL_ERROR), never
    a candidate verdict; the dead container is retired and replaced."""

    def test_killed_supervisor(self, engine: PrivateEngine, fault_bank: Path) -> None:
        server = private_server(engine, fault_bank, pool_size=1)
        pool = server.server.pool
        assert pool is not None
        try:
            wait_pool_full(server)
            result: list[pb.GradeResponse] = []
            worker = threading.Thread(target=lambda: result.append(grade(server.stub, "slow", SLOW_ECHO)))
            worker.start()
            wait_until(lambda: bool(pool.leased()), 60, "a lease")
            victim = pool.leased()[0]
            os.kill(supervisor_pid(engine, victim), signal.SIGKILL)
            worker.join(120)
            assert result, "no answer"
            # One container died: the retry on a fresh one gives the right verdict (INTERNAL_ERROR
            # is for a retry that dies too), and the kill landed mid-submission: two leases.
            assert result[0].verdict == pb.ACCEPTED, result[0]
            assert pool.stats.leases == 2 and pool.stats.retired == 1, pool.stats
            wait_pool_full(server)
            assert victim not in engine.containers(f"label={LABEL}")
            assert grade(server.stub, "add", GOOD).verdict == pb.ACCEPTED
        finally:
            server.stop()


class TestDiskFull:
    """A full disk on the engine is UNAVAILABLE with the reason, and NOT_SERVING once no sandbox
    can start, never a verdict; it heals when space is freed. A sandbox's own full /tmp is the
    candidate's business: graded as usual, and wiped before the next submission."""

    @pytest.fixture
    def server(self, engine: PrivateEngine, fault_bank: Path) -> Iterator[RunningServer]:
        running = private_server(engine, fault_bank, pool_size=1)
        yield running
        running.stop()

    def test_sandbox_tmpfs_full_is_a_verdict(self, server: RunningServer) -> None:
        assert grade(server.stub, "add", FILLS_TMP).verdict == pb.ACCEPTED
        assert grade(server.stub, "add", CHECKS_TMP_EMPTY).verdict == pb.ACCEPTED
        pool = server.server.pool
        assert pool is not None and pool.stats.started == 1, "the container was not reused"

    def test_engine_disk_full(self, engine: PrivateEngine, fault_bank: Path) -> None:
        try:
            warm = private_server(engine, fault_bank, pool_size=1)
            try:
                wait_pool_full(warm)
                engine.fill_disk()
                # A warm container still grades: nothing it does needs the engine's disk.
                assert grade(warm.stub, "add", GOOD).verdict == pb.ACCEPTED
            finally:
                warm.stop()
            engine.fill_disk()  # removing the container freed a little space
            for pool_size in (1, 0):  # the warm pool, and a fresh container per submission
                full = private_server(engine, fault_bank, pool_size=pool_size, batch_engine_wait_s=0.5)
                try:
                    self.check_unavailable(full)
                finally:
                    full.stop()
            full = private_server(engine, fault_bank, pool_size=1)
            try:
                wait_until(lambda: health(full) == NOT_SERVING, 60, "health to see the full disk")
                engine.free_disk()
                wait_until(lambda: health(full) == SERVING, 60, "the pool to heal")
                assert grade(full.stub, "add", GOOD).verdict == pb.ACCEPTED
            finally:
                full.stop()
        finally:
            engine.free_disk()

    @staticmethod
    def check_unavailable(server: RunningServer) -> None:
        """No container can be created: UNAVAILABLE saying why, and NOT_SERVING."""
        with pytest.raises(grpc.RpcError) as info:
            grade(server.stub, "add", GOOD)
        assert info.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "no space left on device" in str(info.value.details())
        wait_until(lambda: health(server) == NOT_SERVING, 60, "health to see the full disk")
        item = pb.GradeRequest(question_id="add", code=GOOD)
        [answer, _] = server.stub.GradeBatch(pb.GradeBatchRequest(submissions=[item]), timeout=120)
        assert answer.error.code == grpc.StatusCode.UNAVAILABLE.value[0]
        assert "no space left on device" in answer.error.message


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(
    engine: PrivateEngine, bank: Path, port: int
) -> tuple[subprocess.Popen[str], list[dict[str, object]]]:
    """`grader serve` in its own process group; returns it once it serves, and its log so far."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "serve", "--bank", str(bank), "--host", "127.0.0.1",
         "--port", str(port), "--docker-host", engine.host, "--pool-size", "2"],
        stderr=subprocess.PIPE, text=True, cwd=REPO, start_new_session=True,
        env={**os.environ, "GRADER_LOG_LEVEL": "info"},
    )  # fmt: skip
    assert proc.stderr is not None
    events: list[dict[str, object]] = []
    for line in proc.stderr:
        events.append(json.loads(line) if line.startswith("{") else {"text": line})
        if events[-1].get("event") == "serving":
            threading.Thread(target=proc.stderr.read, daemon=True).start()  # keep the pipe drained
            return proc, events
    pytest.fail(f"grader serve exited {proc.wait()}: {events[-5:]}")


class TestCrashedServerLeftovers:
    """Containers a crashed server left are removed when it starts again (same owner); those of
    another owner, and other containers, are left alone."""

    def test_removed_at_next_start(self, engine: PrivateEngine, fault_bank: Path) -> None:
        port = free_port()
        owner = f"{OWNER_LABEL}={socket.gethostname()}:{port}"
        other = engine.docker("create", "--label", f"{LABEL}=1", "--label", f"{OWNER_LABEL}=another:1", IMAGE)
        unrelated = engine.docker("create", IMAGE)
        assert other.returncode == 0 and unrelated.returncode == 0, other.stderr + unrelated.stderr
        first, _ = serve(engine, fault_bank, port)
        second: subprocess.Popen[str] | None = None
        try:
            wait_until(
                lambda: len(engine.containers(f"label={owner}", running_only=True)) == 2,
                120,
                "both containers running",
            )
            crashed = engine.containers(f"label={owner}")
            # Stopped, as a supervisor busy with a long test or wedged would be: it cannot see its
            # stdin close and end by itself (an idle one does, as soon as its server is gone).
            for name in crashed:
                os.kill(supervisor_pid(engine, name), signal.SIGSTOP)
            os.killpg(first.pid, signal.SIGKILL)  # the server and its docker CLIs, as a crash would
            first.wait(30)
            assert engine.containers(f"label={owner}") == crashed, "nothing was left to clean up"
            second, events = serve(engine, fault_bank, port)
            removed = [e for e in events if e.get("event") == "removed_leftover_sandboxes"]
            assert removed and removed[0]["count"] == len(crashed)
            assert not set(engine.containers(f"label={owner}")) & set(crashed)
            all_ids = engine.docker("ps", "-aq", "--no-trunc").stdout.split()
            assert other.stdout.strip() in all_ids and unrelated.stdout.strip() in all_ids
            wait_until(
                lambda: len(engine.containers(f"label={owner}", running_only=True)) == 2,
                120,
                "both containers running",
            )
        finally:
            for proc in (first, second):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    proc.wait(120)
            engine.docker("rm", "-f", other.stdout.strip(), unrelated.stdout.strip())
