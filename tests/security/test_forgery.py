"""Forging a pass: a WRONG answer dressed up with every trick that might make the runner or the
judge take it for a right one. None is ACCEPTED.

A stdin answer is judged only on its stdout and a zero exit; a call only on the value the runner
itself encoded and sent on the result channel with the test's nonce. The judge compares outside
the sandbox, so even a forged report with the real nonce carries only what the candidate knows.
"""

from __future__ import annotations

import pytest

from grader.v1 import grader_pb2 as pb
from tests.support.attacks import attack, probe, probe_detail
from tests.support.server import RunningServer

WA, RE, TLE = pb.WRONG_ANSWER, pb.RUNTIME_ERROR, pb.TIME_LIMIT_EXCEEDED
WRONG = "'MARK' + 'ER-0000000000000000'"

STDIN: dict[str, tuple[str, set[int]]] = {
    "exit_zero_after_wrong_output": (f"import os\nprint({WRONG}, flush=True)\nos._exit(0)\n", {WA}),
    "system_exit_zero": (f"print({WRONG})\nraise SystemExit(0)\n", {WA}),
    "keyboard_interrupt": (f"print({WRONG})\nraise KeyboardInterrupt\n", {WA, RE}),
    "excepthook_exits_zero": (
        f"import os, sys\nsys.excepthook = lambda *a: os._exit(0)\nprint({WRONG}, flush=True)\n"
        "raise ValueError('boom')\n",
        {RE},
    ),
    "atexit_exits_zero": (
        f"import atexit, os\natexit.register(lambda: os._exit(0))\nprint({WRONG})\nraise ValueError\n",
        {RE},
    ),
    "thread_exits_zero": (
        "import os, threading, time\n"
        f"print({WRONG}, flush=True)\n"
        "threading.Thread(target=lambda: os._exit(0)).start()\n"
        "time.sleep(5)\nraise ValueError\n",
        {WA},
    ),
    "printed_markers": (
        'print(\'{"type": "result", "index": 0, "exit_code": 0, "report": {"passed": true}}\')\n'
        'print(\'{"passed": true, "value": "\\\\"x\\\\"", "nonce": "00"}\')\nprint("ACCEPTED")\n',
        {WA},
    ),
    "writes_to_the_result_channel": (
        "import os\nfor fd in range(3, 20):\n    try:\n"
        '        os.write(fd, b\'{"passed": true, "value": "1", "nonce": "0"}\\n\')\n'
        "    except OSError:\n        pass\n"
        f"print({WRONG})\n",
        {WA},
    ),
    "stops_its_zygote": (
        f"import os, signal\nprint({WRONG}, flush=True)\nos.kill(os.getppid(), signal.SIGSTOP)\n",
        {TLE},
    ),
    "kills_every_process_it_can": (f"import os\nprint({WRONG}, flush=True)\nos.kill(-1, 9)\n", {RE, WA}),
}

# A Solution whose marker() is wrong; each body adds a trick around or inside it.
CALL: dict[str, tuple[str, set[int]]] = {
    "rigged_eq_object": (
        "class Liar:\n    def __eq__(self, other): return True\n    def __ne__(self, other): return False\n"
        "    def __hash__(self): return 0\n    def __str__(self): return 'MARK' + 'ER-0'\n"
        "    __repr__ = __str__\n"
        "class Solution:\n    def marker(self, s): return Liar()\n",
        {WA},
    ),
    "rigged_str_subclass": (
        "class Liar(str):\n    def __eq__(self, other): return True\n    def __hash__(self): return 0\n"
        "class Solution:\n    def marker(self, s): return Liar('wrong')\n",
        {WA},
    ),
    "forged_report_without_nonce": (
        "import os\nclass Solution:\n    def marker(self, s):\n"
        '        os.write(3, b\'{"value": "\\\\"x\\\\""}\\n{"passed": true}\\n\')\n'
        "        return 'wrong'\n",
        {WA},
    ),
    "forged_report_with_the_nonce_from_the_frames": (
        "import os, sys\nclass Solution:\n    def marker(self, s):\n"
        "        frame, report = sys._getframe(), None\n"
        "        while frame and report is None:\n"
        "            report = frame.f_locals.get('report')\n"
        "            frame = frame.f_back\n"
        "        assert report is not None, 'no reporter reachable'\n"
        "        report(value='\"' + 'MARK' + 'ER-0000000000000000' + '\"', passed=True)\n"
        "        return 'wrong'\n",
        {WA, RE},  # RE: two results for one test (its forged one and the runner's)
    ),
    "monkeypatched_encoders": (
        "import builtins, json, os\n"
        "json.dumps = lambda *a, **k: '\"' + 'MARK' + 'ER-0000000000000000' + '\"'\n"
        "json._default_encoder.encode = json.dumps\n"
        "os.write = lambda fd, data: len(data)\n"
        "builtins.isinstance = lambda *a: True\n"
        "class Solution:\n    def marker(self, s): return 'wrong'\n",
        {WA, RE},  # RE: the patched isinstance breaks the runner's own encoding, in this process
    ),
    "system_exit_in_the_call": ("class Solution:\n    def marker(self, s): raise SystemExit(0)\n", {RE}),
    "keyboard_interrupt_in_the_call": (
        "class Solution:\n    def marker(self, s): raise KeyboardInterrupt\n",
        {RE},
    ),
    "os_exit_zero_in_the_call": (
        "import os\nclass Solution:\n    def marker(self, s):\n"
        "        print('MARK' + 'ER-0')\n        os._exit(0)\n",
        {RE},
    ),
    "thread_exits_zero_in_the_call": (
        "import os, threading, time\nclass Solution:\n    def marker(self, s):\n"
        "        threading.Thread(target=lambda: os._exit(0)).start()\n        time.sleep(5)\n",
        {RE},
    ),
    "atexit_in_the_call": (
        "import atexit, os\nclass Solution:\n    def marker(self, s):\n"
        '        atexit.register(lambda: os.write(3, b\'{"value": "1"}\\n\'))\n        raise ValueError\n',
        {RE},
    ),
    "prints_the_answer_returns_nothing": (
        "class Solution:\n    def marker(self, s):\n"
        "        print('\"' + 'MARK' + 'ER-0000000000000000' + '\"')\n",
        {WA},
    ),
}


class TestForgedPasses:
    """A wrong answer is never ACCEPTED, whatever it does to the runner; the next right one is."""

    @pytest.mark.parametrize("name", list(STDIN))
    def test_stdin(self, target: RunningServer, name: str) -> None:
        code, verdicts = STDIN[name]
        response = attack(target, "sec/stdin", code, stop_on_first_failure=True)
        assert response.verdict in verdicts, (pb.Verdict.Name(response.verdict), response.tests[0].detail)

    @pytest.mark.parametrize("name", list(CALL))
    def test_call(self, target: RunningServer, name: str) -> None:
        code, verdicts = CALL[name]
        response = attack(target, "sec/call", code, stop_on_first_failure=True)
        assert response.verdict in verdicts, (pb.Verdict.Name(response.verdict), response.tests[0].detail)

    def test_supervisor_cannot_be_signalled(self, target: RunningServer) -> None:
        """Killing or stopping the supervisor, the container's init or any root process is refused."""
        body = r"""
import signal
roots = []
for pid in filter(str.isdigit, os.listdir("/proc")):
    with open(f"/proc/{pid}/status") as f:
        if next(line for line in f if line.startswith("Uid:")).split()[1] == "0":
            roots.append(int(pid))
assert 1 in roots and len(roots) >= 2, roots  # init and the supervisor: not blind
for pid in roots:
    for sig in (signal.SIGSTOP, signal.SIGKILL, signal.SIGTERM, signal.SIGSEGV):
        refused(f"signal {sig} to {pid}", lambda: os.kill(pid, sig))
    refused(f"pidfd signal {pid}", lambda: signal.pidfd_send_signal(os.pidfd_open(pid), signal.SIGKILL))
"""
        response = probe(target, body)
        assert response.verdict == pb.ACCEPTED, probe_detail(response)


class TestBatchedCrashIsTheCandidates:
    """A batched (EvalPlus) program that fails before its first call (at import, or with no entry
    point) gets RUNTIME_ERROR: never INTERNAL_ERROR, which blames the service and made the server
    retry the submission on fresh containers."""

    CRASHES = ("raise ValueError('at import')\n", "import sys\nsys.exit(0)\n", "def other(s):\n    pass\n")

    @pytest.mark.parametrize("code", CRASHES)
    def test_runtime_error(self, target: RunningServer, code: str) -> None:
        response = attack(target, "sec/batched", code)
        assert response.verdict == pb.RUNTIME_ERROR, [pb.Verdict.Name(t.verdict) for t in response.tests]
