"""The suite's per-test timeout (pyproject.toml) turns a hang into a failure of that test, also
while it waits on gRPC, and the run goes on to the next test."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

HANGS = textwrap.dedent(
    """
    import asyncio, threading, time
    import grpc

    async def never(request, context):
        await asyncio.sleep(3600)

    async def test_hangs_on_an_aio_call():
        server = grpc.aio.server()
        handlers = {"Z": grpc.unary_unary_rpc_method_handler(never)}
        server.add_generic_rpc_handlers((grpc.method_handlers_generic_handler("x.Y", handlers),))
        port = server.add_insecure_port("127.0.0.1:0")
        await server.start()
        try:
            async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
                await channel.unary_unary("/x.Y/Z")(b"x")
        finally:
            await server.stop(None)

    def test_hangs_on_a_thread():
        worker = threading.Thread(target=time.sleep, args=(3600,), daemon=True)
        worker.start()
        worker.join()

    def test_after_the_hangs():
        pass
    """
)


def test_a_hang_fails_and_the_run_goes_on(tmp_path: Path) -> None:
    (tmp_path / "test_hangs.py").write_text(HANGS)
    report = tmp_path / "report.xml"
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-c", str(REPO / "pyproject.toml"),
         "--rootdir", str(tmp_path), "-o", "timeout=2", f"--junit-xml={report}",
         str(tmp_path / "test_hangs.py")],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert run.returncode == 1, run.stdout[-3000:]
    # Read each test's outcome from the JUnit report, not the terminal: how often a message shows in
    # the terminal depends on its width (the short summary is cut to fit).
    outcomes: dict[str | None, str | None] = {}
    for case in ET.parse(report).getroot().iter("testcase"):  # noqa: S314 - pytest wrote it
        failure = case.find("failure")
        outcomes[case.get("name")] = None if failure is None else failure.get("message", "")
    assert outcomes.keys() == {"test_hangs_on_an_aio_call", "test_hangs_on_a_thread", "test_after_the_hangs"}
    assert outcomes["test_after_the_hangs"] is None
    for name in ("test_hangs_on_an_aio_call", "test_hangs_on_a_thread"):
        assert "Timeout (>2.0s) from pytest-timeout" in (outcomes[name] or ""), (name, outcomes[name])
