"""Running the `grader` command line as a user does: a fresh interpreter in the repository, its
output captured."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, cwd=REPO, timeout=600,
        check=False,
    )  # fmt: skip
