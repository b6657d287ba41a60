"""Sandboxes per environment: a program names the image it needs (`Program.image`), and each
environment has its own sandbox — a warm pool of its image, or a fresh container per submission.

Nothing is started for an environment until it is asked for: `start()` fills the pools of the
environments a bank uses, and a session for any other configured one starts its sandbox on first
need. An image no question uses costs no container and no check, so it need not even be built.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass

import structlog

from grader.sandbox.command import DockerSettings
from grader.sandbox.docker import DockerSandbox
from grader.sandbox.interface import (
    NoEvents,
    Program,
    Sandbox,
    SandboxEvents,
    SandboxFailureError,
    SandboxUnavailableError,
    Session,
)
from grader.sandbox.pool import PoolSettings, WarmPool

log = structlog.get_logger(__name__)

DEFAULT = ""
"""The default environment: `DockerSettings.image`, with the server's own pool settings."""
DEFAULT_LABEL = "default"
"""The default environment's name in metric labels and log lines."""
NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")

DEFAULT_IMAGES = {"bigcodebench": "grader-sandbox-bigcodebench:latest"}
"""Named environments every server knows unless told otherwise (`--images`)."""


@dataclass(frozen=True, slots=True)
class ImagePool:
    """The warm pool of one named environment."""

    size: int
    """Containers kept warm; 0: a fresh container per submission."""
    memory_mb: int | None = None
    """Memory limit of its containers; None: the environment's default (DEFAULT_IMAGE_POOLS),
    else the default pool's."""

    def __str__(self) -> str:
        return f"{self.size}" if self.memory_mb is None else f"{self.size}:{self.memory_mb}"


DEFAULT_IMAGE_POOLS = {"bigcodebench": ImagePool(size=2, memory_mb=2048)}
"""BigCodeBench questions default to 2048 MB (bank/model.py), so its pool's containers hold one."""


class SandboxConfigError(ValueError):
    """The environments configured cannot serve: an operator's mistake, said before serving."""


class UnknownImageError(SandboxFailureError):
    """A program names an environment the server has no image for: our configuration's fault,
    never the candidate's."""


@dataclass(frozen=True, slots=True)
class Environment:
    """One environment's image and how its containers are kept."""

    image: str
    pool: PoolSettings | None
    """None: a fresh container per submission."""


def label(name: str) -> str:
    return name or DEFAULT_LABEL


def environments(
    docker: DockerSettings,
    pool: PoolSettings | None,
    images: Mapping[str, str],
    image_pools: Mapping[str, ImagePool],
) -> dict[str, Environment]:
    """Every environment: the default one (`docker.image`, `pool`) and one per named image, its
    pool from `image_pools` (else the default pool's settings). SandboxConfigError for a name that
    is not one, or a pool for an environment without an image."""
    for name in (*images, *image_pools):
        if not NAME.fullmatch(name) or name == DEFAULT_LABEL:
            raise SandboxConfigError(
                f"sandbox environment name {name!r}: expected lowercase letters, digits, '-' or '_',"
                f" starting with a letter (and not {DEFAULT_LABEL!r})"
            )
    if unnamed := sorted(set(image_pools) - set(images)):
        raise SandboxConfigError(f"a pool for environment(s) without an image: {', '.join(unnamed)}")
    base = pool or PoolSettings()
    found = {DEFAULT: Environment(docker.image, pool)}
    for name, image in images.items():
        sized = image_pools.get(name)
        if sized is None:
            found[name] = Environment(image, pool)
            continue
        memory = sized.memory_mb
        if memory is None:
            known = DEFAULT_IMAGE_POOLS.get(name)
            memory = known.memory_mb if known is not None and known.memory_mb else base.memory_limit_mb
        settings = dataclasses.replace(base, size=sized.size, memory_limit_mb=memory)
        found[name] = Environment(image, settings if sized.size else None)
    return found


class ImageRouter:
    """A Sandbox that hands each program to its environment's sandbox, started on first need."""

    def __init__(
        self,
        docker: DockerSettings,
        environments: Mapping[str, Environment],
        events: SandboxEvents | None = None,
    ) -> None:
        events = events or NoEvents()
        self.environments = dict(environments)
        # Building these starts nothing: no container, no call to the engine.
        self.dockers = {
            name: DockerSandbox(dataclasses.replace(docker, image=env.image), events=events)
            for name, env in self.environments.items()
        }
        self.pools = {
            name: WarmPool(self.dockers[name], env.pool, events=events)
            for name, env in self.environments.items()
            if env.pool is not None
        }
        self.started: set[str] = set()
        self._own = 0
        """Sessions running now in a container of their own (environments without a pool)."""
        self._starting = asyncio.Lock()

    def sandbox(self, name: str) -> Sandbox:
        if name not in self.environments:
            known = ", ".join(repr(n) for n in sorted(self.environments) if n) or "none"
            raise UnknownImageError(
                f"no sandbox image for environment {name!r} (configured: {known}); see --images"
            )
        return self.pools.get(name) or self.dockers[name]

    def require(self, names: Iterable[str]) -> None:
        """SandboxConfigError unless every one of these environments has an image."""
        if missing := sorted(set(names) - set(self.environments)):
            raise SandboxConfigError(
                "the bank uses sandbox environment(s) the server has no image for: "
                + ", ".join(repr(n) for n in missing)
                + "; name their images with --images NAME=IMAGE"
            )

    async def start(self, names: Iterable[str]) -> None:
        """Starts the sandboxes of these environments (filling their pools without waiting)."""
        wanted = set(names)
        self.require(wanted)
        for name in sorted(wanted - self.started):
            await self._start(name)

    async def _start(self, name: str) -> None:
        self.started.add(name)
        pool = self.pools.get(name)
        image = self.dockers[name].settings.image
        log.info("sandbox_environment_started", environment=label(name), image=image,
                 pool=pool.settings.size if pool else 0)  # fmt: skip
        if pool is not None:
            await pool.start()

    async def _ensure_started(self, name: str) -> Sandbox:
        sandbox = self.sandbox(name)
        if name in self.started:
            return sandbox
        async with self._starting:
            if name not in self.started:
                # Asked for by no question of the bank at start (a bank build, a reference run):
                # a missing image is said plainly rather than as a failed `docker run`.
                await self.dockers[name].check_engine()
                await self._start(name)
        return sandbox

    @contextlib.asynccontextmanager
    async def session(self, program: Program) -> AsyncIterator[Session]:
        sandbox = await self._ensure_started(program.image)
        own = not isinstance(sandbox, WarmPool)
        self._own += own
        try:
            async with sandbox.session(program) as session:
                yield session
        finally:
            self._own -= own

    @property
    def busy(self) -> int:
        """Sandboxes running a submission now."""
        return self._own + sum(pool.busy for pool in self.pools.values())

    @property
    def idle(self) -> int:
        """Warm containers ready for a submission."""
        return sum(pool.idle for pool in self.pools.values())

    async def check(self) -> None:
        """Raises SandboxUnavailableError when any started environment cannot run code now."""
        names = sorted(self.started)
        results = await asyncio.gather(*(self.sandbox(n).check() for n in names), return_exceptions=True)
        for name, result in zip(names, results, strict=True):
            if isinstance(result, SandboxUnavailableError):
                raise SandboxUnavailableError(f"environment {label(name)}: {result}") from result
            if isinstance(result, BaseException):
                raise result

    async def close(self) -> None:
        await asyncio.gather(*(self.sandbox(name).close() for name in self.started))
