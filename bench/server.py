"""Running `grader serve` as its own process for a benchmark, on a loopback port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

REPO = Path(__file__).resolve().parents[1]
DATASETS = REPO.parent / "shared" / "datasets"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_kb(pid: int, field: str = "VmRSS") -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


@contextmanager
def grader_server(bank: Path, *flags: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Starts a server and yields (address, process) once health says SERVING and the pool is warm."""
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="grader-bench-", suffix=".log", delete=False)  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "grader.cli", "serve", "--bank", str(bank), "--host", "127.0.0.1",
         "--port", str(port), "--metrics-port", "0", "--log-level", "warning", *flags],
        stdout=log, stderr=log, cwd=REPO, env={**os.environ},
    )  # fmt: skip
    address = f"127.0.0.1:{port}"
    try:
        channel = grpc.insecure_channel(address)
        health = health_pb2_grpc.HealthStub(channel)
        deadline = time.monotonic() + 120
        while True:
            try:
                if health.Check(health_pb2.HealthCheckRequest(), timeout=2).status == 1:
                    break
            except grpc.RpcError:
                pass
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError(f"server did not start; see {log.name}")
            time.sleep(0.2)
        channel.close()
        time.sleep(3)  # let the pool finish starting its containers
        yield address, proc
    finally:
        proc.terminate()
        proc.wait(120)


def build_humaneval_bank(out: Path, *extra: dict[str, object]) -> Path:
    """HumanEval, and `extra` questions in our native format, in a bank at `out`."""
    files = [str(DATASETS / "humaneval" / "HumanEval.jsonl")]
    if extra:
        native = out.with_suffix(".extra.jsonl")
        native.write_text("".join(json.dumps(q) + "\n" for q in extra))
        files.append(str(native))
    subprocess.run(
        [sys.executable, "-m", "grader.cli", "bank", "build", "--out", str(out), *files],
        check=True, cwd=REPO, capture_output=True,
    )  # fmt: skip
    return out


def humaneval_rows() -> list[dict[str, str]]:
    text = (DATASETS / "humaneval" / "HumanEval.jsonl").read_text()
    return [json.loads(line) for line in text.splitlines() if line.strip()]
