"""How a test's worker ended becomes its ResultMessage fields (grader/runner/worker.py,
Worker.finish): the wait status, the limits, and what is kept of its output."""

from __future__ import annotations

import base64
import signal
from typing import cast

from grader.runner.job import Job
from grader.runner.worker import STDERR_KEEP, Worker
from grader.runner.zygotes import Zygote

NONCE = "ab" * 16


def worker(time_s: float = 1.0, output_bytes: int = 8) -> Worker:
    limits = {"time_s": time_s, "wall_s": 5.0, "memory_kb": 4096, "output_bytes": output_bytes}
    run = Worker(Job({"kind": "call", "limits": limits}), cast(Zygote, None), set())
    run.nonce, run.started = NONCE, 100.0
    run.oom_before = 1 << 62  # the host's own cgroup count is not the test's
    return run


def exited(code: int) -> int:
    return code << 8


class TestFinish:
    def test_an_exit(self) -> None:
        run = worker()
        run.stdout += b"42\n"
        run.stderr += b"warning"
        run.report += b'{"value":"1","nonce":"' + NONCE.encode() + b'"}\n'
        run.finish(exited(3), 0.25, 2048, 100.5)
        assert run.result == {
            "exit_code": 3, "signal": None, "cpu_ms": 250.0, "wall_ms": 500.0, "peak_memory_kb": 2048,
            "timed_out": False, "oom_killed": False, "output_exceeded": False, "compile_error": None,
            "stdout": base64.b64encode(b"42\n").decode(), "stderr_tail": "warning",
            "reports": [{"value": "1"}],
        }  # fmt: skip

    def test_a_signal(self) -> None:
        run = worker()
        run.finish(signal.SIGKILL, 0.1, 0, 100.1)
        assert (run.result["exit_code"], run.result["signal"]) == (None, signal.SIGKILL)

    def test_over_the_cpu_limit_is_timed_out(self) -> None:
        run = worker(time_s=1.0)
        run.finish(exited(0), 1.0, 0, 101.0)
        assert not run.result["timed_out"]
        run = worker(time_s=1.0)
        run.finish(exited(0), 1.001, 0, 101.0)
        assert run.result["timed_out"]

    def test_stdout_is_capped_and_over_it_is_exceeded(self) -> None:
        run = worker(output_bytes=4)
        run.stdout += b"123456"
        run.finish(exited(0), 0.0, 0, 100.0)
        assert base64.b64decode(run.result["stdout"]) == b"1234"
        assert run.result["output_exceeded"]

    def test_stderr_keeps_its_tail(self) -> None:
        run = worker()
        run.stderr += b"x" * STDERR_KEEP + b"\xffend"
        run.finish(exited(1), 0.0, 0, 100.0)
        assert len(run.result["stderr_tail"]) == STDERR_KEEP
        assert run.result["stderr_tail"].endswith("\ufffdend")

    def test_reports_over_their_limit_are_dropped(self) -> None:
        run = worker()
        run.report += b'{"value":"1","nonce":"' + NONCE.encode() + b'"}\n'
        run.output_exceeded = True
        run.finish(exited(0), 0.0, 0, 100.0)
        assert (run.result["reports"], run.result["output_exceeded"]) == ([], True)

    def test_an_unknown_exit_takes_no_answer(self) -> None:
        """The candidate killed its zygote: no wait status, so neither stdout nor a report."""
        run = worker()
        run.stdout += b"42"
        run.report += b'{"value":"1","nonce":"' + NONCE.encode() + b'"}\n'
        run.finish(None, 0.2, 0, 100.2)
        assert (run.result["stdout"], run.result["reports"]) == ("", [])
        assert (run.result["exit_code"], run.result["signal"]) == (None, None)

    def test_the_gvisor_oom_stand_in_is_an_oom_kill(self) -> None:
        run = worker()
        run.out_of_memory = True
        run.finish(signal.SIGKILL, 0.0, 0, 100.0)
        assert run.result["oom_killed"]
