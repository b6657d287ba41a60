"""Health tells the truth: SERVING only while the bank can be read and a sandbox can run code;
NOT_SERVING while either is away and, for good, once draining."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from grpc_health.v1 import health_pb2

from grader.api.health import SERVICE_NAMES, HealthReporter
from grader.bank.store import BankStore
from grader.sandbox.interface import SandboxUnavailableError
from tests.support.fake_sandbox import FakeSandbox
from tests.support.questions import question

SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class SwitchableSandbox(FakeSandbox):
    """A fake sandbox whose engine can be switched off."""

    def __init__(self) -> None:
        super().__init__()
        self.engine_away = False

    async def check(self) -> None:
        if self.engine_away:
            raise SandboxUnavailableError("docker engine does not answer")


@pytest.fixture
def bank_file(tmp_path: Path) -> Path:
    path = tmp_path / "bank.db"
    BankStore.create(path, [question("echo")])
    return path


@pytest.fixture
def bank(bank_file: Path) -> Iterator[BankStore]:
    with BankStore.open(bank_file) as store:
        yield store


async def statuses(reporter: HealthReporter) -> set[int]:
    """The status reported for every service name the server registers."""
    replies = [
        await reporter.servicer.Check(health_pb2.HealthCheckRequest(service=name), None)
        for name in SERVICE_NAMES
    ]
    return {reply.status for reply in replies}


class TestHealth:
    """Each probe reports what it finds; draining overrides everything."""

    async def test_serving_with_bank_and_sandbox(self, bank: BankStore) -> None:
        reporter = HealthReporter(SwitchableSandbox(), bank=bank)
        await reporter.probe()
        assert await statuses(reporter) == {SERVING}
        assert reporter.serving

    async def test_bank_file_removed_is_not_serving_until_it_is_back(
        self, bank: BankStore, bank_file: Path, tmp_path: Path
    ) -> None:
        reporter = HealthReporter(SwitchableSandbox(), bank=bank)
        await reporter.probe()
        # The store's pooled connection can still read the unlinked file: health must not trust it.
        assert bank.count() == 1
        saved = tmp_path / "saved.db"
        shutil.move(bank_file, saved)
        await reporter.probe()
        assert await statuses(reporter) == {NOT_SERVING}
        shutil.move(saved, bank_file)
        await reporter.probe()
        assert await statuses(reporter) == {SERVING}

    async def test_bank_file_replaced_by_garbage_is_not_serving(
        self, bank: BankStore, bank_file: Path
    ) -> None:
        reporter = HealthReporter(SwitchableSandbox(), bank=bank)
        await asyncio.to_thread(bank_file.write_bytes, b"not a database at all" * 100)
        await reporter.probe()
        assert await statuses(reporter) == {NOT_SERVING}
        assert not reporter.serving

    async def test_closed_bank_is_not_serving(self, bank_file: Path) -> None:
        store = BankStore.open(bank_file)
        reporter = HealthReporter(SwitchableSandbox(), bank=store)
        store.close()
        await reporter.probe()
        assert await statuses(reporter) == {NOT_SERVING}

    async def test_engine_away_is_not_serving_and_recovers(self, bank: BankStore) -> None:
        sandbox = SwitchableSandbox()
        reporter = HealthReporter(sandbox, bank=bank)
        sandbox.engine_away = True
        await reporter.probe()
        assert await statuses(reporter) == {NOT_SERVING}
        sandbox.engine_away = False
        await reporter.probe()
        assert await statuses(reporter) == {SERVING}

    async def test_draining_stays_not_serving(self, bank: BankStore) -> None:
        reporter = HealthReporter(SwitchableSandbox(), bank=bank)
        await reporter.start()
        assert await statuses(reporter) == {SERVING}
        await reporter.drain()
        assert await statuses(reporter) == {NOT_SERVING}
        await reporter.probe()  # a late probe finding everything fine changes nothing
        assert await statuses(reporter) == {NOT_SERVING}
