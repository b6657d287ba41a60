"""A sandbox whose client dies mid-test stops the work and goes away: nobody reads the result, so
it must not burn the CPU to the end of the test's budget (a killed `bank build` or server)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

from grader.sandbox.command import OWNER_LABEL
from tests.support.server import IMAGE, require_docker
from tests.support.waits import wait_until

REPO = Path(__file__).resolve().parents[2]

HELD_MIB = 128
"""What the looping test holds: the host sees it in the container's memory once the test runs."""
CPU_LIMIT_S = 60.0
WAIT_S = 60.0
"""Deadline of the waits for the sandbox to start: far past what a loaded machine needs."""
GONE_S = CPU_LIMIT_S / 2
"""A sandbox that did not notice its client die cannot use up its CPU limit in less wall time."""

# A client that starts a sandbox, hands it a test that holds HELD_MIB and loops for a minute of
# CPU, and waits.
CLIENT = textwrap.dedent(
    """
    import asyncio, sys
    from grader.sandbox.docker import DockerSandbox
    from grader.sandbox.command import DockerSettings
    from grader.sandbox.interface import Limits, Prelude, Program, ProgramKind

    async def main() -> None:
        docker = DockerSandbox(DockerSettings(owner=sys.argv[1], runtime=sys.argv[2], image=sys.argv[3]))
        code = "held = b'x' * (%d << 20)\\nwhile True:\\n    pass\\n" % int(sys.argv[4])
        program = Program(code, ProgramKind.STDIN, "", Prelude.NONE,
                          Limits(time_s=float(sys.argv[5]), memory_mb=256, output_mb=1))
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


def memory_mib(container: str) -> float:
    """The container's memory use as the engine reports it; 0 when it reports none."""
    out = subprocess.run(
        ["docker", "stats", "--no-stream", "--format", "{{.MemUsage}}", container],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    number = re.match(r"\s*([\d.]+)\s*([KMG]?i?B)", out)
    if not number:
        return 0.0
    return float(number[1]) * {"B": 2**-20, "KiB": 2**-10, "MiB": 1, "GiB": 2**10}.get(number[2], 0)


def test_a_killed_client_leaves_no_busy_container() -> None:
    require_docker()
    owner = f"orphan-test-{uuid.uuid4().hex[:12]}"
    runtime = os.environ.get("GRADER_TEST_RUNTIME", "runc")
    client = subprocess.Popen(
        [sys.executable, "-c", CLIENT, owner, runtime, IMAGE, str(HELD_MIB), str(CPU_LIMIT_S)],
        cwd=REPO, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert client.stdout is not None
        assert client.stdout.readline().strip() == "running"
        [container] = wait_until(lambda: containers(owner), WAIT_S, "the sandbox's container")
        # The test is running: it holds what it allocated before its loop.
        wait_until(lambda: memory_mib(container) > HELD_MIB * 0.8, WAIT_S, "the test to hold its memory")
        client.send_signal(signal.SIGKILL)  # no cleanup of any kind on the client's side
        client.wait(10)
        # Without the supervisor noticing, the container would loop on to the test's CPU limit.
        wait_until(lambda: not containers(owner), GONE_S, "the orphaned sandbox to go away")
    finally:
        client.kill()
        for name in containers(owner):
            subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)
