"""Exfiltration of hidden tests: no private expected output is reachable from inside the sandbox —
not in any file, environment, process argument or memory the candidate can read, nor in its own
interpreter's objects — and none, nor any private input, is in a response, an error or a log line.

The private expected outputs are MARKER- + 16 hex digits (tests/support/attack_bank.py). The attack
searches for that pattern everywhere it can reach and answers with what it found: were an expected
output anywhere, the private test would be ACCEPTED. Its public test's detail carries what it scanned,
which shows that the search was not blind.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from grader.sandbox.pool import PoolSettings
from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_CALL, CORRECT_STDIN, SECRET_INPUTS, SECRET_PATTERN, SECRETS
from tests.support.attacks import RUNTIME, assert_no_secret, attack
from tests.support.server import RunningServer, docker_settings, grade, require_docker, start_server

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


# Allocates and spins in proportion to the seventh character of its input ("zebra-one": o, "zebra-two":
# t), so a private test's peak memory or CPU time would spell it out.
SIDE_CHANNEL = (
    "import sys, time\nline = sys.stdin.read()\nunits = max(0, ord(line[6]) - 96) if len(line) > 6 else 0\n"
    "block = bytearray(units * (4 << 20))\nblock[::4096] = b'1' * len(block[::4096])\n"
    "stop = time.process_time() + units * 0.01\nwhile time.process_time() < stop:\n    pass\n"
    "print('nothing to see')\n"
)


def private_figures(response: pb.GradeResponse) -> list[tuple[float, float, int]]:
    return [(t.wall_time_ms, t.cpu_time_ms, t.peak_memory_kb) for t in response.tests if not t.public]


class TestPrivateTestFigures:
    """A private test's times and memory are a side channel on its input: by default its result
    carries its verdict alone; `--private-test-metrics exact` is the operator's choice."""

    def test_zero_by_default(self, target: RunningServer) -> None:
        response = attack(target, "sec/stdin", SIDE_CHANNEL)
        assert response.verdict == pb.WRONG_ANSWER
        assert [t.verdict for t in response.tests] == [pb.WRONG_ANSWER] * 3
        public = response.tests[0]
        assert public.public and public.peak_memory_kb > 1000 and public.cpu_time_ms > 0
        assert private_figures(response) == [(0, 0, 0)] * len(SECRET_INPUTS)

    def test_exact_when_the_operator_asks(self, secure_bank: Path) -> None:
        """The channel is real: with exact figures the two private inputs (o and t) tell apart."""
        require_docker()
        server = start_server(
            secure_bank,
            docker=docker_settings(runtime=RUNTIME, wall_extra_s=1.0),
            pool=PoolSettings(size=1, max_uses=10_000, memory_limit_mb=256),
            max_concurrent=1,
            private_test_metrics=True,
        )
        try:
            response = grade(server.stub, "sec/stdin", SIDE_CHANNEL)
        finally:
            server.stop()
        assert_no_secret(response)
        (_, _, memory_o), (_, _, memory_t) = private_figures(response)
        assert all(all(figures) for figures in private_figures(response))
        # 't' - 'o' = 5 units of 4 MiB: the memory says which input is which.
        assert 15 * 1024 < memory_t - memory_o < 25 * 1024, (memory_o, memory_t)


# Batched questions (EvalPlus) call the entry point once per input in one process: the inputs of
# the batch are in the candidate's memory (the runner's frames) while it answers the public one.
FIND_INPUTS = """
import sys
def batch_inputs():
    frame = sys._getframe(1)
    while frame is not None:
        if isinstance(frame.f_locals.get('inputs'), list):
            return frame.f_locals['inputs']
        frame = frame.f_back
    return []
"""
BATCHED_ATTACKS = {
    # The public test's answer (shown in its detail) is every input of the batch.
    "inputs_in_the_public_answer": FIND_INPUTS + "def marker(s):\n    return repr(batch_inputs())\n",
    # The public test's peak memory is the process's: allocate in proportion to a private input.
    "inputs_in_the_public_memory": FIND_INPUTS + "def marker(s):\n    inputs = batch_inputs()\n"
    "    units = ord(inputs[-1][7]) - 96 if len(inputs) > 1 else 0\n"
    "    global keep\n    keep = bytearray(units * (4 << 20))\n    keep[::4096] = b'1' * len(keep[::4096])\n"
    "    return 'x'\n",
}


class TestBatchedInputs:
    """A public test never shares its process with a private one, so nothing the candidate shows
    about it (its answer in the detail, its figures) can carry a private input."""

    @pytest.mark.parametrize("name", list(BATCHED_ATTACKS))
    def test_public_test_runs_alone(self, target: RunningServer, name: str) -> None:
        response = attack(target, "sec/batched", BATCHED_ATTACKS[name])
        public = response.tests[0]
        assert public.public and response.verdict == pb.WRONG_ANSWER
        assert "zebra" not in public.detail, public.detail
        # What the public process could see: its own input only ('t' of zebra-two would be 80 MiB).
        assert public.peak_memory_kb < 60 * 1024, public.peak_memory_kb

    def test_the_search_is_not_blind(self, target: RunningServer) -> None:
        response = attack(target, "sec/batched", BATCHED_ATTACKS["inputs_in_the_public_answer"])
        assert "public-key" in response.tests[0].detail
