"""How LiveBench's own harness and grader score the forged passes of bench/forgeries.py.

Each forgery (a WRONG function plus one trick) is a LiveBench code_generation answer to each task of
`forgeries.TASKS`, scored by LiveBench's `code_generation_process_results` (its `untrusted_check`)
from its repository in its own virtualenv, and by grader (`grader bank build`, `grader serve`,
`grader eval --livebench-judgments`). The task's reference is the control row: both must score it 1.
Prints a table: forgery | LiveBench score | grader verdict (score), per task when they differ.

    .venv/bin/python -m bench.livebench_forgeries [--no-grader] [--runtime runsc]
"""

from __future__ import annotations

import argparse
from typing import Any

from bench.forgeries import FORGERIES, TASKS, answer
from bench.livebench_harness import (
    Graded,
    bigcodebench_rows,
    fenced,
    livebench_question,
    model_answer,
    score_with_grader,
    score_with_peer,
)

REFERENCE = "reference"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--no-grader", action="store_true", help="LiveBench's column only")
    parser.add_argument("--runtime", default="runc")
    args = parser.parse_args()

    rows = {r["task_id"]: r for r in bigcodebench_rows()}
    questions = [livebench_question(rows[t], "code_generation") for t in TASKS]
    names = [REFERENCE, *(f.name for f in FORGERIES)]
    peer_rows: list[dict[str, Any]] = []
    answers: list[tuple[str, dict[str, Any]]] = []
    for task, question in zip(TASKS, questions, strict=True):
        row = rows[task]
        for name in names:
            code = row["code_prompt"] + row["canonical_solution"] if name == REFERENCE else answer(name)
            key = f"{name}@{task}"
            peer_rows.append({"key": key, "question": question, "answer": fenced(code)})
            answers.append((key, model_answer(question, fenced(code), name)))

    peer, _ = score_with_peer(peer_rows)
    graded: dict[str, Graded] = {}
    if not args.no_grader:
        graded, _ = score_with_grader(questions, answers, "--runtime", args.runtime, "--pool-size", "1")

    must_fail = {f.name: f.must_fail for f in FORGERIES}
    print(f"{'forgery':28} | LiveBench score | grader verdict (score)")
    print(f"{'-' * 28}-|-----------------|-----------------------")
    for name in names:
        lb = "/".join(str(peer[f"{name}@{t}"]) for t in TASKS)
        if graded:
            got = [graded[f"{name}@{t}"] for t in TASKS]
            verdicts = sorted({g.verdict for g in got})
            ours = f"{'/'.join(verdicts)} ({'/'.join(str(g.score) for g in got)})"
        else:
            ours = "(not run)"
        note = "" if must_fail.get(name, True) else "   (documented: stays possible)"
        print(f"{name:28} | {lb:15} | {ours}{note}")
    print(f"\nscores per task: {' / '.join(TASKS)}; LiveBench scored "
          f"{sum(peer[f'{f.name}@{t}'] for f in FORGERIES for t in TASKS)} forged answers 1, grader "
          f"{sum(g.score for k, g in graded.items() if not k.startswith(REFERENCE + '@'))}")  # fmt: skip


if __name__ == "__main__":
    main()
