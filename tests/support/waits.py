"""Waiting on a condition with a deadline, instead of sleeping for a time that a loaded 2-core
machine may not honour: the wait ends as soon as the condition holds, and fails the test, naming
what it waited for, once the deadline passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

import pytest

T = TypeVar("T")

POLL_S = 0.05


def wait_until(condition: Callable[[], T], timeout_s: float, what: str) -> T:
    """`condition()`'s first truthy value; fails the test after `timeout_s` seconds without one."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() >= deadline:
            pytest.fail(f"waited {timeout_s:g} s for {what}")
        time.sleep(POLL_S)
