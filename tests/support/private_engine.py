"""A private Docker engine for fault tests: its own dockerd, socket, exec root and data root (on a
small tmpfs), so that killing, restarting or filling it never disturbs the shared engine.

The sandbox image is copied in from the shared engine (`docker save | docker load`) once per
session. Needs root (dockerd, mount); integration tests run as root here.
"""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DATA_ROOT_MB = 512
"""The image takes about 230 MB; containers (read-only, tmpfs mounts) take a few kB each."""


class PrivateEngine:
    """A dockerd of our own under a short /tmp path (unix socket paths are limited to ~100 chars)."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="gf-", dir="/tmp"))
        self.data = self.root / "data"
        self.exec_root = self.root / "exec"
        self.data.mkdir()
        self.exec_root.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DATA_ROOT_MB}m", "tmpfs", str(self.data)],
                       check=True)  # fmt: skip
        self.log = self.root / "dockerd.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.filler = self.data / "filler"

    @property
    def host(self) -> str:
        return f"unix://{self.root}/docker.sock"

    def docker(self, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["docker", "--host", self.host, *args], capture_output=True, text=True,
                              timeout=timeout, check=False)  # fmt: skip

    def answers(self) -> bool:
        try:
            return self.docker("version", "--format", "{{.Server.Version}}", timeout=10).returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def start(self, timeout_s: float = 60.0) -> float:
        """Starts dockerd and waits until it answers; returns how long that took."""
        assert self.process is None or self.process.poll() is not None, "already running"
        started = time.monotonic()
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["dockerd", "--host", self.host, "--data-root", str(self.data), "--exec-root",
                 str(self.exec_root), "--pidfile", str(self.root / "docker.pid"), "--bridge=none",
                 "--iptables=false"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        while time.monotonic() - started < timeout_s:
            if self.answers():
                return time.monotonic() - started
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        tail = self.log.read_text(errors="replace")[-2000:]
        pytest.fail(f"the private dockerd did not answer within {timeout_s:.0f} s:\n{tail}")

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout_s: float = 60.0) -> None:
        """Stops dockerd with this signal (SIGKILL: a crash) and waits until it has exited."""
        if self.process is None or self.process.poll() is not None:
            return
        containerd = self.exec_root / "containerd" / "containerd.pid"
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
        # After a crash, dockerd's containerd dies with it, but this VM's init reaps orphans
        # lazily: a zombie would pass for a running containerd at the next start, which then
        # waits for it in vain. A dead one's pid file goes.
        with contextlib.suppress(FileNotFoundError, ValueError):
            pid = int(containerd.read_text())
            deadline = time.monotonic() + 30
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if not _alive(pid):
                containerd.unlink()

    def load_image(self, image: str) -> float:
        """Copies an image from the shared engine; returns how long that took."""
        started = time.monotonic()
        save = subprocess.Popen(["docker", "save", image], stdout=subprocess.PIPE)
        load = subprocess.run(["docker", "--host", self.host, "load"], stdin=save.stdout, capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert save.stdout is not None
        save.stdout.close()
        assert save.wait(120) == 0 and load.returncode == 0, f"image load failed: {load.stderr[-500:]}"
        return time.monotonic() - started

    def containers(self, *filters: str, running_only: bool = False) -> list[str]:
        """Names of the containers matching every `label=...` filter."""
        args = ["ps", "--format", "{{.Names}}"] + ([] if running_only else ["-a"])
        for f in filters:
            args += ["--filter", f]
        out = self.docker(*args)
        assert out.returncode == 0, out.stderr
        return sorted(out.stdout.split())

    def fill_disk(self) -> None:
        """Fills the data root's filesystem to the last byte."""
        with self.filler.open("ab", buffering=0) as f:
            for size in (1 << 20, 4096, 1):
                block = b"\0" * size
                with contextlib.suppress(OSError):
                    while True:
                        f.write(block)
        assert shutil.disk_usage(self.data).free < 1 << 20

    def free_disk(self) -> None:
        self.filler.unlink(missing_ok=True)

    def destroy(self) -> None:
        """Stops the daemon, unmounts what it left mounted and removes every file."""
        self.free_disk()
        self.stop()
        mounts = [
            line.split()[1]
            for line in Path("/proc/self/mounts").read_text().splitlines()
            if line.split()[1].startswith(str(self.root) + "/")
        ]
        for mount in sorted(mounts, key=len, reverse=True):
            subprocess.run(["umount", "-l", mount], capture_output=True, check=False)
        shutil.rmtree(self.root, ignore_errors=True)


def _alive(pid: int) -> bool:
    """Running, not a zombie (nor gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return False
    return "State:\tZ" not in status
