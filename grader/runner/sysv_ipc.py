"""The candidate's SysV IPC objects (shared memory, semaphore sets, message queues): finding and
removing them between submissions (standard library only).

Linux lists every object of the container's IPC namespace in /proc/sysvipc. gVisor has no
/proc/sysvipc and no index to walk (its SHM_STAT and MSG_STAT take an id, and its *_INFO counts do
not go down on removal), but it numbers each kind's objects in order, 1, 2, 3, ..., reusing an id
only after 2^31. So every object made since the last clean sweep has an id above that sweep's
mark and below the id of an object made now: the supervisor makes (and at once removes) such a
marker object of each kind, and the ids in between are all that can exist. A range too large to
scan quickly (a candidate that made and removed objects by the hundred thousand) is reported as
unchecked, which makes the reset unclean and retires the container.
"""

from __future__ import annotations

import ctypes
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass

PROC_DIR = "/proc/sysvipc"
IPC_PRIVATE = 0
IPC_CREAT = 0o1000
IPC_RMID = 0
IPC_STAT = 2
SCAN_LIMIT = 16384
"""Most ids of one kind checked in one reset (about 50 µs a call under gVisor's ptrace platform)."""
GONE = (errno.EINVAL, errno.EIDRM)

_libc = ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    make: Callable[[], int]
    """Makes a private object (mode 0600), returning its id or -1."""
    remove: Callable[[int], int]
    stat: Callable[[int, ctypes.Array[ctypes.c_char]], int]


KINDS = (
    Kind(
        "shm",
        lambda: int(_libc.shmget(IPC_PRIVATE, 1, IPC_CREAT | 0o600)),
        lambda ident: int(_libc.shmctl(ident, IPC_RMID, None)),
        lambda ident, buf: int(_libc.shmctl(ident, IPC_STAT, buf)),
    ),
    Kind(
        "sem",
        lambda: int(_libc.semget(IPC_PRIVATE, 1, IPC_CREAT | 0o600)),
        lambda ident: int(_libc.semctl(ident, 0, IPC_RMID)),
        lambda ident, buf: int(_libc.semctl(ident, 0, IPC_STAT, buf)),
    ),
    Kind(
        "msg",
        lambda: int(_libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)),
        lambda ident: int(_libc.msgctl(ident, IPC_RMID, None)),
        lambda ident, buf: int(_libc.msgctl(ident, IPC_STAT, buf)),
    ),
)

_swept: dict[str, int] = {kind.name: 0 for kind in KINDS}
"""gVisor: per kind, the id of the marker of the last clean check: every id up to it is gone."""


def listed() -> bool:
    """True when the kernel lists the objects (Linux); False under gVisor."""
    return os.path.isdir(PROC_DIR)


def _listed_objects() -> list[tuple[Kind, int]]:
    found = []
    for kind in KINDS:
        try:
            with open(os.path.join(PROC_DIR, kind.name)) as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        found += [(kind, int(row.split()[1])) for row in rows]
    return found


def _ids_in_use(kind: Kind) -> range | None:
    """gVisor: the ids an object of this kind may have now; None if no marker can be made."""
    marker = kind.make()
    if marker < 0:
        return None
    kind.remove(marker)
    return range(_swept[kind.name] + 1, marker)


def remaining() -> list[str]:
    """The objects that exist now, as `kind:id` (unreadable ones too); under gVisor also a
    `kind:N ids unchecked` entry for a range too large to scan. Run by the supervisor (root), with
    no candidate process alive, so that nothing new appears meanwhile."""
    if listed():
        return [f"{PROC_DIR}/{kind.name}:{ident}" for kind, ident in _listed_objects()]
    found = []
    buf = ctypes.create_string_buffer(512)
    for kind in KINDS:
        ids = _ids_in_use(kind)
        if ids is None:
            found.append(f"{kind.name}: cannot make a marker (errno {ctypes.get_errno()})")
        elif len(ids) > SCAN_LIMIT:
            found.append(f"{kind.name}: {len(ids)} ids unchecked")
        else:
            left = [i for i in ids if kind.stat(i, buf) == 0 or ctypes.get_errno() not in GONE]
            found += [f"{kind.name}:{i}" for i in left]
            if not left:
                _swept[kind.name] = ids.stop
    return found


def remove_all() -> None:
    """Removes every object the candidate made. Run by the supervisor as the candidate's uid (the
    objects' owner); under gVisor, what lies above the last clean check's marker."""
    if listed():
        for kind, ident in _listed_objects():
            kind.remove(ident)
        return
    for kind in KINDS:
        for ident in (_ids_in_use(kind) or range(0))[:SCAN_LIMIT]:
            kind.remove(ident)
