"""What the README promises of the API's edges, on a real gRPC server over a fake sandbox: a
ListQuestions page holds at most 1000 questions, status messages quoting a client's value are cut
to 1024 characters, and a client's token goes without TLS only to a loopback address."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from grader.api.channel import make_channel
from grader.api.errors import MAX_MESSAGE_CHARS, status_message
from grader.bank.store import BankStore
from grader.v1 import grader_pb2 as pb
from grader.v1 import grader_pb2_grpc as pb_grpc
from tests.support.fake_sandbox import FakeSandbox
from tests.support.questions import question
from tests.support.serving import serving

QUESTIONS = 1005
"""More than a page's cap."""
TOKEN = "a-token-of-sixteen-or-more-chars"


@pytest.fixture(scope="module")
def big_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("promises") / "bank.db"
    BankStore.create(path, [question(f"q{n:04d}") for n in range(QUESTIONS)])
    return path


@pytest.fixture
async def stub(big_bank: Path) -> AsyncIterator[pb_grpc.GraderStub]:
    async with (
        serving(big_bank, FakeSandbox()) as server,
        grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel,
    ):
        yield pb_grpc.GraderStub(channel)


class TestPageSize:
    """`page_size` ≤ 1000: a larger one is capped, not refused; 0 is the default of 100."""

    @pytest.mark.parametrize("asked", [1001, 5000, 2**31 - 1])
    async def test_capped_at_1000(self, stub: pb_grpc.GraderStub, asked: int) -> None:
        page = await stub.ListQuestions(pb.ListQuestionsRequest(page_size=asked), timeout=60)
        assert len(page.questions) == 1000
        assert page.bank_size == QUESTIONS
        rest = await stub.ListQuestions(
            pb.ListQuestionsRequest(page_size=asked, page_token=page.next_page_token), timeout=60
        )
        assert [q.id for q in [*page.questions, *rest.questions]] == [f"q{n:04d}" for n in range(QUESTIONS)]
        assert rest.next_page_token == ""

    async def test_exactly_1000_and_default(self, stub: pb_grpc.GraderStub) -> None:
        page = await stub.ListQuestions(pb.ListQuestionsRequest(page_size=1000), timeout=60)
        assert len(page.questions) == 1000 and page.next_page_token
        page = await stub.ListQuestions(pb.ListQuestionsRequest(), timeout=60)
        assert len(page.questions) == 100 and page.next_page_token

    def test_store_caps_too(self, big_bank: Path) -> None:
        """The store's own cap, for callers other than the servicer."""
        with BankStore.open(big_bank) as store:
            infos, token = store.list_questions(page_size=10**6)
        assert len(infos) == 1000 and token


class TestStatusMessageCap:
    """A status message travels in a header clients cap at 16 KiB: one quoting a huge client value
    is cut to 1024 characters and still says how long it was, and the status is the server's."""

    def test_cut_at_the_cap(self) -> None:
        assert status_message(ValueError("x" * MAX_MESSAGE_CHARS)) == "x" * MAX_MESSAGE_CHARS
        cut = status_message(ValueError("y" * (MAX_MESSAGE_CHARS + 1)))
        assert len(cut) <= MAX_MESSAGE_CHARS
        assert cut.startswith("y" * 900) and cut.endswith(f"({MAX_MESSAGE_CHARS + 1} characters in all)")

    @pytest.mark.parametrize(
        ("call", "code"),
        [
            ("grade", grpc.StatusCode.NOT_FOUND),
            ("get_question", grpc.StatusCode.NOT_FOUND),
            ("list_questions", grpc.StatusCode.INVALID_ARGUMENT),
        ],
    )
    async def test_huge_value_quoted_in_part(
        self, stub: pb_grpc.GraderStub, call: str, code: grpc.StatusCode
    ) -> None:
        huge = "z" * 60_000  # under every method's request limit (64 KiB), over the header cap
        requests: dict[str, Any] = {
            "grade": lambda: stub.Grade(pb.GradeRequest(question_id=huge, code="print(1)\n"), timeout=60),
            "get_question": lambda: stub.GetQuestion(pb.GetQuestionRequest(question_id=huge), timeout=60),
            "list_questions": lambda: stub.ListQuestions(
                pb.ListQuestionsRequest(release_date_start=huge), timeout=60
            ),
        }
        with pytest.raises(grpc.aio.AioRpcError) as raised:
            await requests[call]()
        assert raised.value.code() == code, raised.value
        details = str(raised.value.details())
        assert len(details) <= MAX_MESSAGE_CHARS
        assert "z" * 100 in details and "characters in all)" in details


@pytest.fixture
async def listener(tmp_path: Path) -> AsyncIterator[tuple[int, list[dict[str, str]]]]:
    """A plaintext server on loopback TCP and on a Unix socket (`tmp_path/sock`) that records
    each call's metadata."""
    seen: list[dict[str, str]] = []

    async def grade(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        seen.append({k: str(v) for k, v in context.invocation_metadata() or ()})
        return b""

    server = grpc.aio.server()
    handlers = {"Grade": grpc.unary_unary_rpc_method_handler(grade)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("grader.v1.Grader", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.add_insecure_port(f"unix:{tmp_path}/sock")
    await server.start()
    try:
        yield port, seen
    finally:
        await server.stop(None)


class TestTokenOnlyToLoopback:
    """Without TLS a token goes to a loopback address only, never in clear text across a network."""

    async def test_sent_to_loopback(self, listener: tuple[int, list[dict[str, str]]]) -> None:
        port, seen = listener
        async with make_channel(f"127.0.0.1:{port}", token=TOKEN) as channel:
            await channel.unary_unary("/grader.v1.Grader/Grade")(b"", timeout=30)
        assert [call.get("authorization") for call in seen] == [f"Bearer {TOKEN}"]

    async def test_not_sent_over_anything_else(
        self, listener: tuple[int, list[dict[str, str]]], tmp_path: Path
    ) -> None:
        """gRPC's local credentials carry the token over a loopback TCP connection only: the
        same listener reached any other way (here its Unix socket; tests never send traffic to a
        non-loopback address) gets no call, while a call without a token gets through."""
        _, seen = listener
        target = f"unix:{tmp_path}/sock"
        async with make_channel(target, token=TOKEN) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await channel.unary_unary("/grader.v1.Grader/Grade")(b"", timeout=10)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value
        assert seen == [], "the call, and its token, went over a connection that is not loopback TCP"
        async with make_channel(target) as channel:
            await channel.unary_unary("/grader.v1.Grader/Grade")(b"", timeout=30)
        assert len(seen) == 1 and "authorization" not in seen[0]
