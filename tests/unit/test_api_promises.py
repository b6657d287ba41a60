"""What the README promises of the API's edges, on a real gRPC server over a fake sandbox: a
ListQuestions page holds at most 1000 questions, status messages quoting a client's value are cut
to 1024 characters, and a client's token goes without TLS only to a loopback address."""

from __future__ import annotations

import ipaddress
import socket
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
from tests.unit.test_grading_service import FakeSandbox, question
from tests.unit.test_intake import serving

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


def outside_address() -> str:
    """An address of this machine that is not loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent, only a route is chosen
            address = str(probe.getsockname()[0])
        except OSError:
            address = socket.gethostbyname(socket.gethostname())
    if ipaddress.ip_address(address).is_loopback or ipaddress.ip_address(address).is_unspecified:
        pytest.fail("this machine has no address but loopback: the test needs one")
    return address


@pytest.fixture
async def listener() -> AsyncIterator[tuple[int, list[dict[str, str]]]]:
    """A plaintext server on every address that records each call's metadata."""
    seen: list[dict[str, str]] = []

    async def grade(request: bytes, context: grpc.aio.ServicerContext[Any, Any]) -> bytes:
        seen.append({k: str(v) for k, v in context.invocation_metadata() or ()})
        return b""

    server = grpc.aio.server()
    handlers = {"Grade": grpc.unary_unary_rpc_method_handler(grade)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("grader.v1.Grader", handlers),))
    port = server.add_insecure_port("0.0.0.0:0")  # every address: a non-loopback one too
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

    async def test_not_sent_elsewhere(self, listener: tuple[int, list[dict[str, str]]]) -> None:
        port, seen = listener
        async with make_channel(f"{outside_address()}:{port}", token=TOKEN) as channel:
            with pytest.raises(grpc.aio.AioRpcError) as raised:
                await channel.unary_unary("/grader.v1.Grader/Grade")(b"", timeout=10)
        assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value
        assert seen == [], "the call, and its token, reached a non-loopback address in clear text"
