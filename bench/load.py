"""Bounded load test on loopback: `grader serve` driven at 10x its capacity.

    .venv/bin/python -m bench.load [--duration 180] [--pool-size N] [--clients 10xN]

Starts `grader serve` as its own process on the demo bank, then `--clients` concurrent clients
(default 10 x the pool's size, the server's capacity) issue calls back to back — correct, wrong
and slow demo samples whose verdicts are known — for `--duration` seconds: Grade calls, and one
client in `--batch-every` sends GradeBatch calls of 2-6 items instead. Then the server gets
SIGTERM. Invariants (exit 1 if one breaks):

* every call is answered: OK, or RESOURCE_EXHAUSTED carrying `retry-after-ms` (clients honour it);
  none lost (any other status, a batch missing an item or its summary) and none hung (past the
  client's deadline);
* every OK verdict is the sample's known verdict;
* the server is still running after the load, exits 0 on SIGTERM and leaves no sandbox container
  (label `grader.owner`) behind.

The server's RSS is sampled from /proc/PID/status throughout; its high-water mark is reported.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from bench.latency import percentile
from bench.server import REPO, free_port, rss_kb
from grader.bank.build import build_bank
from grader.demo import demo_path
from grader.sandbox.command import OWNER_LABEL
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc

SLOW_VERDICTS = frozenset({"TIME_LIMIT_EXCEEDED"})
RETRY_AFTER_CAP_S = 2.0
"""Clients wait what `retry-after-ms` says, at most this long."""


@dataclass(frozen=True, slots=True)
class LoadSample:
    """A demo sample whose verdict is known."""

    question_id: str
    code: str
    expect: str
    label: str

    @property
    def category(self) -> str:
        if self.expect in SLOW_VERDICTS:
            return "slow"
        return "correct" if self.expect == "ACCEPTED" else "wrong"


@dataclass(frozen=True, slots=True)
class LoadSettings:
    duration_s: float = 180.0
    pool_size: int = os.cpu_count() or 2
    clients: int = 0
    """0: 10 x the pool's size."""
    max_queued: int = 0
    """The server's --max-queued; 0: 2 x the pool's size, so that overload is refused, not queued."""
    batch_every: int = 10
    """One client in this many sends GradeBatch calls instead of Grade calls."""
    batch_max: int = 6
    """Items of a GradeBatch: 2 to this many."""
    slow_fraction: float = 0.1
    """Share of slow samples (TIME_LIMIT_EXCEEDED, stop_on_first_failure); the rest half correct,
    half wrong."""
    deadline_s: float = 300.0
    """Client deadline of every call: generous, so that only a hung call passes it."""
    rss_interval_s: float = 0.5
    seed: int = 1
    bank: Path | None = None
    """A bank holding the demo questions; None: build one."""

    @property
    def client_count(self) -> int:
        return self.clients or 10 * max(1, self.pool_size)

    @property
    def queue_limit(self) -> int:
        return self.max_queued or 2 * max(1, self.pool_size)


@dataclass(slots=True)
class Tally:
    """What the clients saw."""

    grade_calls: int = 0
    grade_ok: int = 0
    rejected: int = 0
    rejected_without_hint: int = 0
    batch_calls: int = 0
    batch_items_ok: int = 0
    wrong_verdicts: int = 0
    lost: int = 0
    hung: int = 0
    ok_latencies_ms: list[float] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """The first few broken invariants, described (no test data: only labels and statuses)."""

    def problem(self, text: str) -> None:
        if len(self.problems) < 20:
            self.problems.append(text)


@dataclass(slots=True)
class LoadReport:
    settings: LoadSettings
    tally: Tally
    elapsed_s: float
    rss_start_kb: int
    rss_peak_kb: int
    server_alive_after_load: bool
    exit_code: int | None
    shutdown_s: float
    containers_left: int

    @property
    def answered(self) -> int:
        t = self.tally
        return t.grade_calls + t.batch_calls - t.lost - t.hung

    def violations(self) -> list[str]:
        """Every broken invariant; empty when the run passed."""
        t = self.tally
        found = list(t.problems)
        checks = [
            (t.lost == 0, f"{t.lost} calls lost"),
            (t.hung == 0, f"{t.hung} calls hung past the {self.settings.deadline_s:g} s deadline"),
            (t.wrong_verdicts == 0, f"{t.wrong_verdicts} wrong verdicts"),
            (t.rejected_without_hint == 0, f"{t.rejected_without_hint} rejections without retry-after-ms"),
            (t.grade_ok + t.batch_items_ok > 0, "nothing was graded"),
            (self.server_alive_after_load, "the server died under load"),
            (self.exit_code == 0, f"the server exited with {self.exit_code} after SIGTERM"),
            (self.containers_left == 0, f"{self.containers_left} sandbox containers left after shutdown"),
        ]
        found += [text for ok, text in checks if not ok]
        return found


def load_samples() -> list[LoadSample]:
    rows = [json.loads(line) for line in demo_path("samples.jsonl").read_text().splitlines() if line.strip()]
    return [LoadSample(r["question_id"], r["code"], r["expect"], r["label"]) for r in rows if r.get("expect")]


class Workload:
    """Picks samples: `slow_fraction` slow ones, the rest half correct, half wrong."""

    def __init__(self, samples: list[LoadSample], slow_fraction: float) -> None:
        self.by_category: dict[str, list[LoadSample]] = {}
        for sample in samples:
            self.by_category.setdefault(sample.category, []).append(sample)
        rest = (1.0 - slow_fraction) / 2
        self.weights = {"slow": slow_fraction, "correct": rest, "wrong": rest}

    def pick(self, rng: random.Random) -> LoadSample:
        categories = [c for c in self.weights if self.by_category.get(c)]
        category = rng.choices(categories, [self.weights[c] for c in categories])[0]
        return rng.choice(self.by_category[category])

    @staticmethod
    def request(sample: LoadSample, rng: random.Random, request_id: str) -> pb.GradeRequest:
        # A slow sample stops at its first failure, so that it costs one time limit, not one per
        # test; the overall verdict is the same either way.
        stop = sample.category == "slow" or rng.random() < 0.5
        return pb.GradeRequest(
            question_id=sample.question_id,
            code=sample.code,
            stop_on_first_failure=stop,
            request_id=request_id,
        )


class Client:
    """One caller issuing calls back to back until `stop_at` (loop time)."""

    def __init__(
        self, number: int, stub: pb_grpc.GraderStub, workload: Workload, settings: LoadSettings, tally: Tally
    ) -> None:
        self.number = number
        self.stub = stub
        self.workload = workload
        self.settings = settings
        self.tally = tally
        self.rng = random.Random(settings.seed * 1000 + number)

    async def run(self, stop_at: float) -> None:
        loop = asyncio.get_running_loop()
        call = 0
        batches = self.number % self.settings.batch_every == 0
        while loop.time() < stop_at:
            request_id = f"load-{self.number}-{call}"
            if batches:
                await self.batch(request_id)
            else:
                pause = await self.grade(request_id)
                if pause:
                    await asyncio.sleep(pause)
            call += 1

    async def grade(self, request_id: str) -> float:
        """One Grade call; returns how long to wait before the next one."""
        sample = self.workload.pick(self.rng)
        request = self.workload.request(sample, self.rng, request_id)
        self.tally.grade_calls += 1
        started = time.perf_counter()
        try:
            response = await self.stub.Grade(request, timeout=self.settings.deadline_s)
        except grpc.aio.AioRpcError as err:
            return self._failed_grade(err, sample)
        self.tally.ok_latencies_ms.append((time.perf_counter() - started) * 1000)
        self.tally.grade_ok += 1
        self._check_verdict(sample, response.verdict, "Grade")
        return 0.0

    def _failed_grade(self, err: grpc.aio.AioRpcError, sample: LoadSample) -> float:
        code = err.code()
        if code == grpc.StatusCode.RESOURCE_EXHAUSTED:
            self.tally.rejected += 1
            trailing: Iterable[tuple[str, str | bytes]] = err.trailing_metadata() or ()  # type: ignore[assignment]
            hint = next((value for key, value in trailing if key == "retry-after-ms"), None)
            if not isinstance(hint, str) or not hint.isdigit():
                self.tally.rejected_without_hint += 1
                return 1.0
            return min(int(hint) / 1000, RETRY_AFTER_CAP_S)
        if code == grpc.StatusCode.DEADLINE_EXCEEDED:
            self.tally.hung += 1
            self.tally.problem(f"Grade {sample.question_id} ({sample.label}) hung")
        else:
            self.tally.lost += 1
            self.tally.problem(f"Grade {sample.question_id} ({sample.label}): {code.name} {err.details()}")
        return 0.0

    def _check_verdict(self, sample: LoadSample, verdict: int, rpc: str) -> None:
        got = pb.Verdict.Name(verdict)
        if got != sample.expect:
            self.tally.wrong_verdicts += 1
            where = f"{rpc} {sample.question_id} ({sample.label})"
            self.tally.problem(f"{where}: {got}, expected {sample.expect}")

    async def batch(self, request_id: str) -> None:
        samples = [self.workload.pick(self.rng) for _ in range(self.rng.randint(2, self.settings.batch_max))]
        request = pb.GradeBatchRequest(
            submissions=[
                self.workload.request(s, self.rng, f"{request_id}-{i}") for i, s in enumerate(samples)
            ]
        )
        self.tally.batch_calls += 1
        answered: dict[int, pb.GradeBatchResponse] = {}
        summary = None
        try:
            async for message in self.stub.GradeBatch(request, timeout=self.settings.deadline_s):
                if message.HasField("summary"):
                    summary = message.summary
                elif message.index in answered or not 0 <= message.index < len(samples):
                    summary = None
                    break
                else:
                    answered[message.index] = message
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.DEADLINE_EXCEEDED:
                self.tally.hung += 1
                self.tally.problem(f"GradeBatch of {len(samples)} hung")
            else:
                self.tally.lost += 1
                self.tally.problem(f"GradeBatch of {len(samples)}: {err.code().name} {err.details()}")
            return
        if summary is None or len(answered) != len(samples):
            self.tally.lost += 1
            self.tally.problem(
                f"GradeBatch of {len(samples)}: {len(answered)} items answered, summary {summary is not None}"
            )
            return
        for index, message in sorted(answered.items()):
            if message.HasField("error"):
                self.tally.lost += 1
                error = message.error
                self.tally.problem(f"GradeBatch item {index}: error {error.code} {error.message}")
                continue
            self.tally.batch_items_ok += 1
            self._check_verdict(samples[index], message.result.verdict, "GradeBatch")


async def _sample_rss(pid: int, interval_s: float, peak: list[int], stop: asyncio.Event) -> None:
    while not stop.is_set():
        with contextlib.suppress(OSError):
            peak[0] = max(peak[0], rss_kb(pid))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval_s)


async def drive(address: str, pid: int, settings: LoadSettings) -> tuple[Tally, float, int]:
    """Runs the clients for the duration; returns what they saw, the elapsed time (until the last
    call in flight was answered) and the RSS peak sampled meanwhile."""
    tally = Tally()
    workload = Workload(load_samples(), settings.slow_fraction)
    loop = asyncio.get_running_loop()
    peak = [rss_kb(pid)]
    stop_sampling = asyncio.Event()
    sampler = asyncio.create_task(_sample_rss(pid, settings.rss_interval_s, peak, stop_sampling))
    channels = [grpc.aio.insecure_channel(address) for _ in range(settings.client_count)]
    started = loop.time()
    clients = [
        Client(n, pb_grpc.GraderStub(channel), workload, settings, tally)  # type: ignore[no-untyped-call]
        for n, channel in enumerate(channels)
    ]
    try:
        runs = [asyncio.create_task(c.run(started + settings.duration_s)) for c in clients]
        # Bounded: no call outlives its deadline, so neither may the run.
        done, pending = await asyncio.wait(runs, timeout=settings.duration_s + settings.deadline_s + 60)
        for task in pending:
            task.cancel()
            tally.hung += 1
            tally.problem("a client did not finish")
        for task in done:
            if task.exception() is not None:
                tally.lost += 1
                tally.problem(f"a client crashed: {task.exception()!r}")
        elapsed = loop.time() - started
    finally:
        stop_sampling.set()
        await sampler
        for channel in channels:
            await channel.close(None)
    return tally, elapsed, peak[0]


def containers_of(owner: str) -> int:
    """Sandbox containers of one server, running or not."""
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={OWNER_LABEL}={owner}"],
        capture_output=True, text=True, check=True, timeout=60,
    )  # fmt: skip
    return len(out.stdout.split())


@contextlib.contextmanager
def demo_bank(settings: LoadSettings) -> Iterator[Path]:
    if settings.bank is not None:
        yield settings.bank
        return
    with tempfile.TemporaryDirectory(prefix="grader-load-") as tmp:
        bank = Path(tmp) / "demo.db"
        build_bank(bank, [demo_path("questions.jsonl")])
        yield bank


def _wait_serving(address: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    with grpc.insecure_channel(address) as channel:
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 180
        while True:
            try:
                if health.Check(health_pb2.HealthCheckRequest(), timeout=2).status == 1:
                    return
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start; see {log}")
            time.sleep(0.2)


def run_load(settings: LoadSettings) -> LoadReport:
    """Starts a server, drives it, stops it with SIGTERM, and reports."""
    port = free_port()
    owner = f"{socket.gethostname()}:{port}"  # the server's container label (grader/api/server.py)
    address = f"127.0.0.1:{port}"
    with demo_bank(settings) as bank, tempfile.TemporaryDirectory(prefix="grader-load-log-") as logs:
        log = Path(logs) / "server.log"
        with log.open("wb") as log_file:
            proc = subprocess.Popen(
                [sys.executable, "-m", "grader.cli", "serve", "--bank", str(bank), "--host", "127.0.0.1",
                 "--port", str(port), "--metrics-port", "0", "--log-level", "warning",
                 "--pool-size", str(settings.pool_size), "--max-queued", str(settings.queue_limit)],
                stdout=log_file, stderr=log_file, cwd=REPO,
            )  # fmt: skip
        try:
            _wait_serving(address, proc, log)
            rss_start = rss_kb(proc.pid)
            tally, elapsed, sampled_peak = asyncio.run(drive(address, proc.pid, settings))
            alive = proc.poll() is None
            high_water = rss_kb(proc.pid, "VmHWM") if alive else 0
        finally:
            stopping = time.monotonic()
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                exit_code: int | None = proc.wait(180)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                exit_code = None
            shutdown_s = time.monotonic() - stopping
        if exit_code != 0:
            sys.stderr.write(log.read_text(errors="replace")[-4000:])
    return LoadReport(
        settings=settings,
        tally=tally,
        elapsed_s=elapsed,
        rss_start_kb=rss_start,
        rss_peak_kb=max(sampled_peak, high_water),
        server_alive_after_load=alive,
        exit_code=exit_code,
        shutdown_s=shutdown_s,
        containers_left=containers_of(owner),
    )


def print_report(report: LoadReport) -> None:
    s, t = report.settings, report.tally
    latencies = t.ok_latencies_ms or [0.0]
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    graded = t.grade_ok + t.batch_items_ok
    calls = t.grade_calls + t.batch_calls
    rate = t.rejected / t.grade_calls if t.grade_calls else 0.0
    rss_start, rss_peak = report.rss_start_kb / 1024, report.rss_peak_kb / 1024
    print(
        f"load: {s.client_count} clients on a pool of {s.pool_size} (max queued {s.queue_limit}) for "
        f"{s.duration_s:g} s; slow share {s.slow_fraction:g}; 1 client in {s.batch_every} sends GradeBatch"
    )
    print(
        f"  calls: {t.grade_calls} Grade + {t.batch_calls} GradeBatch, all answered after "
        f"{report.elapsed_s:.1f} s = {calls / report.elapsed_s:.1f} requests/s; "
        f"{graded} submissions graded = {graded / report.elapsed_s:.1f}/s"
    )
    print(f"  OK Grade latency: p50 {p50:.0f} ms, p99 {p99:.0f} ms ({t.grade_ok} calls)")
    print(
        f"  rejected (RESOURCE_EXHAUSTED): {t.rejected} ({rate:.1%} of Grade calls), "
        f"{t.rejected_without_hint} without retry-after-ms"
    )
    print(f"  wrong verdicts: {t.wrong_verdicts}; lost calls: {t.lost}; hung calls: {t.hung}")
    print(f"  server RSS: {rss_start:.0f} MiB at start, peak {rss_peak:.0f} MiB")
    print(
        f"  SIGTERM: exit {report.exit_code} after {report.shutdown_s:.1f} s; "
        f"sandbox containers left: {report.containers_left}"
    )
    problems = report.violations()
    print("PASS: every invariant held" if not problems else "FAIL:\n  " + "\n  ".join(problems))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    defaults = LoadSettings()
    parser.add_argument("--duration", type=float, default=defaults.duration_s, help="seconds of load")
    parser.add_argument("--pool-size", type=int, default=defaults.pool_size, help="the server's sandboxes")
    parser.add_argument("--clients", type=int, default=0, help="concurrent clients (default: 10 x pool)")
    parser.add_argument("--max-queued", type=int, default=0, help="the server's --max-queued (2 x pool)")
    parser.add_argument(
        "--batch-every", type=int, default=defaults.batch_every, help="1 client in N sends GradeBatch"
    )
    parser.add_argument("--slow-fraction", type=float, default=defaults.slow_fraction)
    parser.add_argument("--deadline-s", type=float, default=defaults.deadline_s, help="per-call deadline")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    args = parser.parse_args()
    report = run_load(
        LoadSettings(
            duration_s=args.duration,
            pool_size=args.pool_size,
            clients=args.clients,
            max_queued=args.max_queued,
            batch_every=max(1, args.batch_every),
            slow_fraction=args.slow_fraction,
            deadline_s=args.deadline_s,
            seed=args.seed,
        )
    )
    print_report(report)
    sys.exit(1 if report.violations() else 0)


if __name__ == "__main__":
    main()
