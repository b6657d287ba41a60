"""ContainerSession over a fake supervisor: large results are decoded off the event loop, a batch
whose reply filled up is asked again for the rest, and a broken reply is our failure."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any, cast

import pytest

from grader.sandbox.docker import INLINE_DECODE, ContainerSession
from grader.sandbox.interface import SandboxFailureError

MEASURED: dict[str, Any] = {
    "exit_code": None, "signal": None, "cpu_ms": 1.0, "wall_ms": 1.0, "peak_memory_kb": 0,
    "timed_out": False, "oom_killed": False, "output_exceeded": False,
}  # fmt: skip


PARSE = json.loads  # bound before the tests spy on json.loads


class FakeSupervisor:
    """Answers each message with the next line of a script (a function of the message)."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.sent: list[dict[str, Any]] = []
        self.stdin = self
        self.stdout = self
        self.returncode = None
        self.decoded_on: list[str] = []

    def write(self, data: bytes) -> None:
        self.sent.append(PARSE(data))

    async def drain(self) -> None:
        return None

    async def readline(self) -> bytes:
        return json.dumps(self.answer(self.sent[-1])).encode() + b"\n"


def session(answer: Any) -> tuple[ContainerSession, FakeSupervisor]:
    fake = FakeSupervisor(answer)
    container = ContainerSession(cast(asyncio.subprocess.Process, fake), "fake", 256)
    return container, fake


def batch_answer(message: dict[str, Any], per_reply: int = 1000, value: str = "[1]") -> dict[str, Any]:
    if message["type"] == "submission":
        return {"type": "loaded"}
    first, inputs = message["index"], message["inputs"]
    items = [
        {**MEASURED, "report": {"i": first + n, "typed": value}} for n in range(min(per_reply, len(inputs)))
    ]
    return {"type": "batch_result", "index": first, "compile_error": None, "items": items}


def test_large_result_decoded_in_a_thread(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = json.loads

    def spying(data: Any, *args: Any, **kwargs: Any) -> Any:
        threads.append(threading.current_thread().name)
        return real(data, *args, **kwargs)

    big = json.dumps("x" * INLINE_DECODE)
    container, _ = session(lambda m: batch_answer(m, value=big))
    monkeypatch.setattr("grader.runner.protocol.json.loads", spying)
    runs = asyncio.run(container.run_batch(0, ["1", "2"]))
    assert [r.answer.typed for r in runs] == [big, big]
    assert threads and all(name != threading.main_thread().name for name in threads)


def test_small_result_decoded_inline(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[str] = []
    real = json.loads
    monkeypatch.setattr(
        "grader.runner.protocol.json.loads",
        lambda data, *a, **k: threads.append(threading.current_thread().name) or real(data, *a, **k),
    )
    container, _ = session(batch_answer)
    asyncio.run(container.run_batch(0, ["1"]))
    assert threads == [threading.main_thread().name]


def test_batch_asked_again_for_the_rest() -> None:
    container, fake = session(lambda m: batch_answer(m, per_reply=2))
    runs = asyncio.run(container.run_batch(10, ["a", "b", "c", "d", "e"]))
    assert len(runs) == 5
    assert [(m["index"], len(m["inputs"])) for m in fake.sent] == [(10, 5), (12, 3), (14, 1)]


@pytest.mark.parametrize(
    "reply",
    [
        {"type": "batch_result", "index": 0, "compile_error": None, "items": []},
        {"type": "result", "index": 0},
        {"type": "error", "message": "zygote failed"},
        {"type": "batch_result", "index": 0, "compile_error": None, "items": [{"report": None}]},
    ],
)
def test_broken_reply_is_our_failure(reply: dict[str, Any]) -> None:
    container, _ = session(lambda m: reply)
    with pytest.raises(SandboxFailureError):
        asyncio.run(container.run_batch(0, ["1"]))
