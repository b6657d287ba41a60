"""structlog setup: JSON lines in a container, a console renderer on a TTY; the request id of the
RPC in progress is bound through contextvars and so appears on every line it causes. grpc's and
other libraries' stdlib logs (and Python warnings) go through the same processors and renderer, so
every line on stderr is one JSON object. What the docker CLI says is captured and logged by the
sandbox as a field of our own events, never passed through raw.

Never log a test's input or expected output, nor a candidate's output for a private test.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

import structlog

SHARED_PROCESSORS: list[structlog.types.Processor] = [
    structlog.contextvars.merge_contextvars,
    structlog.stdlib.add_log_level,
    structlog.stdlib.add_logger_name,
    structlog.processors.TimeStamper(fmt="iso", utc=True),
    structlog.processors.StackInfoRenderer(),
    structlog.processors.format_exc_info,
]


def configure(level: str = "info", json_logs: bool | None = None, stream: TextIO | None = None) -> None:
    """Routes structlog and stdlib logging to `stream` (stderr), as JSON unless it is a terminal."""
    stream = stream or sys.stderr
    if json_logs is None:
        json_logs = not stream.isatty()
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer() if json_logs else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[*SHARED_PROCESSORS, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=SHARED_PROCESSORS,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    logging.captureWarnings(True)
