"""The long-lived supervisor inside a sandbox container (standard library only).

Runs as root with every capability dropped except SETUID/SETGID, behind no-new-privileges. It
starts the root zygote (child.py, root too), which forks for each submission a zygote that takes
the candidate's uid and forks one worker per test. Nothing that outlives a submission runs as the
candidate's uid, so no candidate process can signal, trace, renice or re-limit it
(docs/security.md). Jobs arrive on stdin, results leave on stdout (see protocol.py); no candidate
process inherits either. Between submissions every candidate process is killed and every
writable place wiped, and the long-lived processes are checked against their standing at start
(standing.py), so a container can serve many submissions with nothing carried from one to the next.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from typing import Any, BinaryIO

from grader.runner import protocol, standing
from grader.runner.batch import BatchWorker, Budget
from grader.runner.candidates import clean_up, kill_candidate_processes, leftovers, oom_kills
from grader.runner.job import Job
from grader.runner.reports import blank_item, blank_result
from grader.runner.suite_worker import SuiteWorker
from grader.runner.worker import Worker
from grader.runner.zygotes import RootZygote, Zygote, ZygoteGone, reap, running

BATCH_REPORT_LIMIT = protocol.BATCH_REPORT_LIMIT


class Supervisor:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.job: Job | None = None
        self.zygote: Zygote | None = None
        self.root: RootZygote | None = None
        self.oom_at_load = 0
        self.worker_ran = False
        """A worker of this submission has run: a submission zygote failing now is the
        candidate's doing (same uid: it can re-limit or signal its zygote)."""
        self.recorded: dict[str, standing.Standing] = {
            "init": standing.standing(1),
            "supervisor": standing.standing(os.getpid()),
        }
        """The long-lived processes' standing at start, by role (the root zygote's: its first)."""

    def root_zygote(self) -> RootZygote:
        if self.root is not None and not self.root.healthy():
            self.root.close()
            self.root = None
            kill_candidate_processes()
            reap()
        if self.root is None:
            self.root = RootZygote()
            self.recorded.setdefault("root zygote", standing.standing(self.root.pid))
        return self.root

    def spared(self) -> set[int]:
        return {z.pid for z in (self.root, self.zygote) if z is not None}

    def send(self, message: dict[str, Any]) -> None:
        self.out.write(protocol.encode(message))
        self.out.flush()

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "submission":
            self.load(message)
        elif kind in ("test", "batch", "suite"):
            if self.job is None:
                self.send({"type": "error", "message": "test before submission"})
                return
            if kind == "test":
                self.send(self.run_test(self.job, int(message["index"]), str(message["input"])))
            elif kind == "suite":
                methods = [str(name) for name in message["methods"]]
                self.send(self.run_suite(self.job, int(message["index"]), methods))
            else:
                inputs = [str(text) for text in message["inputs"]]
                self.send(self.run_batch(self.job, int(message["index"]), inputs))
        elif kind == "reset":
            self.reset()
            left = leftovers(spare=self.spared())
            changed = self.changed()
            clean = not left and not changed
            self.send({"type": "reset_done", "clean": clean, "leftovers": len(left), "changed": changed})
        else:
            self.send({"type": "error", "message": f"unknown message type {kind!r}"})

    def reset(self) -> None:
        self.stop_zygote()
        clean_up(spare={self.root.pid} if self.root else set())
        reap()
        self.job = None

    def changed(self) -> list[str]:
        """What differs in the long-lived processes from their standing at start, as "role
        setting"; a root zygote that is gone is not compared (the next submission starts another)."""
        pids = {"init": 1, "supervisor": os.getpid()}
        if self.root is not None and self.root.healthy():
            pids["root zygote"] = self.root.pid
        return [
            f"{role} {key}"
            for role, pid in pids.items()
            if role in self.recorded
            for key in standing.changes(self.recorded[role], pid)
        ]

    def stop_zygote(self) -> None:
        if self.zygote is not None:
            self.zygote.close()
            self.zygote = None

    def load(self, message: dict[str, Any]) -> None:
        if self.job is not None:  # the host skipped the reset: do it now
            self.reset()
        self.job = Job(message)
        self.oom_at_load = oom_kills()
        self.worker_ran = False
        for name, text in (("suite.py", str(message.get("suite", ""))), ("main.py", message["code"])):
            path = os.path.join(protocol.CODE_DIR, name)
            tmp = path + ".new"
            with open(tmp, "w", encoding="utf-8", errors="surrogatepass") as f:
                f.write(text)
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        self.send({"type": "loaded"})
        try:  # compiling now overlaps with the host sending the first test
            self.ensure_zygote(self.job)
        except ZygoteGone:
            self.stop_zygote()

    def ensure_zygote(self, job: Job) -> Zygote:
        if self.zygote is None:
            try:
                self.zygote = self.root_zygote().spawn(job)
            except ZygoteGone:
                # The root may have been killed by a previous candidate: once more, afresh.
                if self.root is not None:
                    self.root.close()
                self.root = None
                kill_candidate_processes()
                reap()
                self.zygote = self.root_zygote().spawn(job)
        return self.zygote

    def write_input(self, text: str) -> str:
        path = os.path.join(protocol.CODE_DIR, "input")
        with open(path, "w", encoding="utf-8", errors="surrogatepass") as f:
            f.write(text)
        os.chmod(path, 0o644)
        return path

    def zygote_or_error(self, job: Job) -> Zygote | dict[str, Any]:
        try:
            return self.ensure_zygote(job)
        except ZygoteGone as exc:
            self.stop_zygote()
            return self.zygote_failed(f"zygote failed: {exc}")

    def run_test(self, job: Job, index: int, test_input: str) -> dict[str, Any]:
        """One test in a fresh worker: a ResultMessage, or an ErrorMessage (our failure)."""
        input_path = self.write_input(test_input)
        result: dict[str, Any] = {"type": "result", "index": index, **blank_result()}
        zygote = self.zygote_or_error(job)
        if isinstance(zygote, dict):
            return zygote if "message" in zygote else {**result, **zygote}
        if zygote.compile_error is not None:
            return {**result, "compile_error": zygote.compile_error}
        worker = Worker(job, zygote, self.spared())
        failed = self.execute(worker, input_path)
        if failed is not None:
            return failed if "message" in failed else {**result, **failed}
        return {**result, **worker.result}

    def run_batch(self, job: Job, first: int, inputs: list[str]) -> dict[str, Any]:
        """Call inputs, one after another, by workers that each run until an input ends them; every
        input's limits are enforced here (see BatchWorker). A BatchResultMessage with an item per
        input from the first, fewer when the reports filled BATCH_REPORT_LIMIT."""
        result: dict[str, Any] = {"type": "batch_result", "index": first, "compile_error": None, "items": []}
        budget = Budget(job, len(inputs))
        items: list[dict[str, Any]] = result["items"]
        report_bytes = 0
        while len(items) < len(inputs):
            position = len(items)
            if budget.spent():
                # Every input still waiting when the batch's time is spent is over its limit.
                items += [blank_item(timed_out=True) for _ in inputs[position:]]
                break
            lines = "".join(json.dumps([first + n, inputs[n]]) + "\n" for n in range(position, len(inputs)))
            input_path = self.write_input(lines)
            zygote = self.zygote_or_error(job)
            if isinstance(zygote, dict):
                if "message" in zygote:
                    return zygote
                items += [blank_item(**zygote) for _ in inputs[position:]]  # the candidate's memory
                break
            if zygote.compile_error is not None:
                result["compile_error"] = zygote.compile_error
                return result
            room = BATCH_REPORT_LIMIT - report_bytes
            worker = BatchWorker(job, zygote, self.spared(), budget, len(inputs) - position, room)
            failed = self.execute(worker, input_path)
            if failed is not None:
                if "message" in failed:
                    return failed
                worker.items.append(blank_item(**failed))
            items += worker.items
            report_bytes += worker.report_bytes
            if worker.fatal is not None:
                # The worker could not start calling (the code raised, or no entry point): every
                # input left gets what it reported.
                items += [dict(worker.items[-1]) for _ in inputs[len(items) :]]
                break
            if worker.reports_full:
                break
        return result

    def run_suite(self, job: Job, first: int, methods: list[str]) -> dict[str, Any]:
        """The code and its suite in one worker (see SuiteWorker): a SuiteResultMessage with an item
        per method, or an ErrorMessage (our failure)."""
        result: dict[str, Any] = {"type": "suite_result", "index": first, "compile_error": None, "items": []}
        input_path = self.write_input(json.dumps(methods))
        zygote = self.zygote_or_error(job)
        if isinstance(zygote, dict):
            if "message" in zygote:
                return zygote
            result["items"] = [blank_item(**zygote) for _ in methods]  # the candidate's memory
            return result
        if zygote.compile_error is not None:
            return {**result, "compile_error": zygote.compile_error}
        worker = SuiteWorker(job, zygote, self.spared(), len(methods))
        failed = self.execute(worker, input_path)
        if failed is not None:
            if "message" in failed:
                return failed
            worker.items = [blank_item(**failed) for _ in methods]
        result["items"] = worker.items
        return result

    def execute(self, worker: Worker, input_path: str) -> dict[str, Any] | None:
        """Runs one worker and clears what it left; None, or what its zygote's failure to fork it
        makes of the test (see zygote_failed)."""
        by_candidate = self.worker_ran
        worker.execute(input_path)
        self.worker_ran |= worker.pid != 0
        self.after_worker(worker.gone)
        return self.zygote_failed(worker.error, by_candidate) if worker.error else None

    def after_worker(self, zygote_gone: bool) -> None:
        if zygote_gone:
            self.stop_zygote()
            reap()
        # Nothing a test left running sees the next test.
        kill_candidate_processes(spare=self.spared())
        if self.zygote is not None and not running(self.zygote.pid):
            # Stopped by one of the test's processes (same uid) after it reported: of no use to
            # the next test, which would wait for its fork in vain. Nothing of the candidate
            # runs now, so a zygote running at this point stays so.
            self.stop_zygote()
            kill_candidate_processes(spare=self.spared())
            reap()

    def zygote_failed(self, error: str, by_candidate: bool = False) -> dict[str, Any]:
        """A zygote that died is our failure (an ErrorMessage), unless the OOM killer took it during
        this submission: then the candidate's memory did (say, SysV IPC objects that outlive its
        processes), and the verdict is the candidate's (measured fields). `by_candidate`: a
        worker of the submission ran before, and could have made its zygote fail (a soft
        RLIMIT_NPROC of 0, say): a test that ran nothing and reported nothing (RUNTIME_ERROR)."""
        if oom_kills() > self.oom_at_load:
            return {"oom_killed": True}
        if by_candidate:
            return {}
        return {"type": "error", "message": error}


def main() -> None:
    os.umask(0o022)
    supervisor = Supervisor(sys.stdout.buffer)
    supervisor.root_zygote()  # warm before the first job
    supervisor.send(
        {"type": "hello", "protocol": protocol.PROTOCOL_VERSION, "python": platform.python_version()}
    )
    for line in sys.stdin.buffer:
        try:
            message = protocol.decode(line)
        except ValueError as exc:
            supervisor.send({"type": "error", "message": f"bad message: {exc}"})
            continue
        supervisor.handle(message)
    supervisor.reset()


if __name__ == "__main__":
    main()
