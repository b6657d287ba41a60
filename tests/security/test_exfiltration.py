"""Exfiltration of hidden tests: no private expected output is reachable from inside the sandbox —
not in any file, environment, process argument or memory the candidate can read, nor in its own
interpreter's objects — and none, nor any private input, is in a response, an error or a log line.

The private expected outputs are MARKER- + 16 hex digits (see conftest). The attack searches for
that pattern everywhere it can reach and answers with what it found: were an expected output
anywhere, the private test would be ACCEPTED. Its public test's detail carries what it scanned,
which shows that the search was not blind.
"""

from __future__ import annotations

import io
import re

import pytest

from grader.v1 import grader_pb2 as pb
from tests.integration.conftest import RunningServer, grade
from tests.security.conftest import (
    CORRECT_CALL,
    CORRECT_STDIN,
    SECRET_INPUTS,
    SECRET_PATTERN,
    SECRETS,
    assert_no_secret,
    attack,
)

# scan() -> a line: the first marker found, else what was searched.
SCAN = f"""
import gc, os, re, sys
PATTERN = re.compile({SECRET_PATTERN})
"""
SCAN += r"""
def scan():
    found, files, procs, objects = [], 0, 0, 0
    def look(data, where):
        if isinstance(data, str):
            data = data.encode("utf-8", "replace")
        for match in PATTERN.findall(data):
            found.append(match.decode())
    for top in ("/",):
        for root, dirs, names in os.walk(top):
            # /usr: the image's files, on a read-only root (test_persistence finds nothing
            # writable outside the tmpfs places); reading them all would take seconds.
            if root in ("/proc", "/sys", "/usr"):
                dirs[:] = []
                continue
            for name in names:
                path = os.path.join(root, name)
                try:
                    if not os.path.isfile(path) or os.path.getsize(path) > 4 << 20:
                        continue
                    with open(path, "rb") as f:
                        look(f.read(), path)
                    files += 1
                except OSError:
                    pass
    for pid in filter(str.isdigit, os.listdir("/proc")):
        procs += 1
        for part in ("cmdline", "environ", "comm", "status", "stat", "mounts", "maps", "mem", "fd/0"):
            try:
                with open(f"/proc/{pid}/{part}", "rb") as f:
                    look(f.read(1 << 20), f"/proc/{pid}/{part}")
            except (OSError, ValueError):
                pass
    for fd in os.listdir("/proc/self/fd"):
        try:
            look(os.pread(int(fd), 1 << 20, 0), f"fd {fd}")
        except OSError:
            pass
    look(repr(dict(os.environ)), "environ")
    for obj in gc.get_objects():
        objects += 1
        if isinstance(obj, (str, bytes)):
            look(obj, "object")
        elif isinstance(obj, dict):
            for value in list(obj.values()):
                if isinstance(value, (str, bytes)):
                    look(value, "dict")
    frame = sys._getframe()
    while frame:
        for value in list(frame.f_locals.values()) + list(frame.f_globals.values()):
            if isinstance(value, (str, bytes)):
                look(value, "frame")
            elif callable(value) and getattr(value, "__closure__", None):
                for cell in value.__closure__:
                    try:
                        if isinstance(cell.cell_contents, (str, bytes)):
                            look(cell.cell_contents, "closure")
                    except ValueError:
                        pass
        frame = frame.f_back
    if found:
        return found[0]
    return f"nothing in {files} files, {procs} processes, {objects} objects"
"""

SCAN_STDIN = SCAN + "input()\nprint(scan())\n"
SCAN_CALL = SCAN + "class Solution:\n    def marker(self, s):\n        return scan()\n"


def scanned(detail: str) -> tuple[int, int, int]:
    match = re.search(r"nothing in (\d+) files, (\d+) processes, (\d+) objects", detail)
    assert match, detail
    files, procs, objects = (int(g) for g in match.groups())
    return files, procs, objects


class TestNoExpectedOutputInTheSandbox:
    """The attack searches everything it can reach, finds nothing, and is not ACCEPTED."""

    def test_stdin_search(self, target: RunningServer) -> None:
        grade(target.stub, "sec/stdin", CORRECT_STDIN)  # the secrets have just passed through
        response = attack(target, "sec/stdin", SCAN_STDIN)
        assert [t.verdict for t in response.tests] == [pb.WRONG_ANSWER] * 3
        files, procs, objects = scanned(response.tests[0].detail)
        assert files > 20 and procs >= 5 and objects > 10_000

    def test_call_search(self, target: RunningServer) -> None:
        grade(target.stub, "sec/call", CORRECT_CALL)
        response = attack(target, "sec/call", SCAN_CALL)
        assert [t.verdict for t in response.tests] == [pb.WRONG_ANSWER] * 3
        files, procs, objects = scanned(response.tests[0].detail)
        assert files > 20 and procs >= 5 and objects > 10_000

    def test_search_finds_a_planted_marker(self, target: RunningServer) -> None:
        """The search is not blind: a marker the attack itself hid in /tmp is found."""
        plant = "with open('/tmp/planted', 'w') as f:\n    f.write('MARK' + 'ER-' + 'f' * 16)\n"
        response = attack(target, "sec/stdin", plant + SCAN_STDIN)
        assert "ER-ffffffffffffffff" in response.tests[0].detail


class TestNothingInResponsesOrLogs:
    """Private inputs and expected outputs appear in no response and no log line."""

    LEAKY = (
        "print(input())\n",  # echoes the private input
        "import sys\nraise ValueError(sys.stdin.read())\n",  # the input in an exception message
        "import sys\nsys.stderr.write(sys.stdin.read() * 100)\nraise SystemExit(3)\n",  # and on stderr
        CORRECT_STDIN.replace("print(", "raise ValueError("),  # the expected output, in a crash
        "print(1 +\n",  # does not compile
    )

    @pytest.mark.parametrize("code", LEAKY)
    def test_not_in_responses(self, target: RunningServer, code: str) -> None:
        response = attack(target, "sec/stdin", code)
        assert response.verdict != pb.ACCEPTED
        assert all(t.detail == "" for t in response.tests if not t.public)

    def test_call_exception_with_the_answer(self, target: RunningServer) -> None:
        code = CORRECT_CALL.replace("return ", "raise ValueError(") + ")\n"
        response = attack(target, "sec/call", code.replace("[:16]\n)", "[:16])"))
        assert response.verdict == pb.RUNTIME_ERROR
        assert_no_secret(response)

    def test_not_in_logs(self, target: RunningServer, security_log: io.StringIO) -> None:
        """Checked after the suite's gradings so far, right ones included (their stdout held the
        secrets)."""
        grade(target.stub, "sec/stdin", CORRECT_STDIN)
        grade(target.stub, "sec/call", CORRECT_CALL)
        text = security_log.getvalue()
        assert '"event": "graded"' in text  # the capture works
        for secret in (*SECRETS, *(t.strip() for t in SECRET_INPUTS)):
            assert secret not in text
