"""A sandbox whose client dies mid-test stops the work and goes away: nobody reads the result, so
it must not burn the CPU to the end of the test's budget (a killed `bank build` or server)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

from grader.sandbox.docker import OWNER_LABEL
from tests.integration.conftest import IMAGE, require_docker

REPO = Path(__file__).resolve().parents[2]

# A client that starts a sandbox, hands it a test that loops for a minute of CPU, and waits.
CLIENT = textwrap.dedent(
    """
    import asyncio, sys
    from grader.bank.model import Limits, Prelude, QuestionKind
    from grader.sandbox.docker import DockerSandbox, DockerSettings
    from grader.sandbox.interface import Program

    async def main() -> None:
        docker = DockerSandbox(DockerSettings(owner=sys.argv[1], runtime=sys.argv[2], image=sys.argv[3]))
        program = Program("while True:\\n    pass\\n", QuestionKind.STDIN, "", Prelude.NONE,
                          Limits(time_s=60.0, memory_mb=256, output_mb=1))
        async with docker.session(program) as session:
            print("running", flush=True)
            await session.run_test(0, "")

    asyncio.run(main())
    """
)


def containers(owner: str) -> list[str]:
    out = subprocess.run(
        ["docker", "ps", "-aq", "--filter", f"label={OWNER_LABEL}={owner}"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return out.stdout.split()


def test_a_killed_client_leaves_no_busy_container() -> None:
    require_docker()
    owner = f"orphan-test-{uuid.uuid4().hex[:12]}"
    runtime = os.environ.get("GRADER_TEST_RUNTIME", "runc")
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, owner, runtime, IMAGE], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert client.stdout is not None
        assert client.stdout.readline().strip() == "running"
        time.sleep(1.0)  # the test is now looping inside the container
        assert len(containers(owner)) == 1
        client.send_signal(signal.SIGKILL)  # no cleanup of any kind on the client's side
        client.wait(10)
        killed = time.monotonic()
        while containers(owner) and time.monotonic() < killed + 30:
            time.sleep(0.1)
        gone_after = time.monotonic() - killed
        # Without the supervisor noticing, the container would loop on to the test's CPU limit.
        assert containers(owner) == []
        assert gone_after < 5.0, f"the sandbox went on for {gone_after:.1f} s after its client died"
    finally:
        client.kill()
        for name in containers(owner):
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
