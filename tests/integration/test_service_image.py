"""The service image, built offline here, serves from a container against the local engine."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import grpc

from grader.demo import demo_path
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.server import IMAGE, require_docker

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class TestServiceImage:
    """`grader serve` in its own container, as non-root, grades through the host's engine."""

    def test_grade_through_container(self, bank_path: Path, tmp_path: Path) -> None:
        require_docker()
        script = str(REPO / "scripts" / "build_service_image.sh")
        build = subprocess.run([script], capture_output=True, text=True, cwd=REPO, check=False, timeout=900)
        assert build.returncode == 0, build.stderr
        bank_dir = tmp_path / "bank"
        bank_dir.mkdir(mode=0o755)
        shutil.copy(bank_path, bank_dir / "bank.db")
        os.chmod(bank_dir / "bank.db", 0o644)  # readable by the image's non-root user
        port = free_port()
        name = f"grader-service-test-{port}"
        socket_gid = os.stat("/var/run/docker.sock").st_gid
        run = subprocess.run(
            ["docker", "run", "-d", "--rm", "--name", name, "--network", "host",
             "-v", "/var/run/docker.sock:/var/run/docker.sock", "--group-add", str(socket_gid),
             "-v", f"{bank_dir}:/bank:ro", "-e", f"GRADER_PORT={port}", "-e", "GRADER_HOST=127.0.0.1",
             "-e", "GRADER_METRICS_PORT=0", "-e", f"GRADER_SANDBOX_IMAGE={IMAGE}", "grader-service:latest"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        assert run.returncode == 0, run.stderr
        try:
            user = subprocess.run(
                ["docker", "exec", name, "id", "-u"], capture_output=True, text=True, check=False
            )
            assert user.stdout.strip() == "10001"
            channel = grpc.insecure_channel(f"127.0.0.1:{port}")
            grpc.channel_ready_future(channel).result(timeout=60)
            stub = pb_grpc.GraderStub(channel)
            sample = next(
                s for s in map(json.loads, demo_path("samples.jsonl").read_text().splitlines())
                if s["label"] == "correct" and s["question_id"] == "demo/alternate-caps"
            )  # fmt: skip
            deadline = time.monotonic() + 60
            while True:
                try:
                    request = pb.GradeRequest(question_id=sample["question_id"], code=sample["code"])
                    response = stub.Grade(request, timeout=120)
                    break
                except grpc.RpcError as exc:
                    if exc.code() != grpc.StatusCode.UNAVAILABLE or time.monotonic() > deadline:  # type: ignore[attr-defined]
                        raise
                    time.sleep(1)
            assert response.verdict == pb.ACCEPTED
            channel.close()
        finally:
            logs = subprocess.run(["docker", "logs", name], capture_output=True, text=True, check=False)
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
        assert '"event": "serving"' in logs.stderr + logs.stdout
