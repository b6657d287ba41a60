"""LiveBench's harness beside grader: where it is, LiveBench-format rows made from BigCodeBench rows, and
scoring answers with it (`bench/livebench_peer.py` in LiveBench's own virtualenv, never imported here).

Set up once with `bench/setup_livebench.sh`; `LIVEBENCH_SRC` (LiveBench's source tree) and
`LIVEBENCH_PYTHON` (its virtualenv's interpreter) point elsewhere.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.server import DATASETS, REPO, grader_server

BIGCODEBENCH = DATASETS / "bigcodebench" / "BigCodeBench-v0.1.0.jsonl.gz"
DEFAULT_SRC = Path("/work/livebench-src")
DEFAULT_PYTHON = Path("/work/lbvenv/bin/python")
# LiveBench rows carry the reference's time; BigCodeBench rows do not. 17 s gives the 21 s suite limit
# LiveBench intends for a row without it (max(1, 17 + 3) + 1).
EXPECTED_TIME = 17.0
SETUP = "run bench/setup_livebench.sh"


@dataclass(frozen=True)
class Peer:
    src: Path
    python: Path


def find_peer() -> Peer:
    """LiveBench's source and interpreter, or SystemExit saying how to set them up."""
    src = Path(os.environ.get("LIVEBENCH_SRC", DEFAULT_SRC))
    python = Path(os.environ.get("LIVEBENCH_PYTHON", DEFAULT_PYTHON))
    if not (src / "livebench" / "code_runner" / "eval" / "__init__.py").is_file():
        raise SystemExit(f"LiveBench's source is not at {src}: {SETUP} or set LIVEBENCH_SRC")
    if not python.is_file():
        raise SystemExit(f"no LiveBench virtualenv at {python}: {SETUP} or set LIVEBENCH_PYTHON")
    return Peer(src, python)


def bigcodebench_rows() -> list[dict[str, Any]]:
    with gzip.open(BIGCODEBENCH, "rt") as f:
        return [json.loads(line) for line in f]


def question_id(task_id: str, task: str) -> str:
    return hashlib.sha256(f"{task}:{task_id}".encode()).hexdigest()


def completion_prefix(row: dict[str, Any]) -> str:
    """The partial solution of a completion question: the code prompt and the first half of the
    reference's lines, as LiveBench's code_completion rows cut theirs."""
    body = row["canonical_solution"].splitlines(keepends=True)
    return str(row["code_prompt"]) + "".join(body[: len(body) // 2])


def livebench_question(
    row: dict[str, Any], task: str, expected_time: float = EXPECTED_TIME
) -> dict[str, Any]:
    """A LiveBench `code_generation` or `code_completion` question row (grading-semantics.md §1a)."""
    question: dict[str, Any] = {
        "question_id": question_id(row["task_id"], task),
        "category": "coding",
        "task": task,
        "turns": [row["instruct_prompt"]],
        "question_title": row["task_id"],
        "tests": row["test"],
        "entry_point": row["entry_point"],
        "code_prompt": row["code_prompt"],
        "expected_time": expected_time,
        "ground_truth": row["code_prompt"] + row["canonical_solution"],
        "release_date": "2025-04-25",
        "livebench_release_date": "2025-04-25",
        "livebench_removal_date": "",
    }
    if task == "code_completion":
        prefix = completion_prefix(row)
        question["partial_solution"] = prefix
        question["remainder"] = (row["code_prompt"] + row["canonical_solution"])[len(prefix) :]
    return question


def fenced(code: str, prose: str = "Here is the solution.") -> str:
    """A raw model answer: prose, then the code in a ```python block (LiveBench extracts the last)."""
    return f"{prose}\n\n```python\n{code}\n```\n"


def model_answer(question: dict[str, Any], raw: str, model: str) -> dict[str, Any]:
    """A row of a LiveBench model-answer file."""
    return {
        "question_id": question["question_id"],
        "answer_id": hashlib.sha256(f"{model}:{question['question_id']}".encode()).hexdigest()[:22],
        "model_id": model,
        "choices": [{"index": 0, "turns": [raw]}],
        "tstamp": 0.0,
    }


def reap_leftovers(marker: str) -> int:
    """Kills the processes the peer left behind (its children outlive it: a `Manager` server per
    answer, a child whose forged exit it never saw), found by `marker` in their command line."""
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker.encode() in (proc / "cmdline").read_bytes():
                pids.append(int(proc.name))
        except OSError:
            continue
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    return len(pids)


def in_image(image: str, peer: Peer, tmp: str) -> list[str]:
    """The peer's command in a container of `image` (the environment grader grades in): LiveBench's
    source mounted read-only, no network, its work directory mounted for the rows and scores."""
    return ["docker", "run", "--rm", "--network", "none", "--label", "grader.owner=bench",
            "--tmpfs", "/tmp:exec", "-e", "HOME=/tmp", "-e", "PYTHONPATH=/livebench",
            "-v", f"{peer.src}:/livebench:ro", "-v", f"{REPO / 'bench' / 'livebench_peer.py'}:/peer.py:ro",
            "-v", f"{tmp}:{tmp}", "-w", tmp, image, "python3", "/peer.py", "--direct"]  # fmt: skip


def score_with_peer(
    rows: list[dict[str, Any]], parallel: int = 1, image: str = ""
) -> tuple[dict[str, int], float]:
    """LiveBench's score per key of `rows` ({"key", "question", "answer"}), and the wall time; in a
    container of `image` when given, else in LiveBench's virtualenv."""
    peer = find_peer()
    with tempfile.TemporaryDirectory(prefix="livebench-peer-") as tmp:
        given, got = Path(tmp) / "rows.jsonl", Path(tmp) / "scores.jsonl"
        given.write_text("".join(json.dumps(r) + "\n" for r in rows))
        # A forgery's child writes to every fd it inherits, and children the peer leaves behind
        # hold them open: no pipe, stderr goes to a file.
        errors = (Path(tmp) / "stderr").open("wb")
        command = (
            in_image(image, peer, tmp)
            if image
            else [str(peer.python), str(REPO / "bench" / "livebench_peer.py")]
        )
        done = subprocess.run(
            ["nice", *command, str(given), str(got), "--parallel", str(parallel)],
            cwd=tmp, env={**os.environ, "PYTHONPATH": str(peer.src)},
            stdout=subprocess.DEVNULL, stderr=errors,
        )  # fmt: skip
        errors.close()
        left = reap_leftovers(str(given))
        if left:
            print(f"LiveBench's harness left {left} process(es) running (killed)", file=sys.stderr)
        if done.returncode != 0:
            tail = (Path(tmp) / "stderr").read_text(errors="replace")[-3000:]
            raise SystemExit(f"LiveBench's harness failed:\n{tail}")
        lines = [json.loads(line) for line in got.read_text().splitlines()]
    wall = float(lines[-1]["wall_s"])
    return {line["key"]: int(line["score"]) for line in lines[:-1]}, wall


@dataclass(frozen=True)
class Graded:
    score: int  # LiveBench's score, from grader's judgment row
    verdict: str


def score_with_grader(
    questions: list[dict[str, Any]], answers: list[tuple[str, dict[str, Any]]], *flags: str
) -> tuple[dict[str, Graded], float]:
    """grader's score and verdict per key of `answers` ((key, LiveBench model-answer row)): the
    questions built into a bank by `grader bank build`, a `grader serve`, `grader eval
    --livebench-judgments` on the answers; and the wall time of the eval."""
    with tempfile.TemporaryDirectory(prefix="grader-livebench-") as tmp:
        qfile, afile = Path(tmp) / "questions.jsonl", Path(tmp) / "model_answer.jsonl"
        results, judgments = Path(tmp) / "results.jsonl", Path(tmp) / "judgments.jsonl"
        # Without ground_truth: a reference checked at build time would run every suite once more, and
        # one failing there would leave its question out of the bank (scored as not found).
        kept = ({k: v for k, v in q.items() if k != "ground_truth"} for q in questions)
        qfile.write_text("".join(json.dumps(q) + "\n" for q in kept))
        # The key rides in answer_id, which grader keeps in both outputs.
        afile.write_text("".join(json.dumps({**a, "answer_id": key}) + "\n" for key, a in answers))
        bank = Path(tmp) / "bank.db"
        grader = [sys.executable, "-m", "grader.cli"]
        subprocess.run([*grader, "bank", "build", "--out", str(bank), str(qfile)], check=True, cwd=REPO,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        with grader_server(bank, *flags) as (address, _):
            start = time.monotonic()
            subprocess.run(
                [*grader, "eval", "--server", address, str(afile), "--out", str(results),
                 "--livebench-judgments", str(judgments), "--ungraded-score-zero", "--no-progress"],
                check=True, cwd=REPO, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            wall = time.monotonic() - start
        verdicts = {r["answer_id"]: r["verdict"] for r in map(json.loads, results.read_text().splitlines())}
        scores = {r["answer_id"]: r["score"] for r in map(json.loads, judgments.read_text().splitlines())}
    return {key: Graded(int(scores.get(key, 0)), verdicts.get(key, "?")) for key, _ in answers}, wall
