"""How a sandbox container is started: the engine's settings and the `docker run` command line.

Every limit the candidate cannot lift from inside is set here, before its first instruction runs.
"""

from __future__ import annotations

from dataclasses import dataclass

from grader.runner import protocol
from grader.sandbox import limits as arithmetic
from grader.sandbox.runtimes import limit_args, security_args

LABEL = "grader.sandbox"
OWNER_LABEL = "grader.owner"


@dataclass(frozen=True, slots=True)
class DockerSettings:
    """How sandbox containers are started. Every field is a server setting."""

    image: str = "grader-sandbox-python:latest"
    runtime: str = "runc"
    docker_cli: str = "docker"
    docker_host: str = ""
    """The engine to use (`unix:///path/docker.sock`, `tcp://host:2375`); empty: the CLI's own
    default (`DOCKER_HOST`, then the local socket)."""
    cpus: float = 1.0
    pids_limit: int = 64
    tmpfs_mb: int = 64
    memory_headroom_mb: int = 64
    """Added to a question's memory limit for the supervisor and the test input; a candidate
    using more than the question's limit is judged MEMORY_LIMIT_EXCEEDED all the same."""
    wall_factor: float = 2.0
    wall_extra_s: float = 2.0
    """Wall-clock backstop per test: time limit x wall_factor + wall_extra_s (limits.backstop_s)."""
    start_timeout_s: float = 60.0
    owner: str = ""
    """Labels this server's containers, so that at start it removes only its own leftovers and
    never those of another server sharing the engine. Empty: the host name and port."""


def docker_command(settings: DockerSettings) -> list[str]:
    """The CLI and the engine it talks to, before any subcommand."""
    if settings.docker_host:
        return [settings.docker_cli, "--host", settings.docker_host]
    return [settings.docker_cli]


def container_args(settings: DockerSettings, memory_limit_mb: int, name: str) -> list[str]:
    """The `docker run` command line of a sandbox container for programs of up to this memory."""
    memory_mb = arithmetic.container_memory_mb(memory_limit_mb, settings.memory_headroom_mb)
    tmpfs = "rw,nosuid,nodev,noexec"
    return [
        *docker_command(settings), "run", "-i", "--rm", "--init",
        "--name", name,
        "--label", f"{LABEL}=1",
        "--label", f"{OWNER_LABEL}={settings.owner}",
        "--runtime", settings.runtime,
        "--network", "none",
        *limit_args(settings.runtime, memory_mb, settings.pids_limit),
        "--cpus", str(settings.cpus),
        "--read-only",
        "--tmpfs", f"{protocol.WORK_DIR}:{tmpfs},size={settings.tmpfs_mb}m,mode=1777",
        "--tmpfs", f"/var/tmp:{tmpfs},size=1m,mode=1777",
        "--tmpfs", f"/dev/shm:{tmpfs},size={settings.tmpfs_mb}m,mode=1777",
        "--tmpfs", f"{protocol.CODE_DIR}:rw,nosuid,nodev,noexec,size={memory_limit_mb}m,mode=755",
        "--cap-drop", "ALL", "--cap-add", "SETUID", "--cap-add", "SETGID",
        "--security-opt", "no-new-privileges",
        *security_args(settings.runtime),
        "--ulimit", "nofile=1024:1024",
        *ipc_limit_args(settings.tmpfs_mb),
        "--log-driver", "none",
        settings.image,
    ]  # fmt: skip


def ipc_limit_args(tmpfs_mb: int) -> list[str]:
    """Bounds the container's SysV shared memory like /dev/shm, and its message queues to a few.

    Their memory outlives the processes that made it, is nobody's RSS, and the kernel's defaults
    allow more than any container's memory: unbounded, a candidate fills the cgroup with it and
    the OOM killer takes the zygotes along with the candidate, so the submission would end in
    INTERNAL_ERROR (the shm and msg bombs in tests/security/test_exhaustion.py). These sysctls are
    namespaced by the container's own IPC namespace (gVisor accepts and ignores them; its IPC
    memory stays inside the sandbox)."""
    return [
        "--sysctl", f"kernel.shmmax={arithmetic.shm_max_bytes(tmpfs_mb)}",
        "--sysctl", f"kernel.shmall={arithmetic.shm_all_pages(tmpfs_mb)}",
        "--sysctl", "kernel.msgmni=32",
        "--sysctl", "kernel.msgmnb=16384",
    ]  # fmt: skip
