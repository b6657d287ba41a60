"""/metrics of a real server grading demo samples in the real Docker engine, scraped over loopback."""

from __future__ import annotations

import io
import json
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from prometheus_client.parser import text_string_to_metric_families

from grader.demo import demo_path
from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.support.server import RunningServer, grade, require_docker, start_server

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]
# (question, label) of demo samples: quick ones, with three different verdicts.
PICKED = (
    ("demo/visible-crates", "correct"),
    ("demo/visible-crates", "non-strict-hidden"),
    ("demo/exact-product", "syntax-error"),
    ("demo/run-length", "correct"),
)


def scrape(port: int | None) -> Samples:
    assert port, "metrics are not served"
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30) as reply:
        text = reply.read().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture(scope="module")
def metered(bank_path: Path, server_log: io.StringIO) -> Iterator[RunningServer]:
    require_docker()
    # One container replaced every two submissions, so starts and recycles both move.
    running = start_server(bank_path, pool=PoolSettings(size=1, max_uses=2), metrics_port=0)
    yield running
    running.stop()


class TestMetricsEndpoint:
    """Grading through gRPC moves the request, verdict and container counters that /metrics shows."""

    def test_counters_move(self, metered: RunningServer) -> None:
        samples = {
            (row["question_id"], row["label"]): row
            for row in map(json.loads, demo_path("samples.jsonl").read_text().splitlines())
        }
        before = scrape(metered.server.metrics_port)
        verdicts = []
        for key in PICKED:
            row = samples[key]
            reply = grade(metered.stub, row["question_id"], row["code"])
            assert pb.Verdict.Name(reply.verdict) == row["expect"]
            verdicts.append(row["expect"])
        with pytest.raises(grpc.RpcError):
            grade(metered.stub, "demo/no-such-question", "print(1)\n")
        # A call is counted as its handler ends, which may be just after the client has its answer.
        deadline = time.monotonic() + 10
        while True:
            after = scrape(metered.server.metrics_port)
            calls = value(after, "grader_rpc_seconds_count", rpc="Grade")
            if calls - value(before, "grader_rpc_seconds_count", rpc="Grade") >= len(PICKED) + 1:
                break
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)

        def moved(name: str, **labels: str) -> float:
            return value(after, name, **labels) - value(before, name, **labels)

        assert moved("grader_requests_total", rpc="Grade", code="OK") == len(PICKED)
        assert moved("grader_requests_total", rpc="Grade", code="NOT_FOUND") == 1
        for verdict in set(verdicts):
            assert moved("grader_verdicts_total", verdict=verdict) == verdicts.count(verdict)
        assert moved("grader_grade_seconds_count") == len(PICKED)
        assert moved("grader_rpc_seconds_count", rpc="Grade") == len(PICKED) + 1
        # The third submission needed the replacement of the container retired after two uses.
        assert value(after, "grader_container_starts_total") >= 2
        assert moved("grader_container_recycles_total", reason="max_uses") == 2
        assert value(after, "grader_queue_depth") == 0
        assert value(after, "grader_sandboxes_busy") == 0
