"""What an image's environment asks of the zygotes (standard library only): modules to import
once per container, and private directories (HOME, caches) that live in the tmpfs.
"""

from __future__ import annotations

import contextlib
import os
import shutil

PRELOAD_ENV = "GRADER_PRELOAD"
"""Modules (comma-separated) the root zygote imports once per container, so each submission forks
with them loaded (an image with heavy libraries sets it)."""
PRIVATE_DIRS = ("HOME", "XDG_CACHE_HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "MPLCONFIGDIR")
"""Environment variables naming directories a test may write to, created under /tmp if named there."""


def private_dirs() -> list[str]:
    """The private directories the environment names under /tmp."""
    return [path for path in (os.environ.get(v, "") for v in PRIVATE_DIRS) if path.startswith("/tmp/")]


def preload(names: str) -> None:
    """Imports the image's heavy modules once, as root, before any candidate code (a module that
    fails to import is left to fail in the candidate's process, as it would without this). What
    they write under the private directories (matplotlib's font cache) is removed after, so that
    every submission starts without it, root's files included."""
    made = [d for d in private_dirs() if not os.path.exists(d)]
    for name in filter(None, (n.strip() for n in names.split(","))):
        with contextlib.suppress(Exception):
            __import__(name)
    for directory in made:
        shutil.rmtree(directory, ignore_errors=True)
