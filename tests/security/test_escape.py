"""Escape: the candidate reaches nothing outside its own unprivileged processes — no engine socket,
no other process's root, environment, memory or descriptors, no writable /sys or /proc/sys, no
mount, trace, device, setuid binary, keyring, namespace or chroot.

Each attack is a probe submission (tests/support/attacks.py's `probe`): it tries everything in its
class and prints SAFE only when every attempt was refused; any other output fails the test and says
what got through.
"""

from __future__ import annotations

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attacks import RUNTIME, probe, probe_detail
from tests.support.server import RunningServer

# Other processes: everything in /proc but this worker and its own threads.
OTHERS = r"""
ME = os.getpid()
OTHERS = [int(p) for p in os.listdir("/proc") if p.isdigit() and int(p) != ME]
assert len(OTHERS) >= 3, OTHERS  # init, the supervisor and the zygotes at least: not blind
"""

ATTACKS = {
    "docker_socket": r"""
import stat
def connect_unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
    finally:
        s.close()
for path in ("/var/run/docker.sock", "/run/docker.sock", "/run/containerd/containerd.sock",
             "/var/run/docker/containerd/containerd.sock", "/run/podman/podman.sock", "/tmp/docker.sock"):
    refused(path, lambda: connect_unix(path))
for port in (2375, 2376):
    refused(f"tcp {port}", lambda: socket.create_connection(("127.0.0.1", port), timeout=1).close())
sockets = []
for top in ("/", ):
    for root, dirs, files in os.walk(top):
        if root in ("/proc", "/sys"):
            dirs[:] = []
            continue
        for name in files:
            try:
                if stat.S_ISSOCK(os.lstat(os.path.join(root, name)).st_mode):
                    sockets.append(os.path.join(root, name))
            except OSError:
                pass
for path in sockets:
    refused(f"socket {path}", lambda: connect_unix(path))
if "DOCKER_HOST" in os.environ:
    BREACHES.append("DOCKER_HOST set")
""",
    "proc_root_and_fds": OTHERS
    + r"""
# gVisor lists other processes' descriptors and namespaces (its own kernel's view); opening one
# is refused all the same, but for a zygote's /dev/null.
GVISOR = RUNTIME != "runc"
for pid in OTHERS:
    refused(f"/proc/{pid}/root", lambda: os.listdir(f"/proc/{pid}/root"))
    refused(f"/proc/{pid}/cwd", lambda: os.listdir(f"/proc/{pid}/cwd"))
    if not GVISOR:
        refused(f"/proc/{pid}/fd", lambda: os.listdir(f"/proc/{pid}/fd"))
        refused(f"/proc/{pid}/map_files", lambda: os.listdir(f"/proc/{pid}/map_files"))
        for ns in ("mnt", "pid", "net", "user"):
            refused(f"/proc/{pid}/ns/{ns}", lambda: os.close(os.open(f"/proc/{pid}/ns/{ns}", os.O_RDONLY)))
    for fd in range(5):  # the supervisor's job channel is its fds 0 and 1
        path = f"/proc/{pid}/fd/{fd}"
        try:
            if GVISOR and os.readlink(path) == "/dev/null":
                continue
        except OSError:
            pass
        refused(f"{path} write", lambda: os.close(os.open(path, os.O_WRONLY)))
        refused(f"{path} read", lambda: os.close(os.open(path, os.O_RDONLY)))
""",
    "proc_environ_and_memory": OTHERS
    + r"""
for pid in OTHERS:
    if RUNTIME == "runc":  # gVisor shows environ and maps (nothing secret is in either)
        refused(f"/proc/{pid}/environ", lambda: open(f"/proc/{pid}/environ", "rb").read())
        refused(f"/proc/{pid}/maps", lambda: open(f"/proc/{pid}/maps", "rb").read(1))
    refused(f"/proc/{pid}/mem", lambda: open(f"/proc/{pid}/mem", "rb").read(1))
    refused(f"/proc/{pid}/stack", lambda: open(f"/proc/{pid}/stack", "rb").read())
    refused(f"/proc/{pid}/oom_score_adj", lambda: write(f"/proc/{pid}/oom_score_adj", "-1000"))
""",
    "sys_and_proc_sys_writes": r"""
targets = ["/proc/sysrq-trigger", "/proc/sys/kernel/core_pattern", "/proc/sys/kernel/modprobe",
           "/proc/sys/vm/drop_caches", "/sys/kernel/uevent_helper", "/sys/power/state",
           "/proc/sys/kernel/hostname", "/proc/self/oom_score_adj-lower"]
for top in ("/sys/fs/cgroup", "/proc/sys", "/sys/kernel", "/sys/class/net"):
    for root, dirs, files in os.walk(top):
        targets += [os.path.join(root, f) for f in files]
assert len(targets) > (500 if RUNTIME == "runc" else 20), len(targets)  # not blind
for path in targets:
    if path.endswith("-lower") and RUNTIME == "runc":  # lowering one's OOM score needs CAP_SYS_RESOURCE
        # Below the supervisor's (0) is refused. Down to 0 is allowed by the kernel (see the
        # README's Security section: not guaranteed); what outlives processes is bounded instead.
        for value in ("-1000", "-1"):
            refused(f"oom_score_adj {value}", lambda: write("/proc/self/oom_score_adj", value))
    if path.endswith("-lower"):  # (gVisor: its own OOM scores, meaningless to the host)
        continue
    # Opening for writing is the test; nothing is ever written.
    refused(f"write {path}", lambda: os.close(os.open(path, os.O_WRONLY)))
for path in ("/proc/kcore", "/proc/kmsg", "/dev/kmsg"):
    refused(f"read {path}", lambda: open(path, "rb").read(1))
with open("/proc/self/mountinfo") as f:
    for line in f:
        fields = line.split()
        read_only = "ro" in fields[5].split(",")
        if fields[4] in ("/", "/sys", "/proc/sys", "/sys/fs/cgroup/memory") and not read_only:
            BREACHES.append(f"{fields[4]} mounted rw")
""",
    "mount_and_namespaces": r"""
MS_BIND, MS_REMOUNT, MNT_DETACH = 4096, 32, 2
refused("mount tmpfs", lambda: libc("mount", b"none", b"/tmp", b"tmpfs", 0, None))
refused("bind mount /", lambda: libc("mount", b"/", b"/tmp", None, MS_BIND, None))
refused("remount / rw", lambda: libc("mount", None, b"/", None, MS_REMOUNT, None))
refused("mount proc", lambda: libc("mount", b"proc", b"/tmp", b"proc", 0, None))
for masked in (b"/proc/keys", b"/proc/timer_list", b"/sys/firmware", b"/proc/sys"):
    refused(f"umount {masked}", lambda: libc("umount2", masked, MNT_DETACH))
# gVisor allows user namespaces (and so the rest) inside its own kernel; runc's seccomp profile
# refuses them.
CLONE = {"user": 0x10000000, "mnt": 0x20000, "net": 0x40000000, "pid": 0x20000000, "ipc": 0x8000000,
         "uts": 0x4000000, "cgroup": 0x2000000}
if RUNTIME != "runc":
    CLONE = {}
for name, flag in CLONE.items():
    refused(f"unshare {name}", lambda: libc("unshare", flag))
for ns in ("mnt", "net", "user", "pid"):
    def enter():
        fd = os.open(f"/proc/1/ns/{ns}", os.O_RDONLY)
        try:
            libc("setns", fd, 0)
        finally:
            os.close(fd)
    refused(f"setns {ns}", enter)
if RUNTIME == "runc":
    refused("chroot", lambda: os.chroot("/tmp"))
refused("pivot_root", lambda: libc("syscall", 155, b"/tmp", b"/tmp"))
""",
    "ptrace_supervisor_and_zygotes": OTHERS
    + r"""
PTRACE_ATTACH, PTRACE_SEIZE = 16, 0x4206
class IOVec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
buf = ctypes.create_string_buffer(64)
local = IOVec(ctypes.cast(buf, ctypes.c_void_p), 64)
for pid in OTHERS:
    refused(f"ptrace attach {pid}", lambda: libc("ptrace", PTRACE_ATTACH, pid, None, None))
    refused(f"ptrace seize {pid}", lambda: libc("ptrace", PTRACE_SEIZE, pid, None, None))
    with open(f"/proc/{pid}/status") as f:  # readable for every process: where the code sits
        status = f.read()
    remote = IOVec(0x400000, 64)
    refused(f"process_vm_readv {pid}",
            lambda: libc("process_vm_readv", pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0))
    refused(f"pidfd_getfd {pid}", lambda: libc("syscall", 438, libc("syscall", 434, pid, 0), 1, 0))
""",
    "devices_and_mknod": r"""
import stat
for kind, major, minor, name in ((stat.S_IFBLK, 8, 0, "sda"), (stat.S_IFBLK, 254, 0, "vda"),
                                 (stat.S_IFCHR, 1, 1, "mem"), (stat.S_IFCHR, 1, 2, "kmem"),
                                 (stat.S_IFCHR, 10, 232, "kvm")):
    for place in ("/tmp", "/dev/shm", "/var/tmp"):
        path = f"{place}/{name}"
        make = lambda: os.mknod(path, kind | 0o666, os.makedev(major, minor))
        if RUNTIME == "runc":  # no CAP_MKNOD
            refused(f"mknod {path}", make)
        else:  # gVisor lets the node be made (in its own kernel, on a nodev tmpfs): opening it fails
            try:
                make()
            except OSError:
                pass
        if os.path.exists(path):
            refused(f"open {path}", lambda: os.close(os.open(path, os.O_RDWR)))
HARMLESS = {(1, 3), (1, 5), (1, 7), (1, 8), (1, 9), (5, 0), (5, 1), (5, 2), (136, None)}
if RUNTIME != "runc":  # gVisor's own FUSE and TUN, inside its kernel
    HARMLESS |= {(10, 229), (10, 200)}
for root, dirs, files in os.walk("/dev"):
    if root in ("/dev/shm", "/dev/mqueue"):  # the nodes made above
        dirs[:] = []
        continue
    for name in files + dirs:
        path = os.path.join(root, name)
        try:
            st = os.lstat(path)
        except OSError:
            continue
        if stat.S_ISBLK(st.st_mode) or stat.S_ISCHR(st.st_mode):
            dev = (os.major(st.st_rdev), os.minor(st.st_rdev))
            if dev not in HARMLESS and (dev[0], None) not in HARMLESS:
                BREACHES.append(f"device {path} {dev}")
for path in ("/dev/mem", "/dev/kmem", "/dev/port", "/dev/sda", "/dev/vda", "/dev/kvm", "/dev/console",
             "/dev/tty") + (("/dev/fuse", "/dev/net/tun") if RUNTIME == "runc" else ()):
    refused(f"open {path}", lambda: os.close(os.open(path, os.O_RDWR)))
""",
    "setuid_binaries_and_privileges": r"""
import stat
found = []
count = 0
for root, dirs, files in os.walk("/"):
    if root in ("/proc", "/sys", "/dev"):
        dirs[:] = []
        continue
    for name in files:
        count += 1
        try:
            mode = os.lstat(os.path.join(root, name)).st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and mode & (stat.S_ISUID | stat.S_ISGID):
            found.append(os.path.join(root, name))
        if stat.S_ISREG(mode) and mode & 0o111:
            try:
                if os.getxattr(os.path.join(root, name), "security.capability"):
                    found.append("caps " + os.path.join(root, name))
            except OSError:
                pass
assert count > 3000, count  # not blind
BREACHES += [f"setuid {p}" for p in found]
refused("setuid(0)", lambda: os.setuid(0))
refused("setgid(0)", lambda: os.setgid(0))
refused("setgroups", lambda: os.setgroups([0]))
refused("setresuid", lambda: os.setresuid(0, 0, 0))
with open("/proc/self/status") as f:
    status = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
for cap in ("CapInh", "CapPrm", "CapEff", "CapAmb"):
    if int(status.get(cap, "0"), 16):
        BREACHES.append(f"{cap} {status[cap]}")
if libc("prctl", 39, 0, 0, 0, 0) != 1:  # PR_GET_NO_NEW_PRIVS (gVisor's status omits the field)
    BREACHES.append("new privileges allowed")
if os.getuid() == 0 or os.geteuid() == 0 or 0 in os.getgroups():
    BREACHES.append("root")
""",
    "keyrings_and_kernel_surface": r"""
SYS = {"add_key": 248, "request_key": 249, "keyctl": 250, "bpf": 321, "perf_event_open": 298,
       "userfaultfd": 323, "kexec_load": 246, "init_module": 175, "finit_module": 313,
       "open_by_handle_at": 304, "iopl": 172, "ioperm": 173, "swapon": 167, "reboot": 169,
       "acct": 163, "settimeofday": 164, "quotactl": 179, "lookup_dcookie": 212}
KEY_SPEC_SESSION_KEYRING, KEY_SPEC_USER_KEYRING = -3, -4
refused("add_key session", lambda: libc("syscall", SYS["add_key"], b"user", b"grader", b"secret", 6,
                                       KEY_SPEC_SESSION_KEYRING))
refused("add_key user", lambda: libc("syscall", SYS["add_key"], b"user", b"grader", b"secret", 6,
                                    KEY_SPEC_USER_KEYRING))
refused("keyctl join", lambda: libc("syscall", SYS["keyctl"], 1, b"grader"))
refused("keyctl get user keyring", lambda: libc("syscall", SYS["keyctl"], 0, KEY_SPEC_USER_KEYRING, 1))
refused("request_key", lambda: libc("syscall", SYS["request_key"], b"user", b"grader", None, 0))
if os.path.exists("/proc/keys"):  # masked by Docker; absent under gVisor
    with open("/proc/keys") as f:
        if f.read().strip():
            BREACHES.append("/proc/keys readable")
refused("bpf", lambda: libc("syscall", SYS["bpf"], 0, None, 0))
ATTR = ctypes.create_string_buffer(128)
refused("perf_event_open", lambda: libc("syscall", SYS["perf_event_open"], ATTR, 0, -1, -1, 0))
refused("userfaultfd", lambda: libc("syscall", SYS["userfaultfd"], 0))
refused("kexec_load", lambda: libc("syscall", SYS["kexec_load"], 0, 0, None, 0))
refused("init_module", lambda: libc("syscall", SYS["init_module"], None, 0, b""))
refused("finit_module", lambda: libc("syscall", SYS["finit_module"], 0, b"", 0))
HANDLE = ctypes.create_string_buffer(64)
refused("open_by_handle_at", lambda: libc("syscall", SYS["open_by_handle_at"], 0, HANDLE, 0))
refused("iopl", lambda: libc("syscall", SYS["iopl"], 3))
refused("ioperm", lambda: libc("syscall", SYS["ioperm"], 0, 1024, 1))
refused("swapon", lambda: libc("syscall", SYS["swapon"], b"/tmp", 0))
refused("reboot", lambda: libc("syscall", SYS["reboot"], 0xfee1dead, 672274793, 0x4321fedc, None))
refused("acct", lambda: libc("syscall", SYS["acct"], b"/tmp/acct"))
refused("settimeofday", lambda: libc("syscall", SYS["settimeofday"], ctypes.create_string_buffer(16), None))
refused("set hostname", lambda: libc("sethostname", b"owned", 5))
""",
}


class TestEscape:
    """Every escape attempt is refused, and the container goes on grading correctly."""

    @pytest.mark.parametrize("name", sorted(ATTACKS))
    def test_refused(self, target: RunningServer, name: str) -> None:
        response = probe(target, f"RUNTIME = {RUNTIME!r}\n" + ATTACKS[name])
        assert response.verdict == pb.ACCEPTED, probe_detail(response)

    def test_seccomp_and_no_new_privileges(self, target: RunningServer) -> None:
        """A seccomp filter is in force: Docker's default profile under runc, gVisor's own (no
        POSIX message queues; applied by runsc's --oci-seccomp) under gVisor."""
        body = r"""
with open("/proc/self/status") as f:
    status = dict(line.split(":\t", 1) for line in f.read().splitlines() if ":\t" in line)
if status.get("Seccomp", "").strip() != "2":
    BREACHES.append("no seccomp filter")
if libc("prctl", 39, 0, 0, 0, 0) != 1:  # PR_GET_NO_NEW_PRIVS
    BREACHES.append("no_new_privs off")
"""
        response = probe(target, f"RUNTIME = {RUNTIME!r}\n" + body)
        assert response.verdict == pb.ACCEPTED, probe_detail(response)

    def test_probe_sees_a_breach(self, target: RunningServer) -> None:
        """The probes are not blind: an attempt that is allowed (writing /tmp) is reported."""
        response = probe(target, 'refused("write /tmp", lambda: open("/tmp/allowed", "w").write("x"))')
        assert response.verdict == pb.WRONG_ANSWER
        assert "BREACH write /tmp" in probe_detail(response)
