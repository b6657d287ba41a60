"""What the environment router adds to a submission: sessions through `ImageRouter` vs straight
from the sandbox behind it, with a sandbox that does nothing (so only the router is measured).

    .venv/bin/python -m bench.router_overhead [--sessions 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

from grader.sandbox.command import DockerSettings
from grader.sandbox.interface import Limits, Prelude, Program, ProgramKind, Sandbox
from grader.sandbox.router import ImageRouter, environments


class NullSandbox:
    """A Sandbox whose sessions cost nothing."""

    @contextlib.asynccontextmanager
    async def session(self, program: Program) -> AsyncIterator[None]:
        yield None

    async def check(self) -> None:
        return None

    async def close(self) -> None:
        return None


async def per_session_us(sandbox: Sandbox, program: Program, sessions: int) -> float:
    started = time.perf_counter()
    for _ in range(sessions):
        async with sandbox.session(program):
            pass
    return (time.perf_counter() - started) / sessions * 1e6


async def main(sessions: int) -> None:
    docker = DockerSettings()
    router = ImageRouter(docker, environments(docker, None, {}, {}))
    null = NullSandbox()
    router.dockers[""] = null  # type: ignore[assignment]
    router.started.add("")
    program = Program("pass", ProgramKind.STDIN, "", Prelude.NONE, Limits(1.0, 64, 1))
    for _ in range(3):
        direct = await per_session_us(null, program, sessions)  # type: ignore[arg-type]
        routed = await per_session_us(router, program, sessions)
        print(f"direct {direct:.1f} us/session, through the router {routed:.1f} us/session")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20000)
    asyncio.run(main(parser.parse_args().sessions))
