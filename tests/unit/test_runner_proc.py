"""What the supervisor reads of a process from /proc and the cgroup files
(grader/runner/candidates.py, zygotes.running, standing.py), read here of this host's own
processes: CPU time, peak memory, OOM kills, whether a process runs, and its standing."""

from __future__ import annotations

import contextlib
import os
import resource
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from grader.runner import candidates, standing
from grader.runner.candidates import cpu_reading, cpu_seconds, oom_kills, peak_memory_kb
from grader.runner.zygotes import running

TICK_S = 1 / candidates.CLOCK_TICKS


def spin(seconds: float) -> None:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


@pytest.fixture
def child() -> Iterator[int]:
    """A child that sleeps until killed (the test's to signal)."""
    pid = os.fork()
    if pid == 0:
        try:
            time.sleep(60)
        finally:
            os._exit(0)
    yield pid
    with contextlib.suppress(ProcessLookupError, ChildProcessError):
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)


@pytest.fixture
def reaped(child: int) -> int:
    """A process that has ended and been reaped: /proc has no entry for it."""
    os.kill(child, signal.SIGKILL)
    os.waitpid(child, 0)
    return child


class TestCpu:
    def test_own_time_with_the_children_waited_for(self) -> None:
        """Fields 14-17 of /proc/PID/stat: utime, stime, cutime, cstime, as os.times() has them."""
        spin(0.1)
        pid = os.fork()
        if pid == 0:
            spin(0.2)
            os._exit(0)
        os.waitpid(pid, 0)
        times = os.times()
        reading = cpu_reading(os.getpid())
        assert reading is not None
        expected = times.user + times.system + times.children_user + times.children_system
        assert abs(reading - expected) <= 3 * TICK_S
        assert times.children_user + times.children_system >= 0.15

    def test_a_name_with_parentheses_and_spaces(self) -> None:
        """The name (field 2) is the candidate's to choose: the fields are counted from its end."""
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            Path("/proc/self/comm").write_text("x) 1 2 3 4 5 (")
            spin(0.2)
            os.write(write, b"!")
            time.sleep(60)
            os._exit(0)
        try:
            os.read(read, 1)
            reading = cpu_reading(pid)
            assert reading is not None and 0.15 <= reading <= 1.0
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            os.close(read)
            os.close(write)

    def test_a_reaped_process_has_no_reading(self, reaped: int) -> None:
        assert cpu_reading(reaped) is None
        assert cpu_seconds(reaped) == 0.0


class TestMemory:
    def test_peak_is_this_process_s(self) -> None:
        peak = peak_memory_kb(os.getpid())
        maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if candidates.PEAK_KNOWN:
            assert abs(peak - maxrss) <= 1024
        assert peak > 0

    def test_a_reaped_process_has_none(self, reaped: int) -> None:
        assert peak_memory_kb(reaped) == 0


class TestOomKills:
    def test_read_from_the_first_readable_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        v1 = tmp_path / "memory.oom_control"
        v1.write_text("oom_kill_disable 0\nunder_oom 0\noom_kill 3\n")
        v2 = tmp_path / "memory.events"
        v2.write_text("low 0\nhigh 0\nmax 9\noom 5\noom_kill 4\n")
        monkeypatch.setattr(candidates, "OOM_FILES", (str(tmp_path / "missing"), str(v1), str(v2)))
        assert oom_kills() == 3
        monkeypatch.setattr(candidates, "OOM_FILES", (str(v2), str(v1)))
        assert oom_kills() == 4

    def test_none_readable_is_zero(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(candidates, "OOM_FILES", (str(tmp_path / "missing"),))
        assert oom_kills() == 0
        empty = tmp_path / "memory.events"
        empty.write_text("oom 1\n")
        monkeypatch.setattr(candidates, "OOM_FILES", (str(empty),))
        assert oom_kills() == 0


class TestRunning:
    def test_alive_stopped_zombie_reaped(self) -> None:
        pid = os.fork()
        if pid == 0:
            time.sleep(60)
            os._exit(0)
        assert running(pid)
        os.kill(pid, signal.SIGSTOP)
        os.waitpid(pid, os.WUNTRACED)
        assert not running(pid)
        os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)  # a zombie until waited for
        assert not running(pid)
        assert not candidates._live(str(pid), "Z (zombie)")
        os.waitpid(pid, 0)
        assert not running(pid)

    def test_a_live_state_is_live(self, child: int) -> None:
        assert candidates._live(str(child), "S (sleeping)")


class TestStanding:
    def test_unchanged_reads_the_same(self, child: int) -> None:
        recorded = standing.standing(child)
        assert {"nice", "affinity", "RLIMIT_NOFILE", "RLIMIT_LOCKS", "status", "comm"} <= set(recorded)
        assert standing.changes(recorded, child) == []

    def test_renice_limit_and_stop_are_changes(self, child: int) -> None:
        recorded = standing.standing(child)
        os.setpriority(os.PRIO_PROCESS, child, os.getpriority(os.PRIO_PROCESS, child) + 1)
        soft, hard = resource.prlimit(child, resource.RLIMIT_NOFILE)
        resource.prlimit(child, resource.RLIMIT_NOFILE, (soft - 1, hard))
        os.kill(child, signal.SIGSTOP)
        os.waitpid(child, os.WUNTRACED)
        assert standing.changes(recorded, child) == ["RLIMIT_NOFILE", "nice", "status"]

    def test_a_process_gone_is_a_change(self, child: int) -> None:
        recorded = standing.standing(child)
        os.kill(child, signal.SIGKILL)
        os.waitpid(child, 0)
        assert "status" in standing.changes(recorded, child)
