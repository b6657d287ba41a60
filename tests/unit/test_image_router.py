"""A warm pool per sandbox environment: a program goes to its environment's sandbox; only the
environments the bank uses are started, so an image no question uses costs no container and no
check; health is NOT_SERVING when any started environment cannot run code."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from grader.api.server import GraderServer, ServerSettings
from grader.bank.store import BankStore
from grader.metrics import Metrics
from grader.programs import pooled_references
from grader.sandbox.command import DockerSettings
from grader.sandbox.docker import DockerSandbox
from grader.sandbox.interface import (
    Limits,
    Prelude,
    Program,
    ProgramKind,
    SandboxUnavailableError,
)
from grader.sandbox.pool import PoolSettings
from grader.sandbox.router import (
    DEFAULT_IMAGE_POOLS,
    DEFAULT_IMAGES,
    ImagePool,
    ImageRouter,
    SandboxConfigError,
    UnknownImageError,
    environments,
)
from tests.support.fake_sandbox import FakeSandbox
from tests.support.questions import question

DOCKER = DockerSettings(image="python-image:test", owner="unit")
BOGUS = "grader-sandbox-does-not-exist:never"


def program(image: str = "", memory_mb: int = 256) -> Program:
    return Program(
        code="print(1)",
        kind=ProgramKind.STDIN,
        entry_point="",
        prelude=Prelude.NONE,
        limits=Limits(time_s=1.0, memory_mb=memory_mb, output_mb=1),
        image=image,
    )


class FakeContainer:
    """What the warm pool asks of a container, with nothing behind it."""

    def __init__(self, image: str, memory_mb: int) -> None:
        self.image = image
        self.name = f"fake-{image}"
        self.memory_limit_mb = memory_mb
        self.alive = True
        self.uses = 0
        self.anomaly = ""

    async def load(self, program: Program, wall_s: float) -> None:
        return None

    async def reset(self) -> bool:
        return True


class Engine:
    """Stands in for the engine behind every DockerSandbox of a router: records which images
    were checked and which got containers (of what memory); an image in `missing` is not built."""

    def __init__(self, router: ImageRouter, missing: tuple[str, ...] = ()) -> None:
        self.checked: list[str] = []
        self.started: list[tuple[str, int]] = []
        self.missing = missing
        for docker in router.dockers.values():
            self._attach(docker)

    def _attach(self, docker: DockerSandbox) -> None:
        image = docker.settings.image

        async def check_engine() -> None:
            self.checked.append(image)
            if image in self.missing:
                raise SandboxUnavailableError(f"sandbox image {image} is missing")

        async def start_container(memory_limit_mb: int) -> FakeContainer:
            if image in self.missing:
                raise SandboxUnavailableError(f"sandbox image {image} is missing")
            self.started.append((image, memory_limit_mb))
            return FakeContainer(image, memory_limit_mb)

        async def stop_container(container: Any) -> None:
            return None

        docker.check_engine = check_engine  # type: ignore[method-assign]
        docker.start_container = start_container  # type: ignore[method-assign,assignment]
        docker.stop_container = stop_container  # type: ignore[method-assign]

    def images(self) -> set[str]:
        return {image for image, _ in self.started}


def router_of(
    images: dict[str, str] | None = None, pools: dict[str, ImagePool] | None = None, size: int = 2
) -> ImageRouter:
    found = environments(
        DOCKER,
        PoolSettings(size=size),
        DEFAULT_IMAGES if images is None else images,
        DEFAULT_IMAGE_POOLS if pools is None else pools,
    )
    return ImageRouter(DOCKER, found)


async def settle() -> None:
    """Lets the pools' background starts run."""
    for _ in range(20):
        await asyncio.sleep(0)


class TestEnvironments:
    """The settings make one environment per image, each with its pool."""

    def test_the_defaults(self) -> None:
        found = environments(
            DOCKER, PoolSettings(size=3, memory_limit_mb=1024), DEFAULT_IMAGES, DEFAULT_IMAGE_POOLS
        )
        assert set(found) == {"", "bigcodebench"}
        assert found[""].image == "python-image:test" and found[""].pool == PoolSettings(
            size=3, memory_limit_mb=1024
        )
        bcb = found["bigcodebench"]
        assert bcb.image == "grader-sandbox-bigcodebench:latest"
        assert bcb.pool is not None and (bcb.pool.size, bcb.pool.memory_limit_mb) == (2, 2048)

    def test_memory_left_out(self) -> None:
        images = {"bigcodebench": "b:1", "other": "o:1"}
        pools = {"bigcodebench": ImagePool(1), "other": ImagePool(1)}
        found = environments(DOCKER, PoolSettings(size=4, memory_limit_mb=512), images, pools)
        assert found["bigcodebench"].pool is not None and found["bigcodebench"].pool.memory_limit_mb == 2048
        assert found["other"].pool is not None and found["other"].pool.memory_limit_mb == 512

    def test_unlisted_environment_gets_the_default_pool(self) -> None:
        found = environments(DOCKER, PoolSettings(size=4, max_uses=7), {"x": "x:1"}, {})
        assert found["x"].pool == PoolSettings(size=4, max_uses=7)

    def test_size_0_is_a_container_per_submission(self) -> None:
        found = environments(DOCKER, PoolSettings(size=4, max_uses=7), {"x": "x:1"}, {"x": ImagePool(0)})
        assert found["x"].pool is None

    @pytest.mark.parametrize("name", ["Big", "default", "1x", "a b", ""])
    def test_bad_names(self, name: str) -> None:
        with pytest.raises(SandboxConfigError, match="sandbox environment name"):
            environments(DOCKER, None, {name: "i:1"}, {})

    def test_a_pool_without_an_image(self) -> None:
        with pytest.raises(SandboxConfigError, match="without an image: other"):
            environments(DOCKER, None, DEFAULT_IMAGES, {"other": ImagePool(1)})


class TestRouting:
    """Each program runs in its environment's sandbox; unknown names are our configuration's fault."""

    async def test_a_program_goes_to_its_environments_pool(self) -> None:
        router = router_of()
        engine = Engine(router)
        await router.start({""})
        async with router.session(program()) as session:
            assert session.image == "python-image:test"  # type: ignore[attr-defined]
        async with router.session(program("bigcodebench", memory_mb=2048)) as session:
            assert session.image == "grader-sandbox-bigcodebench:latest"  # type: ignore[attr-defined]
        await settle()
        # The bigcodebench pool started on its first program: checked first, then filled.
        assert engine.checked == ["grader-sandbox-bigcodebench:latest"]
        assert sorted(set(engine.started)) == [
            ("grader-sandbox-bigcodebench:latest", 2048),
            ("python-image:test", 1024),
        ]
        assert router.started == {"", "bigcodebench"}
        await router.close()

    async def test_unknown_environment(self) -> None:
        router = router_of()
        Engine(router)
        with pytest.raises(UnknownImageError, match=r"no sandbox image for environment 'nope'.*--images"):
            async with router.session(program("nope")):
                pass
        assert router.started == set()

    async def test_a_missing_image_is_said_plainly_on_first_need(self) -> None:
        router = router_of(images={"bigcodebench": BOGUS})
        engine = Engine(router, missing=(BOGUS,))
        with pytest.raises(SandboxUnavailableError, match=f"{BOGUS} is missing"):
            async with router.session(program("bigcodebench")):
                pass
        assert engine.started == []

    async def test_busy_and_idle_count_every_environment(self) -> None:
        router = router_of(pools={"bigcodebench": ImagePool(0)}, size=1)
        Engine(router)
        await router.start({"", "bigcodebench"})
        await settle()
        assert (router.busy, router.idle) == (0, 1)
        async with router.session(program()), router.session(program("bigcodebench")):
            assert (router.busy, router.idle) == (2, 0)
        await settle()
        assert (router.busy, router.idle) == (0, 1)
        await router.close()


class TestUnusedImages:
    """An environment no question uses gets no pool, no container and no check."""

    async def test_only_the_used_environments_start(self) -> None:
        router = router_of(images={"bigcodebench": BOGUS})
        engine = Engine(router, missing=(BOGUS,))
        await router.start({""})
        await settle()
        await router.check()  # SERVING: the bogus image is nobody's concern
        assert engine.images() == {"python-image:test"}
        assert BOGUS not in engine.checked
        assert router.pools["bigcodebench"].stats.started == 0
        await router.close()

    async def test_a_started_environment_that_cannot_start_containers_fails_the_check(self) -> None:
        router = router_of(images={"bigcodebench": BOGUS})
        Engine(router, missing=(BOGUS,))
        await router.start({"", "bigcodebench"})
        await settle()
        with pytest.raises(SandboxUnavailableError, match=f"environment bigcodebench: .*{BOGUS}"):
            await router.check()
        await router.close()

    async def test_a_bank_environment_without_an_image_stops_the_start(self) -> None:
        router = router_of()
        with pytest.raises(SandboxConfigError, match="no image for: 'other'"):
            await router.start({"", "other"})


class TestServer:
    """The server starts the default environment and those its bank's questions name."""

    def bank(self, tmp_path: Path, *images: str) -> Path:
        path = tmp_path / f"bank-{len(images)}.db"
        others = [question(f"q{n}", image=image) for n, image in enumerate(images)]
        BankStore.create(path, [question("echo"), *others])
        return path

    async def test_the_environments_of_the_bank(self, tmp_path: Path) -> None:
        for images, used in (((), {""}), (("bigcodebench", "bigcodebench"), {"", "bigcodebench"})):
            server = GraderServer(ServerSettings(bank=self.bank(tmp_path, *images), port=0))
            assert server.images == used
            server.bank.close()

    async def test_an_environment_without_an_image_stops_the_server(self, tmp_path: Path) -> None:
        with pytest.raises(SandboxConfigError, match="no image for: 'other'"):
            GraderServer(ServerSettings(bank=self.bank(tmp_path, "other"), port=0))

    async def test_an_injected_sandbox_is_not_routed(self, tmp_path: Path) -> None:
        settings = ServerSettings(bank=self.bank(tmp_path, "other"), port=0)
        server = GraderServer(settings, sandbox=FakeSandbox())
        assert server.images == {"", "other"}
        server.bank.close()

    async def test_pool_gauges_by_environment(self, tmp_path: Path) -> None:
        server = GraderServer(ServerSettings(bank=self.bank(tmp_path), port=0, pool=PoolSettings(size=1)))
        text = server.metrics.exposition().decode()
        for image in ("default", "bigcodebench"):
            for state in ("idle", "busy"):
                assert f'grader_pool_containers{{image="{image}",state="{state}"}} 0.0' in text
        server.bank.close()

    def test_metrics_label_set_is_fixed(self) -> None:
        assert Metrics().pool_containers._labelnames == ("image", "state")


class TestBankBuild:
    """Reference solutions run in their question's environment, its pool made on first need."""

    async def test_pools_per_environment_on_first_need(self, monkeypatch: pytest.MonkeyPatch) -> None:
        engines: list[Engine] = []
        original = ImageRouter.__init__

        def recording(self: ImageRouter, *args: Any, **kwargs: Any) -> None:
            original(self, *args, **kwargs)
            engines.append(Engine(self))

        monkeypatch.setattr(ImageRouter, "__init__", recording)
        async with pooled_references(DOCKER, 2, {"bigcodebench": "b:1", "unused": "u:1"}) as runner:
            router = runner.sandbox
            assert isinstance(router, ImageRouter)
            assert router.started == set()
            async with router.session(program("bigcodebench", memory_mb=2048)):
                pass
            await settle()
        (engine,) = engines
        assert engine.images() == {"b:1"}
        assert engine.started == [("b:1", 2048), ("b:1", 2048)]
