"""The runner's boundary: only the candidate's answer crosses from its process to the host.

The candidate can find its test's reporter (and nonce) in the runner's own frames, so whatever it
can write on the result channel is written here on purpose: a compile error carrying every private
input it saw, reports over the output limit, malformed, out-of-order and duplicated reports, every
field of every report with the wrong type. None may be ACCEPTED, reach the response as anything
but the candidate's answer, or end in INTERNAL_ERROR (nor in a retry on a fresh container). A
batch's per-input CPU limit is enforced from outside its process, and a missing entry point is
the candidate's RUNTIME_ERROR.
"""

from __future__ import annotations

import io
import threading
import time

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from grader.v1 import grader_pb2 as pb
from tests.support.attack_bank import CORRECT_CALL
from tests.support.attacks import FORGER, attack
from tests.support.server import RunningServer

WA, RE, TLE, OLE = pb.WRONG_ANSWER, pb.RUNTIME_ERROR, pb.TIME_LIMIT_EXCEEDED, pb.OUTPUT_LIMIT_EXCEEDED
MARKER = "'MARK' + 'ER-' + hashlib.sha256(s.encode()).hexdigest()[:16]"

# Saves each test's input under /tmp (kept between the tests of one submission); `seen()` is every
# input saved so far.
SAVER = r"""
def save(text):
    with open(f"/tmp/seen-{len(os.listdir('/tmp'))}", "w") as f:
        f.write(text)

def seen():
    return [open(os.path.join("/tmp", n)).read() for n in sorted(os.listdir("/tmp")) if n.startswith("seen-")]
"""


def solution(body: str, prefix: str = "") -> str:
    """A Solution whose marker(s) runs `body` (indented by 8) and returns the right answer."""
    lines = "".join(f"        {line}\n" for line in body.strip("\n").split("\n"))
    return (
        f"{FORGER}{SAVER}{prefix}class Solution:\n    def marker(self, s):\n{lines}        return {MARKER}\n"
    )


class TestForgedCompileError:
    """Finding 1: a forged compile error carrying every private input of the question."""

    def test_stdin(self, target: RunningServer) -> None:
        code = (
            FORGER + SAVER + "line = input()\nsave(line)\n"
            "if len(seen()) == 3:\n    forge(compile_error=' | '.join(seen()))\n"
            "print('MARK' + 'ER-' + hashlib.sha256(line.strip().encode()).hexdigest()[:16])\n"
        )
        response = attack(target, "sec/stdin", code)
        assert response.verdict not in (pb.ACCEPTED, pb.COMPILE_ERROR)
        assert response.compile_output == ""
        assert response.tests[2].verdict == RE

    def test_call(self, target: RunningServer) -> None:
        body = "save(s)\nif len(seen()) == 3:\n    forge(compile_error=' | '.join(seen()))"
        response = attack(target, "sec/call", solution(body))
        assert response.verdict not in (pb.ACCEPTED, pb.COMPILE_ERROR)
        assert response.compile_output == ""
        assert response.tests[2].verdict == RE

    def test_batch(self, target: RunningServer) -> None:
        body = "save(s)\nif len(seen()) == 8:\n    forge(compile_error=' | '.join(seen()))"
        response = attack(target, "sec/batch", solution(body))
        assert response.verdict not in (pb.ACCEPTED, pb.COMPILE_ERROR)
        assert response.compile_output == ""

    def test_real_compile_error_still_found(self, target: RunningServer) -> None:
        response = attack(target, "sec/call", "class Solution:\n    def marker(self, s) return s\n")
        assert response.verdict == pb.COMPILE_ERROR
        assert "SyntaxError" in response.compile_output


# name: (question, code, verdicts it may get)
FORGED: dict[str, tuple[str, str, set[int]]] = {
    # Over the output limit (1 MiB): the result channel is cut there, whatever the nonce.
    "oversized_report": ("sec/call", solution("forge(value=json.dumps('x' * (3 << 20)))"), {OLE}),
    "oversized_answer": (
        "sec/call",
        FORGER + "class Solution:\n    def marker(self, s): return 'x' * (3 << 20)\n",
        {OLE},
    ),
    "oversized_batch_answer": ("sec/batch", solution("forge(i=0, typed=json.dumps('x' * (3 << 20)))"), {OLE}),
    "oversized_line_without_newline": (
        "sec/call",
        solution("raw(b'{\"nonce\": \"{nonce}\", ' + b' ' * (3 << 20))"),
        {OLE},
    ),
    # A second report beside the runner's own: which one is the answer? Neither.
    "duplicated_report": ("sec/call", solution(f"forge(value=json.dumps({MARKER}), typed=None)"), {RE}),
    "duplicated_batch_report": ("sec/batch", solution(f"forge(i=0, typed=json.dumps({MARKER}))"), {RE}),
    "out_of_order_batch_report": ("sec/batch", solution(f"forge(i=7, typed=json.dumps({MARKER}))"), {RE}),
    "forged_fatal": ("sec/batch", solution("forge(fatal='NameError', message='all of them')"), {RE}),
    "passed_on_a_call": ("sec/call", solution("forge(passed=True)"), {RE}),
    "not_json_with_the_nonce": (
        "sec/call",
        solution('raw(b\'{"nonce": "{nonce}", not json\\n\')'),
        {pb.ACCEPTED},
    ),
    "not_an_object_with_the_nonce": ("sec/call", solution("raw(b'[\"{nonce}\"]\\n')"), {pb.ACCEPTED}),
    "report_then_exit": (
        "sec/call",
        solution(f"forge(value=json.dumps({MARKER}), typed=None)\nos._exit(0)"),
        {pb.ACCEPTED},  # its own answer, written through the runner's reporter: it is the answer
    ),
    "batch_report_then_exit": (
        "sec/batch",
        solution(f"forge(i=0, typed=json.dumps({MARKER}))\nos._exit(0)"),
        {RE},  # input 0 answered, then a fresh worker for input 1, which ends without answering
    ),
}

# Every field a report can carry, with values of every wrong type, beside the right answer.
WRONG_VALUES = ("1", "None", "True", "[1]", "{'a': 1}", "'x' * 5000", "1 << 70", "float('nan')")
FIELDS = ("value", "typed", "not_serializable", "exception", "message", "passed", "compile_error",
          "fatal", "i", "nonce_extra")  # fmt: skip


class TestForgedReports:
    """Findings 1 and 6 and the class around them: what the candidate writes on the result
    channel is its answer at most, judged WRONG_ANSWER or RUNTIME_ERROR, never INTERNAL_ERROR."""

    @pytest.mark.parametrize("name", list(FORGED))
    def test_forged(self, target: RunningServer, name: str) -> None:
        question, code, verdicts = FORGED[name]
        response = attack(target, question, code)
        assert response.verdict in verdicts, (pb.Verdict.Name(response.verdict), response.tests[0].detail)

    @pytest.mark.parametrize("question", ["sec/call", "sec/batch"])
    @pytest.mark.parametrize("field", FIELDS)
    def test_every_field(self, target: RunningServer, question: str, field: str) -> None:
        body = "\n".join(f"forge(**{{{field!r}: {value}}})" for value in WRONG_VALUES)
        response = attack(target, question, solution(body))
        assert response.verdict in (WA, RE), (pb.Verdict.Name(response.verdict), response.tests[0].detail)

    def test_forged_report_never_reaches_compile_output(self, target: RunningServer) -> None:
        response = attack(target, "sec/batch", solution("forge(compile_error='mine')"))
        assert response.compile_output == "" and response.verdict != pb.COMPILE_ERROR


class TestBatchLimitsFromOutside:
    """Finding 4: a batch's per-input CPU limit is the supervisor's, not a timer in the candidate's
    own process."""

    def test_disarmed_timer(self, target: RunningServer) -> None:
        body = (
            "import signal, time\nsignal.setitimer(signal.ITIMER_PROF, 0)\n"
            "signal.signal(signal.SIGPROF, signal.SIG_IGN)\n"
            "if s == 'alpha':\n    started = time.process_time()\n"
            "    while time.process_time() - started < 4:\n        pass"
        )
        response = attack(target, "sec/batch", solution(body))
        assert response.verdict == TLE, pb.Verdict.Name(response.verdict)
        assert [t.verdict for t in response.tests] == [pb.ACCEPTED, TLE] + [pb.ACCEPTED] * 6

    def test_every_input_spins(self, target: RunningServer) -> None:
        """Each input killed at its limit, a fresh worker for the next: all TLE, within the
        batch's budget (eight inputs of 1 s and a second)."""
        body = (
            "import time\nstarted = time.process_time()\nwhile time.process_time() - started < 4:\n    pass\n"
        )
        response = attack(target, "sec/batch", solution(body))
        assert {t.verdict for t in response.tests} == {TLE}

    def test_sleeping_input(self, target: RunningServer) -> None:
        response = attack(target, "sec/batch", solution("import time\nif s == 'beta':\n    time.sleep(30)"))
        assert [t.verdict for t in response.tests] == [pb.ACCEPTED] * 2 + [TLE] + [pb.ACCEPTED] * 5


MISSING = (
    "import hashlib\n",
    "def markers(s):\n    return s\n",
    "class Solution:\n    def other(self, s): pass\n",
)


class TestMissingEntryPoint:
    """Finding 7: code without the entry point is RUNTIME_ERROR on the first try, naming it."""

    @pytest.mark.parametrize("question", ["sec/call", "sec/batch"])
    @pytest.mark.parametrize("code", MISSING)
    def test_missing(
        self, target: RunningServer, security_log: io.StringIO, question: str, code: str
    ) -> None:
        before = len(security_log.getvalue())
        response = attack(target, question, code)
        assert response.verdict == RE
        assert "marker" in response.tests[0].detail
        assert all(t.verdict == RE for t in response.tests)
        assert "sandbox_failure" not in security_log.getvalue()[before:], "retried on a fresh container"

    def test_present_after_all(self, target: RunningServer) -> None:
        assert attack(target, "sec/batch", CORRECT_CALL).verdict == pb.ACCEPTED


class TestLargeResultsOffTheLoop:
    """Finding 6: results the size of the output limit are decoded off the event loop, so the
    server answers health checks meanwhile (a forged 40 MiB answer stalled them for 17.9 s)."""

    @pytest.mark.parametrize(
        ("code", "verdict"),
        [
            (solution("forge(value=json.dumps('x' * (40 << 20)))"), OLE),
            (FORGER + "class Solution:\n    def marker(self, s): return 'x' * (15 << 20)\n", WA),
        ],
    )
    def test_health_answers_meanwhile(self, target: RunningServer, code: str, verdict: int) -> None:
        latencies: list[float] = []
        done = threading.Event()

        def poll() -> None:
            with grpc.insecure_channel(target.address) as channel:
                health = health_pb2_grpc.HealthStub(channel)
                while not done.is_set():
                    started = time.monotonic()
                    health.Check(health_pb2.HealthCheckRequest(), timeout=60)
                    latencies.append(time.monotonic() - started)
                    time.sleep(0.02)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            response = attack(target, "sec/big", code)
        finally:
            done.set()
            poller.join()
        assert response.verdict == verdict, pb.Verdict.Name(response.verdict)
        assert latencies and max(latencies) < 1.0, max(latencies)
