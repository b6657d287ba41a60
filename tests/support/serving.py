"""A real grader server in this test's event loop over a fake sandbox: no Docker, no metrics port,
no warm pool, and health checks rare enough to stay out of a test's way."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from grader.api.server import GraderServer, ServerSettings
from tests.support.fake_sandbox import FakeSandbox


@contextlib.asynccontextmanager
async def serving(bank: Path, sandbox: FakeSandbox, **settings: Any) -> AsyncIterator[GraderServer]:
    defaults: dict[str, Any] = {"metrics_port": None, "pool": None, "health_interval_s": 60}
    server = GraderServer(
        ServerSettings(bank=bank, host="127.0.0.1", port=0, **(defaults | settings)), sandbox=sandbox
    )
    await server.start()
    try:
        yield server
    finally:
        await server.stop()
