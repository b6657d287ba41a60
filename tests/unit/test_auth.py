"""Authentication without Docker: the method table, token files, the decision rule, the
interceptor on every kind of RPC (an in-process server on loopback), TLS file checks and the
command line's refusal of bad security settings."""

from __future__ import annotations

import asyncio
import json
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader import cli
from grader.api.auth import (
    CALLER_METHODS,
    REFUSED_STREAM_S,
    Access,
    AuthInterceptor,
    TokenTable,
    access_of,
    decide,
    parse_tokens,
)
from grader.api.channel import client_credentials, make_channel
from grader.api.credentials import SecurityConfigError, server_credentials
from grader.v1 import grader_pb2
from tests.support.certificates import Pki, make_pki

ALICE = "alice-0123456789abcdef"
BOB = "bob-0123456789abcdef01"
ROOT = "root-0123456789abcdef0"
GRADE = "/grader.v1.Grader/Grade"
FUTURE_ADMIN = "/grader.v1.Grader/DeleteQuestion"


def bearer(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)


@pytest.fixture
def token_files(tmp_path: Path) -> tuple[Path, Path]:
    callers = tmp_path / "tokens"
    callers.write_text(f"# evaluators\nalice:{ALICE}\n\n{BOB}\n")
    admins = tmp_path / "admin-tokens"
    admins.write_text(f"ops:{ROOT}\n")
    return callers, admins


@pytest.fixture
def table(token_files: tuple[Path, Path]) -> TokenTable:
    loaded = TokenTable.load(*token_files)
    assert isinstance(loaded, TokenTable)
    return loaded


class TestMethodTable:
    """Health and reflection are open, the Grader's RPCs need a token, anything else an admin one."""

    @pytest.mark.parametrize(
        "method",
        [
            "/grpc.health.v1.Health/Check",
            "/grpc.health.v1.Health/Watch",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
            "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo",
        ],
    )
    def test_probes_are_open(self, method: str) -> None:
        assert access_of(method) is Access.OPEN

    def test_every_listed_method_is_a_real_rpc(self) -> None:
        service = grader_pb2.DESCRIPTOR.services_by_name["Grader"]
        rpcs = {f"/{service.full_name}/{m.name}" for m in service.methods}
        assert rpcs >= CALLER_METHODS
        assert {access_of(m) for m in CALLER_METHODS} == {Access.CALLER}

    @pytest.mark.parametrize(
        "method", [FUTURE_ADMIN, "/grader.v1.Admin/Reload", "/grader.v1.Grader/grade", "/x", ""]
    )
    def test_unlisted_methods_need_admin(self, method: str) -> None:
        assert access_of(method) is Access.ADMIN


class TestTokenFiles:
    """One token a line or name:token; errors name file and line, never the token."""

    def test_named_unnamed_comments_and_blanks(self, table: TokenTable) -> None:
        assert [(t.name, t.admin) for t in table.tokens] == [
            ("alice", False),
            ("tokens:4", False),
            ("ops", True),
        ]
        assert "0123456789" not in repr(table.tokens)

    def test_find_compares_against_every_token(self, table: TokenTable) -> None:
        found = [table.find(t) for t in (ALICE, BOB, ROOT, ALICE + "x", ALICE[:-1], "")]
        assert [t.name if t else None for t in found] == ["alice", "tokens:4", "ops", None, None, None]

    @pytest.mark.parametrize(
        ("line", "words"),
        [
            ("short-token", "at least 16"),
            ("alice:short-token", "at least 16"),
            ("bad name:0123456789abcdefgh", "caller name"),
            (":0123456789abcdefgh", "caller name"),
            ("alice:0123456789 abcdefgh", "printable ASCII"),
            ("alice:0123456789abcdéfgh", "printable ASCII"),
        ],
    )
    def test_bad_lines(self, line: str, words: str) -> None:
        with pytest.raises(SecurityConfigError) as info:
            parse_tokens(f"# first\n{line}\n", "/etc/grader/tokens", admin=False)
        message = str(info.value)
        assert "/etc/grader/tokens:2" in message and words in message
        assert "0123456789" not in message and "short-token" not in message

    def test_duplicates_across_files(self, tmp_path: Path) -> None:
        (tmp_path / "a").write_text(f"alice:{ALICE}\n")
        (tmp_path / "b").write_text(f"ops:{ALICE}\n")
        with pytest.raises(SecurityConfigError, match="listed twice") as info:
            TokenTable.load(tmp_path / "a", tmp_path / "b")
        assert ALICE not in str(info.value)
        (tmp_path / "b").write_text(f"alice:{ROOT}\n")
        with pytest.raises(SecurityConfigError, match="two tokens"):
            TokenTable.load(tmp_path / "a", tmp_path / "b")

    def test_missing_empty_and_absent_files(self, tmp_path: Path) -> None:
        with pytest.raises(SecurityConfigError, match=r"--auth-tokens-file .*nope: cannot read"):
            TokenTable.load(tmp_path / "nope", None)
        (tmp_path / "empty").write_text("# nothing yet\n")
        with pytest.raises(SecurityConfigError, match=r"--admin-tokens-file .*no token"):
            TokenTable.load(None, tmp_path / "empty")
        assert TokenTable.load(None, None) is None


class TestDecision:
    """Missing or unknown tokens are UNAUTHENTICATED, ordinary tokens on admin methods
    PERMISSION_DENIED; without token files only admin methods are refused."""

    def test_authentication_off(self) -> None:
        assert decide(None, GRADE, ()).code is None
        denied = decide(None, FUTURE_ADMIN, bearer(ROOT))
        assert denied.code is grpc.StatusCode.PERMISSION_DENIED
        assert "--admin-tokens-file" in denied.message

    @pytest.mark.parametrize(
        "metadata",
        [
            (),
            (("authorization", "Basic YWxpY2U6eA=="),),
            (("authorization", "Bearer "),),
            (("authorization", ALICE),),
            (("authorization", f"Bearer {ALICE}"), ("authorization", f"Bearer {BOB}")),
            bearer("not-a-known-token-at-all"),
            bearer(ALICE.upper()),
        ],
    )
    def test_unauthenticated(self, table: TokenTable, metadata: tuple[tuple[str, str], ...]) -> None:
        decision = decide(table, GRADE, metadata)
        assert decision.code is grpc.StatusCode.UNAUTHENTICATED
        assert "Bearer" in decision.message or "not valid" in decision.message

    def test_callers_and_admins(self, table: TokenTable) -> None:
        assert decide(table, GRADE, bearer(ALICE)).caller == "alice"
        assert decide(table, GRADE, (("authorization", f"bearer {BOB}"),)).caller == "tokens:4"
        assert decide(table, GRADE, bearer(ROOT)).code is None
        assert decide(table, FUTURE_ADMIN, bearer(ROOT)).code is None
        denied = decide(table, FUTURE_ADMIN, bearer(ALICE))
        assert denied.code is grpc.StatusCode.PERMISSION_DENIED
        assert "alice" in denied.message and ALICE not in denied.message
        assert decide(table, FUTURE_ADMIN, ()).code is grpc.StatusCode.UNAUTHENTICATED
        assert decide(table, "/grpc.health.v1.Health/Check", ()).code is None

    def test_no_admin_file_refuses_admin_methods_to_all(self, tmp_path: Path) -> None:
        (tmp_path / "t").write_text(f"alice:{ALICE}\n")
        only_callers = TokenTable.load(tmp_path / "t", None)
        assert decide(only_callers, FUTURE_ADMIN, bearer(ALICE)).code is grpc.StatusCode.PERMISSION_DENIED
        assert decide(only_callers, GRADE, bearer(ALICE)).code is None

    @settings(max_examples=max(200, settings.default.max_examples), deadline=None)  # more under `make fuzz`
    @given(token=st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1))
    def test_messages_do_not_depend_on_a_wrong_token(self, token: str) -> None:
        table = TokenTable(parse_tokens(f"alice:{ALICE}\nops:{ROOT}\n", "t", admin=False))
        for method in (GRADE, FUTURE_ADMIN):
            decision = decide(table, method, bearer(token))
            if token not in (ALICE, ROOT):
                assert decision == decide(table, method, bearer("some-other-wrong-token"))


# --- the interceptor on a real in-process server, one RPC of each kind ---------------------------


async def _unary(request: bytes, context: Any) -> bytes:
    return request


async def _stream_out(request: bytes, context: Any) -> AsyncIterator[bytes]:
    for _ in range(3):
        yield request


async def _stream_in(requests: AsyncIterator[bytes], context: Any) -> bytes:
    return b"".join([r async for r in requests])


async def _stream_both(requests: AsyncIterator[bytes], context: Any) -> AsyncIterator[bytes]:
    async for r in requests:
        yield r


async def _written(request: bytes, context: Any) -> None:
    await context.write(request)


@pytest.fixture
async def interceptor_server(token_files: tuple[Path, Path]) -> AsyncIterator[str]:
    server = grpc.aio.server(interceptors=[AuthInterceptor(token_files[0], None)])
    handlers = {
        "Grade": grpc.unary_unary_rpc_method_handler(_unary),
        "GradeBatch": grpc.unary_stream_rpc_method_handler(_stream_out),
        "GetQuestion": grpc.unary_stream_rpc_method_handler(_written),
        "Upload": grpc.stream_unary_rpc_method_handler(_stream_in),
        "Sync": grpc.stream_stream_rpc_method_handler(_stream_both),
    }
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("grader.v1.Grader", handlers),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(None)


async def _call_each_kind(address: str, token: str | None) -> dict[str, object]:
    outcome: dict[str, object] = {}
    async with make_channel(address, token=token) as channel:
        calls = {
            "Grade": lambda: channel.unary_unary(GRADE)(b"x"),
            "GradeBatch": lambda: _collect(channel.unary_stream("/grader.v1.Grader/GradeBatch")(b"x")),
            "GetQuestion": lambda: _collect(channel.unary_stream("/grader.v1.Grader/GetQuestion")(b"w")),
            "Upload": lambda: channel.stream_unary("/grader.v1.Grader/Upload")(iter([b"a", b"b"])),
            "Sync": lambda: _collect(channel.stream_stream("/grader.v1.Grader/Sync")(iter([b"a", b"b"]))),
        }
        for name, call in calls.items():
            try:
                outcome[name] = await call()
            except grpc.aio.AioRpcError as exc:
                outcome[name] = exc.code()
    return outcome


async def _collect(call: Any) -> list[bytes]:
    return [r async for r in call]


class TestInterceptor:
    """Every kind of RPC is guarded and, once let through, answers as it would without us."""

    async def test_right_token(self, interceptor_server: str) -> None:
        assert await _call_each_kind(interceptor_server, ALICE) == {
            "Grade": b"x",
            "GradeBatch": [b"x"] * 3,
            "GetQuestion": [b"w"],
            "Upload": grpc.StatusCode.PERMISSION_DENIED,  # not in the table: admin, and no admin file
            "Sync": grpc.StatusCode.PERMISSION_DENIED,
        }

    async def test_refused_streams_keep_their_status(self, interceptor_server: str) -> None:
        """A refused client-streaming call is answered once its client half-closes: answered while
        the client still wrote, grpc.aio turned PERMISSION_DENIED into INTERNAL about 1 call in 6."""
        async with make_channel(interceptor_server, token=ALICE) as channel:
            sync = channel.stream_stream("/grader.v1.Grader/Sync")
            codes = []
            for _ in range(60):
                with pytest.raises(grpc.aio.AioRpcError) as info:
                    await _collect(sync(iter([b"a", b"b"])))
                codes.append(info.value.code())
        assert codes == [grpc.StatusCode.PERMISSION_DENIED] * 60

    async def test_refused_stream_that_never_ends_is_answered(self, interceptor_server: str) -> None:
        """A client that never half-closes gets its status after `REFUSED_STREAM_S`, not never."""

        async def forever() -> AsyncIterator[bytes]:
            yield b"a"
            await asyncio.Event().wait()
            yield b"never"

        async with make_channel(interceptor_server, token=ALICE) as channel:
            call = channel.stream_stream("/grader.v1.Grader/Sync")(forever())
            started = time.monotonic()
            with pytest.raises(grpc.aio.AioRpcError) as info:
                await asyncio.wait_for(_collect(call), REFUSED_STREAM_S + 10)
        assert info.value.code() is grpc.StatusCode.PERMISSION_DENIED
        assert time.monotonic() - started >= REFUSED_STREAM_S

    @pytest.mark.parametrize("token", [None, "wrong-token-0123456789"])
    async def test_no_or_wrong_token(self, interceptor_server: str, token: str | None) -> None:
        outcome = await _call_each_kind(interceptor_server, token)
        assert outcome["Grade"] == outcome["GradeBatch"] == grpc.StatusCode.UNAUTHENTICATED
        assert outcome["GetQuestion"] == grpc.StatusCode.UNAUTHENTICATED

    async def test_reload_takes_new_tokens_and_keeps_old_on_error(
        self, token_files: tuple[Path, Path]
    ) -> None:
        interceptor = AuthInterceptor(token_files[0], None)
        token_files[0].write_text(f"carol:{ROOT}\n")
        interceptor.reload()
        assert decide(interceptor.tokens, GRADE, bearer(ROOT)).caller == "carol"
        assert decide(interceptor.tokens, GRADE, bearer(ALICE)).code is grpc.StatusCode.UNAUTHENTICATED
        token_files[0].write_text("too-short\n")
        interceptor.reload()
        assert decide(interceptor.tokens, GRADE, bearer(ROOT)).caller == "carol"


# --- TLS files ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


class TestTlsFiles:
    """Bad TLS settings are refused when loaded, naming the flag and the file."""

    def test_no_files_is_plaintext(self) -> None:
        assert server_credentials(None, None, None) is None
        assert client_credentials() is None

    async def test_tls_with_a_token(self, pki: Pki) -> None:
        credentials = server_credentials(pki.server.cert, pki.server.key, None)
        assert isinstance(credentials, grpc.ServerCredentials)
        seen = await _seen_over(credentials, tls_ca=pki.ca, token=ALICE)
        assert seen == {"authorization": f"Bearer {ALICE}", "client": ""}

    async def test_mutual_tls(self, pki: Pki) -> None:
        credentials = server_credentials(pki.server.cert, pki.server.key, pki.ca)
        assert isinstance(credentials, grpc.ServerCredentials)
        seen = await _seen_over(credentials, tls_ca=pki.ca, tls_cert=pki.client.cert, tls_key=pki.client.key)
        assert seen == {"authorization": "", "client": "evaluator"}

    async def test_token_without_tls_on_loopback(self) -> None:
        assert isinstance(client_credentials(token=ALICE), grpc.ChannelCredentials)
        seen = await _seen_over(None, token=ALICE)
        assert seen == {"authorization": f"Bearer {ALICE}", "client": ""}

    @pytest.mark.parametrize(
        ("which", "words"),
        [
            ("cert_only", "go together"),
            ("ca_only", "needs --tls-cert"),
            ("missing_key", "--tls-key .*missing.key: cannot read"),
            ("mismatched", "not a PEM certificate and its unencrypted private key"),
            ("key_as_ca", "--tls-client-ca .*: not PEM CA"),
            ("encrypted", "encrypted"),
        ],
    )
    def test_bad_server_settings(self, pki: Pki, tmp_path: Path, which: str, words: str) -> None:
        encrypted = tmp_path / "encrypted.key"
        subprocess.run(["openssl", "ec", "-in", str(pki.server.key), "-aes256", "-passout", "pass:x",
                        "-out", str(encrypted)], check=True, capture_output=True)  # fmt: skip
        args: dict[str, tuple[Path | None, Path | None, Path | None]] = {
            "cert_only": (pki.server.cert, None, None),
            "ca_only": (None, None, pki.ca),
            "missing_key": (pki.server.cert, tmp_path / "missing.key", None),
            "mismatched": (pki.server.cert, pki.client.key, None),
            "key_as_ca": (pki.server.cert, pki.server.key, pki.server.key),
            "encrypted": (pki.server.cert, encrypted, None),
        }
        with pytest.raises(SecurityConfigError, match=words) as info:
            server_credentials(*args[which])
        assert "PRIVATE KEY" not in str(info.value)

    def test_bad_client_settings(self, pki: Pki, tmp_path: Path) -> None:
        with pytest.raises(SecurityConfigError, match=r"--tls-ca .*nope\.pem: cannot read"):
            client_credentials(tmp_path / "nope.pem")
        with pytest.raises(SecurityConfigError, match="go together"):
            client_credentials(pki.ca, pki.client.cert)
        with pytest.raises(SecurityConfigError, match="printable ASCII"):
            client_credentials(token="two words")  # noqa: S106 - a malformed token, no secret


async def _seen_over(credentials: grpc.ServerCredentials | None, **client: Any) -> dict[str, str]:
    """What a server with `credentials` (plaintext: None) saw of one call made through
    `make_channel(**client)`: the authorization header and the client certificate's common name."""

    async def seen(request: bytes, context: Any) -> bytes:
        metadata = dict(context.invocation_metadata())
        names = context.auth_context().get("x509_common_name", [b""])
        return json.dumps(
            {"authorization": metadata.get("authorization", ""), "client": names[0].decode()}
        ).encode()

    server = grpc.aio.server()
    handlers = {"Grade": grpc.unary_unary_rpc_method_handler(seen)}
    server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("grader.v1.Grader", handlers),))
    if credentials is None:
        port = server.add_insecure_port("127.0.0.1:0")
    else:
        port = server.add_secure_port("127.0.0.1:0", credentials)
    await server.start()
    try:
        async with make_channel(f"{'localhost' if credentials else '127.0.0.1'}:{port}", **client) as channel:
            answer: bytes = await channel.unary_unary(GRADE)(b"x", timeout=30)
    finally:
        await server.stop(None)
    decoded: dict[str, str] = json.loads(answer)
    return decoded


class TestCommandLine:
    """`grader serve` and `grader eval` stop with exit 2 and a `grader:` message on bad files."""

    @pytest.fixture(autouse=True)
    def no_security_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        for name in (
            "TLS_CERT",
            "TLS_KEY",
            "TLS_CLIENT_CA",
            "AUTH_TOKENS_FILE",
            "ADMIN_TOKENS_FILE",
            "TOKEN",
        ):
            monkeypatch.delenv(f"GRADER_{name}", raising=False)

    def test_serve_missing_tokens_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        code = cli.main(["serve", "--bank", str(tmp_path / "bank.db"), "--port", "0", "--metrics-port", "0",
                         "--auth-tokens-file", str(tmp_path / "no-tokens")])  # fmt: skip
        assert code == 2
        assert f"grader: --auth-tokens-file {tmp_path / 'no-tokens'}: cannot read" in capsys.readouterr().err

    def test_serve_tls_from_env(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        monkeypatch.setenv("GRADER_TLS_CERT", str(tmp_path / "cert.pem"))
        code = cli.main(["serve", "--bank", str(tmp_path / "bank.db"), "--port", "0", "--metrics-port", "0"])
        assert code == 2
        assert "grader: --tls-cert and --tls-key go together" in capsys.readouterr().err

    def test_eval_bad_token_and_ca(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        samples = tmp_path / "s.jsonl"
        samples.write_text('{"question_id": "q", "code": "print(1)"}\n')
        code = cli.main(
            ["eval", "--server", "127.0.0.1:1", str(samples), "--tls-ca", str(tmp_path / "ca.pem")]
        )
        assert code == 2
        assert "grader: --tls-ca" in capsys.readouterr().err
        monkeypatch.setenv("GRADER_TOKEN", "has a space")
        assert cli.main(["eval", "--server", "127.0.0.1:1", str(samples)]) == 2
        err = capsys.readouterr().err
        assert "printable ASCII" in err and "has a space" not in err
