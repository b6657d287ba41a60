"""`grader demo`: the built-in demo samples graded on the built-in demo bank."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from grader import config
from grader.cli import settings
from grader.cli.serve import checked_settings, start_logging


def add_parser(sub: Any) -> None:
    demo = sub.add_parser("demo", help="grade the built-in demo samples on the built-in demo bank")
    config.add_settings(demo, settings.GRADING)
    demo.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from grader.demo import run_demo

    start_logging(args)
    with tempfile.TemporaryDirectory(prefix="grader-demo-") as tmp:
        server_settings = checked_settings(args, Path(tmp) / "demo.db", "127.0.0.1", 0)
        return asyncio.run(run_demo(server_settings))
