"""What changes under gVisor (runsc): the container's limits, and the supervisor's stand-ins for
what the host kernel does under runc (no Docker needed)."""

from __future__ import annotations

import ctypes
import errno
import json
from pathlib import Path

import pytest

from grader.runner import gvisor, protocol, sysv_ipc
from grader.sandbox.command import DockerSettings, container_args
from grader.sandbox.runtimes import GVISOR_SECCOMP_PROFILE, GVISOR_SENTRY_MB, is_gvisor, limit_args


def values(args: list[str], flag: str) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args[:-1]) if arg == flag]


class TestContainerLimits:
    """runc's limits are the host's; gVisor's host limits leave room for the Sentry, and the
    candidate's own limits travel to the supervisor."""

    def test_runc(self) -> None:
        args = container_args(DockerSettings(), 256, "n")
        budget = 256 + DockerSettings().memory_headroom_mb
        assert values(args, "--memory") == values(args, "--memory-swap") == [f"{budget}m"]
        assert values(args, "--pids-limit") == ["64"]
        assert not any(v.startswith("GRADER_") for v in values(args, "--env"))

    def test_gvisor(self) -> None:
        args = container_args(DockerSettings(runtime="runsc", pids_limit=32), 256, "n")
        budget = 256 + DockerSettings().memory_headroom_mb
        assert values(args, "--memory") == values(args, "--memory-swap") == [f"{budget + GVISOR_SENTRY_MB}m"]
        env = dict(v.split("=", 1) for v in values(args, "--env"))
        assert env == {protocol.MEMORY_BUDGET_ENV: str(budget * 1024), protocol.NPROC_LIMIT_ENV: "32"}
        # The host backstop leaves room for the Sentry's threads, above the candidate's limit.
        assert int(values(args, "--pids-limit")[0]) > 32 * 8

    def test_which_runtimes_are_gvisor(self) -> None:
        assert is_gvisor("runsc") and is_gvisor("runsc-kvm")
        assert not is_gvisor("runc") and not is_gvisor("crun")
        assert limit_args("crun", 100, 10) == limit_args("runc", 100, 10)


MQ_SYSCALLS = {"mq_open", "mq_unlink", "mq_timedsend", "mq_timedreceive", "mq_notify", "mq_getsetattr"}


def seccomp_options(args: list[str]) -> list[str]:
    return [v for v in values(args, "--security-opt") if v.startswith("seccomp")]


class TestSeccompProfile:
    """gVisor's containers get a profile refusing POSIX message queues (no /dev/mqueue to wipe
    there); runc's keep Docker's default profile."""

    def test_runc_keeps_dockers_default(self) -> None:
        for runtime in ("runc", "crun"):
            assert seccomp_options(container_args(DockerSettings(runtime=runtime), 256, "n")) == []

    def test_gvisor_gets_its_profile(self) -> None:
        for runtime in ("runsc", "runsc-kvm"):
            args = container_args(DockerSettings(runtime=runtime), 256, "n")
            assert seccomp_options(args) == [f"seccomp={GVISOR_SECCOMP_PROFILE}"]
            assert "no-new-privileges" in values(args, "--security-opt")

    def test_profile_refuses_message_queues_only(self) -> None:
        """The CLI reads the file: it ships in the package, and refuses every mq_* syscall."""
        profile = json.loads(GVISOR_SECCOMP_PROFILE.read_text())
        assert profile["defaultAction"] == "SCMP_ACT_ALLOW"
        refused = {
            name
            for rule in profile["syscalls"]
            if rule["action"] == "SCMP_ACT_ERRNO" and not rule.get("args")
            for name in rule["names"]
        }
        assert refused == MQ_SYSCALLS
        assert all(rule["action"] == "SCMP_ACT_ERRNO" for rule in profile["syscalls"])

    def test_profile_refuses_scheduling_others(self) -> None:
        """gVisor lets any process renice, re-pin or re-schedule any other (the attack suite's
        test_long_lived): refused unless the target is the caller itself (pid 0)."""
        profile = json.loads(GVISOR_SECCOMP_PROFILE.read_text())
        conditional = {
            (name, arg["index"])
            for rule in profile["syscalls"]
            if rule.get("args")
            for name in rule["names"]
            for arg in rule["args"]
            if arg == {"index": arg["index"], "value": 0, "op": "SCMP_CMP_NE"}
        }
        for name in ("sched_setaffinity", "sched_setscheduler", "sched_setparam", "sched_setattr"):
            assert (name, 0) in conditional
        assert {("setpriority", 0), ("setpriority", 1)} <= conditional


class TestOomKillerStandIn:
    """Under gVisor the supervisor OOM-kills at the budget, read from gVisor's /proc/meminfo."""

    @pytest.fixture
    def meminfo(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
        path = tmp_path / "meminfo"
        monkeypatch.setattr(gvisor, "MEMINFO", str(path))
        return path

    def test_memory_in_use(self, meminfo: Path) -> None:
        meminfo.write_text("MemTotal:  1114112 kB\nMemFree:  100 kB\nMemAvailable:  1000000 kB\n")
        assert gvisor.memory_in_use_kb() == 114112

    def test_over_budget(self, meminfo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        meminfo.write_text("MemTotal:  1000 kB\nMemAvailable:  200 kB\n")
        monkeypatch.setattr(gvisor, "MEMORY_BUDGET_KB", 700)
        assert gvisor.out_of_memory()
        monkeypatch.setattr(gvisor, "MEMORY_BUDGET_KB", 900)
        assert not gvisor.out_of_memory()

    def test_never_under_runc(self, meminfo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        meminfo.write_text("MemTotal:  1000 kB\nMemAvailable:  0 kB\n")
        monkeypatch.setattr(gvisor, "MEMORY_BUDGET_KB", 0)
        assert not gvisor.out_of_memory()


class FakeRegistry:
    """One kind of SysV IPC object numbered as gVisor numbers them: 1, 2, 3, ... never reused."""

    def __init__(self) -> None:
        self.last = 0
        self.objects: set[int] = set()

    def make(self) -> int:
        self.last += 1
        self.objects.add(self.last)
        return self.last

    def remove(self, ident: int) -> int:
        if ident in self.objects:
            self.objects.discard(ident)
            return 0
        ctypes.set_errno(errno.EINVAL)
        return -1

    def stat(self, ident: int, buf: ctypes.Array[ctypes.c_char]) -> int:
        if ident in self.objects:
            return 0
        ctypes.set_errno(errno.EINVAL)
        return -1


class TestSysvIpcWithoutListing:
    """gVisor has no /proc/sysvipc: the objects made since the last clean sweep are found (and
    removed) between the last marker and a new one."""

    @pytest.fixture
    def registries(self, monkeypatch: pytest.MonkeyPatch) -> dict[str, FakeRegistry]:
        fakes = {name: FakeRegistry() for name in ("shm", "sem", "msg")}
        kinds = tuple(sysv_ipc.Kind(n, f.make, f.remove, f.stat) for n, f in fakes.items())
        monkeypatch.setattr(sysv_ipc, "KINDS", kinds)
        monkeypatch.setattr(sysv_ipc, "listed", lambda: False)
        monkeypatch.setattr(sysv_ipc, "_swept", dict.fromkeys(fakes, 0))
        return fakes

    def test_found_and_removed(self, registries: dict[str, FakeRegistry]) -> None:
        assert sysv_ipc.remaining() == []
        candidate = [registries["shm"].make(), registries["shm"].make(), registries["msg"].make()]
        registries["shm"].remove(candidate[0])  # made and removed by the candidate: not a leftover
        assert sorted(sysv_ipc.remaining()) == [f"msg:{candidate[2]}", f"shm:{candidate[1]}"]
        sysv_ipc.remove_all()
        assert sysv_ipc.remaining() == []
        assert all(not r.objects for r in registries.values())  # markers are removed too

    def test_a_range_too_large_is_not_clean(self, registries: dict[str, FakeRegistry]) -> None:
        registries["sem"].last += sysv_ipc.SCAN_LIMIT + 5  # a candidate that churned ids
        assert any(entry.startswith("sem:") and "unchecked" in entry for entry in sysv_ipc.remaining())
