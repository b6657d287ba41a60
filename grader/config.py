"""What a setting is and how it is read: one `Setting` gives its flag, `GRADER_*` variable, parser,
default, help and bounds; the argparse flag, the environment reading, the range check, the masked
log line and the documentation table are all derived from it.

A flag's default is a `FromEnv`: the environment variable is read and parsed only once the command
is known, so a bad `GRADER_POOL_SIZE` stops `grader serve` with a message naming the variable
(`grader: GRADER_POOL_SIZE: expected an integer, got 'abc'`), not with a traceback, and does not
concern `grader eval`. The same parsers check the flags, through argparse.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any, Literal

ENV_PREFIX = "GRADER_"
LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
PRIVATE_TEST_METRICS = ("none", "exact")
SECRET_WORDS = ("token", "key", "password", "secret")
MASK = "***"

Bounds = Literal["", "positive", "non-negative"]


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


def _one_of(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if text.strip().lower() not in choices:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices)}, got {text!r}")
        return text.strip().lower()

    return parse


log_level = _one_of(LOG_LEVELS)
private_test_metrics = _one_of(PRIVATE_TEST_METRICS)


def optional_path(text: str) -> Path | None:
    return Path(text.strip()) if text.strip() else None


def text(value: str) -> str:
    return value


class Assignments(dict[str, Any]):
    """`NAME=VALUE` pairs, written back as they are read (a setting's default is shown so)."""

    def __str__(self) -> str:
        return ",".join(f"{name}={value}" for name, value in self.items())


def assignments(parse_value: Callable[[str], Any]) -> Callable[[str], Assignments]:
    """A parser of `NAME=VALUE[,NAME=VALUE...]` (empty: none), each value by `parse_value`."""

    def parse(text: str) -> Assignments:
        found = Assignments()
        for item in filter(None, (part.strip() for part in text.split(","))):
            name, equals, value = item.partition("=")
            if not equals or not name.strip():
                raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {item!r}")
            try:
                found[name.strip()] = parse_value(value.strip())
            except argparse.ArgumentTypeError as exc:
                raise argparse.ArgumentTypeError(f"{name.strip()}: {exc}") from None
        return found

    return parse


class MergeAssignments(argparse.Action):
    """A repeatable flag of `assignments`: each use adds its pairs to those of the uses before
    (the variable and the default are not merged: a flag replaces them, as every flag does)."""

    def __call__(
        self, parser: argparse.ArgumentParser, namespace: argparse.Namespace, values: Any, option: Any = None
    ) -> None:
        current = getattr(namespace, self.dest, None)
        merged = Assignments(current if isinstance(current, Assignments) else {})
        merged.update(values)
        setattr(namespace, self.dest, merged)


_PARSER_OF_TYPE: dict[type, Callable[[str], Any]] = {int: integer, float: number, str: text}


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


@dataclass(frozen=True, slots=True)
class Setting:
    """One setting, declared once.

    `default` is the parsed value (a `Path` setting's is None); `env` is the variable's name
    without `GRADER_` (empty: the flag's name), `parse` is derived from the default's type unless
    given, `shown` replaces the default in the documentation table, and `note` is documentation
    longer than a `--help` line (markdown)."""

    flag: str
    default: Any
    help: str = ""
    env: str = ""
    parse: Callable[[str], Any] | None = None
    bounds: Bounds = ""
    metavar: str | None = None
    shown: str = ""
    note: str = ""
    target: tuple[type[Any], str] | None = None
    """The dataclass field the value goes to, where one does."""

    @property
    def dest(self) -> str:
        return self.flag.removeprefix("--").replace("-", "_")

    @property
    def variable(self) -> str:
        return ENV_PREFIX + (self.env or self.dest.upper())

    @property
    def parser(self) -> Callable[[str], Any]:
        return self.parse or _PARSER_OF_TYPE[type(self.default)]

    @property
    def raw_default(self) -> str:
        return "" if self.default is None else str(self.default)

    def in_env(self, environ: Mapping[str, str] | None = None) -> bool:
        """Whether its variable is set to something."""
        return bool((os.environ if environ is None else environ).get(self.variable))

    def from_env(self) -> FromEnv:
        return FromEnv(self.variable.removeprefix(ENV_PREFIX), self.raw_default, self.parser)

    def problem(self, value: Any) -> str | None:
        """Why `value` is out of this setting's bounds, or None."""
        if self.bounds == "positive" and value <= 0:
            return "must be positive"
        if self.bounds == "non-negative" and value < 0:
            return "must not be negative"
        return None

    def add_to(self, parser: argparse.ArgumentParser, **overrides: Any) -> None:
        """Adds the flag, its default read from the environment once the command is known."""
        options: dict[str, Any] = {"type": self.parser, "default": self.from_env(), "help": self.help or None}
        if self.metavar:
            options["metavar"] = self.metavar
        if isinstance(self.default, Assignments):
            options["action"] = MergeAssignments
        parser.add_argument(self.flag, **(options | overrides))


def field_default(cls: type[Any], name: str) -> Any:
    (field,) = [f for f in dataclasses.fields(cls) if f.name == name]
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return field.default


def of_field(cls: type[Any], name: str, flag: str, **declaration: Any) -> Setting:
    """The setting that fills the dataclass field `cls.name`, whose default it takes."""
    return Setting(flag, field_default(cls, name), target=(cls, name), **declaration)


def add_settings(parser: argparse.ArgumentParser, settings: Iterable[Setting]) -> None:
    for setting in settings:
        setting.add_to(parser)


def out_of_bounds(settings: Iterable[Setting], args: argparse.Namespace) -> Iterator[tuple[Setting, str]]:
    """Each setting whose value in `args` is out of its bounds, with the reason."""
    for setting in settings:
        problem = setting.problem(getattr(args, setting.dest))
        if problem is not None:
            yield setting, problem


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
        if isinstance(value, PurePath | Assignments):
            value = str(value)  # as it is written
        if is_secret(dest) and value not in (None, ""):
            value = MASK
        shown[dest] = value
    return shown


def markdown_table(settings: Iterable[Setting]) -> str:
    """The documentation table of `settings`, then their notes."""
    rows = ["| flag | env | default | what |", "|---|---|---|---|"]
    notes: list[str] = []
    for s in settings:
        value = f"{s.default:g}" if isinstance(s.default, float) else s.raw_default
        default = s.shown or (f"`{value}`" if value else "—")
        rows.append(f"| `{s.flag}` | `{s.variable}` | {default} | {s.help or s.note} |")
        if s.note and s.help:
            notes.append(f"* `{s.flag}`: {s.note}")
    return "\n".join(rows + (["", *notes] if notes else [])) + "\n"
