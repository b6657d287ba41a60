"""How a sandbox's memory and process limits are set under each container runtime: runc, or
gVisor's runsc.

Under runc the candidate's processes are host processes: the container's memory cgroup OOM-kills
the candidate (its oom_score_adj is 1000) at the limit, and `--pids-limit` counts exactly the
container's processes. Under gVisor they live inside the sandbox's own kernel (the Sentry), and
the host's cgroups see only the Sentry and its helpers:

* Memory: the host limit covers the Sentry too (about 70-130 MiB measured), and when it is reached
  the host kills the Sentry, i.e. the whole sandbox, not the candidate: a memory-hungry program
  would be an INTERNAL_ERROR, not MEMORY_LIMIT_EXCEEDED. So the host limit gets room for the
  Sentry, and the supervisor stands in for the OOM killer: it watches the sandbox's memory in use
  (gVisor's /proc/meminfo) and kills the candidate at the same budget runc's cgroup would have.
* Processes: the host's pids cgroup counts the Sentry's threads (about 40 for an idle sandbox, 5-7
  more per guest process on the ptrace platform): a limit of 64 there kills the sandbox before its
  supervisor answers, and one that is reached makes the Sentry fail to create a thread and die.
  So the candidate's limit is enforced inside the sandbox, as `RLIMIT_NPROC` of the candidate's
  uid, which gVisor counts per sandbox (under runc it would count the same uid across every
  container on the host, so it is not used there); the host's `--pids-limit` stays as a backstop
  sized for the Sentry's threads.

The supervisor learns both from the container's environment (`protocol.MEMORY_BUDGET_ENV`,
`protocol.NPROC_LIMIT_ENV`); neither is set under runc.

* POSIX message queues: this runsc mounts no /dev/mqueue, so the reset between submissions could
  neither list nor remove a queue, and one submission's queue would reach the next in a pooled
  container. Under gVisor the container gets a seccomp profile of its own
  (`GVISOR_SECCOMP_PROFILE`): everything is allowed (gVisor's kernel is the syscall boundary) but
  the mq_* syscalls, which fail with EPERM. runsc applies a container's profile only when it is
  registered with `--oci-seccomp` (scripts/ensure_docker.sh does so). Under runc Docker's default
  profile stays, and the supervisor wipes /dev/mqueue.
"""

from __future__ import annotations

from pathlib import Path

from grader.runner import protocol

GVISOR_PREFIX = "runsc"
GVISOR_SENTRY_MB = 256
"""Host memory added for the Sentry and gofer above the candidate's budget (70-130 MiB measured)."""
GVISOR_HOST_TASKS = 512
GVISOR_HOST_TASKS_PER_PROCESS = 32
"""The host's pids backstop: about 40 tasks are measured for an idle sandbox and 5-7 per live
guest process, but a fork bomb's churn leaves the ptrace platform's stub threads behind (hundreds
a second): the backstop ends such a sandbox, which is then an INTERNAL_ERROR, never a verdict."""
GVISOR_SECCOMP_PROFILE = Path(__file__).with_name("gvisor-seccomp.json")
"""Refuses the POSIX message-queue syscalls, allows the rest; the docker CLI reads the file."""


def is_gvisor(runtime: str) -> bool:
    """True for gVisor runtimes (`runsc`, `runsc-kvm`, ... as registered with the engine)."""
    return runtime.startswith(GVISOR_PREFIX)


def limit_args(runtime: str, memory_mb: int, pids_limit: int) -> list[str]:
    """The `docker run` arguments that bound the sandbox's memory (the candidate's budget, with
    the supervisor: the question's limit plus headroom) and its processes."""
    if not is_gvisor(runtime):
        return [
            "--memory", f"{memory_mb}m", "--memory-swap", f"{memory_mb}m",
            "--pids-limit", str(pids_limit),
        ]  # fmt: skip
    host_mb = memory_mb + GVISOR_SENTRY_MB
    host_tasks = GVISOR_HOST_TASKS + GVISOR_HOST_TASKS_PER_PROCESS * pids_limit
    return [
        "--memory", f"{host_mb}m", "--memory-swap", f"{host_mb}m",
        "--pids-limit", str(host_tasks),
        "--env", f"{protocol.MEMORY_BUDGET_ENV}={memory_mb * 1024}",
        "--env", f"{protocol.NPROC_LIMIT_ENV}={pids_limit}",
    ]  # fmt: skip


def security_args(runtime: str) -> list[str]:
    """The `docker run` arguments for the runtime's seccomp profile: gVisor's own (no POSIX
    message queues); none under runc, which keeps Docker's default profile."""
    if not is_gvisor(runtime):
        return []
    return ["--security-opt", f"seccomp={GVISOR_SECCOMP_PROFILE}"]
