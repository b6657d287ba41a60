"""Settings from flags and `GRADER_*` environment variables, checked before anything starts.

A flag's default is a `FromEnv`: the environment variable is read and parsed only once the command
is known, so a bad `GRADER_POOL_SIZE` stops `grader serve` with a message naming the variable
(`grader: GRADER_POOL_SIZE: expected an integer, got 'abc'`), not with a traceback, and does not
concern `grader eval`. The same parsers check the flags, through argparse.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

ENV_PREFIX = "GRADER_"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
PRIVATE_TEST_METRICS = ("none", "exact")
SECRET_WORDS = ("token", "key", "password", "secret")
MASK = "***"


class SettingError(ValueError):
    """A setting's value cannot be used; the message names the setting and the value."""


def integer(text: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None


def number(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"expected a finite number, got {text!r}")
    return value


def port(text: str) -> int:
    value = integer(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")
    return value


def log_level(text: str) -> str:
    if text.strip().lower() not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(LOG_LEVELS)}, got {text!r}")
    return text.strip().lower()


def private_test_metrics(text: str) -> str:
    if text.strip().lower() not in PRIVATE_TEST_METRICS:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(PRIVATE_TEST_METRICS)}, got {text!r}")
    return text.strip().lower()


@dataclass(frozen=True, slots=True)
class FromEnv:
    """A flag's default: `GRADER_<name>` when set, else `default`, parsed by `parse`."""

    name: str
    default: str
    parse: Callable[[str], Any]

    @property
    def variable(self) -> str:
        return ENV_PREFIX + self.name

    def resolve(self, environ: Mapping[str, str]) -> Any:
        raw = environ.get(self.variable)
        if raw is None:
            return self.parse(self.default)
        try:
            return self.parse(raw)
        except argparse.ArgumentTypeError as exc:
            raise SettingError(f"{self.variable}: {exc}") from None

    def __str__(self) -> str:  # what `--help` shows as the default
        return f"${self.variable} or {self.default}"


def env_default(name: str, default: str, parse: Callable[[str], Any]) -> FromEnv:
    return FromEnv(name, default, parse)


def resolve_env(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> None:
    """Replaces every `FromEnv` default left in `args` (its flag was not given) by its value;
    raises SettingError for a variable that does not parse."""
    env = os.environ if environ is None else environ
    for dest, value in vars(args).items():
        if isinstance(value, FromEnv):
            setattr(args, dest, value.resolve(env))


def is_secret(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in SECRET_WORDS)


def effective(args: argparse.Namespace) -> dict[str, Any]:
    """The settings a command runs with, for one log line: secrets (by name) masked."""
    shown: dict[str, Any] = {}
    for dest, value in sorted(vars(args).items()):
        if dest in ("func", "command") or callable(value):
            continue
        if isinstance(value, PurePath):
            value = str(value)
        if is_secret(dest) and value not in (None, ""):
            value = MASK
        shown[dest] = value
    return shown
