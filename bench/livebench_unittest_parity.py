"""Scoring parity with LiveBench on code_generation / code_completion answers.

Questions in LiveBench's format are made from BigCodeBench rows (into a temporary directory, never
committed): code_generation and code_completion (partial_solution: the code prompt and the first half
of the reference), plus two with a short `expected_time` for the timeout answers. Their model answers
(LiveBench's model-answer format) mix references, body-only answers, completions with and without the
partial solution, mutated references, crashes, syntax errors, no code, timeouts and forgeries
(bench/livebench_answers.py). LiveBench's own `code_generation_process_results` scores each (ground
truth), grader scores the same files (`grader bank build`, `grader serve`, `grader eval
--livebench-judgments`); prints the agreement and every difference with its explanation.

    .venv/bin/python -m bench.livebench_unittest_parity [--questions 24] [--image IMAGE]
"""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

from bench.forgeries import BY_NAME
from bench.livebench_answers import (
    Answer,
    completion_answers,
    forged_answers,
    generation_answers,
    timeout_answers,
)
from bench.livebench_harness import (
    Graded,
    bigcodebench_rows,
    livebench_question,
    model_answer,
    score_with_grader,
    score_with_peer,
)

TIMEOUT_EXPECTED_TIME = 2.0  # a 6 s suite limit: max(1, 2 + 3) + 1


def explain(kind: str, peer: int, ours: Graded, reference_agrees: bool) -> str:
    if kind.startswith("forgery:"):
        name = kind.removeprefix("forgery:")
        if peer == 1 and ours.score == 0 and BY_NAME[name].must_fail:
            return "forgery: LiveBench's harness scores it a pass, grader's guarded runner does not"
    if not reference_agrees:
        return "environment: the question's reference itself scores differently (see the reference row)"
    return "UNEXPLAINED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=24, help="BigCodeBench rows (half per task)")
    parser.add_argument("--image", default="", help="grader's sandbox image (default: GRADER_SANDBOX_IMAGE)")
    parser.add_argument("--runtime", default="runc")
    args = parser.parse_args()

    rows = bigcodebench_rows()
    step = max(1, len(rows) // args.questions)
    chosen = rows[::step][: args.questions]
    questions: list[dict[str, Any]] = []
    cases: list[tuple[str, dict[str, Any], Answer]] = []  # (key, question, answer)
    for n, row in enumerate(chosen):
        task = "code_generation" if n % 2 == 0 else "code_completion"
        question = livebench_question(row, task)
        questions.append(question)
        made = generation_answers(row) if task == "code_generation" else completion_answers(row)
        if n < 4:
            made += forged_answers(row["entry_point"])
        cases += [(f"{question['question_id'][:12]}:{a.kind}", question, a) for a in made]
    for row in chosen[:2]:
        question = livebench_question(row, "code_generation", TIMEOUT_EXPECTED_TIME)
        question["question_id"] = "t" + question["question_id"][1:]
        questions.append(question)
        made = [Answer("reference", generation_answers(row)[0].raw), *timeout_answers(row)]
        cases += [(f"{question['question_id'][:12]}:{a.kind}", question, a) for a in made]

    peer_rows = [{"key": key, "question": q, "answer": a.raw} for key, q, a in cases]
    print(f"{len(questions)} questions, {len(cases)} answers; LiveBench's harness ...", flush=True)
    peer, peer_wall = score_with_peer(peer_rows)
    print(f"grader ... (LiveBench took {peer_wall:.0f} s)", flush=True)
    flags = ["--runtime", args.runtime, "--pool-size", "2", "--pool-memory-mb", "2048"]
    if args.image:
        flags += ["--sandbox-image", args.image]
    answers = [(key, model_answer(q, a.raw, a.kind)) for key, q, a in cases]
    ours, our_wall = score_with_grader(questions, answers, *flags)

    reference_agrees = {
        key.split(":")[0]: peer[key] == ours[key].score
        for key, _, a in cases
        if a.kind.startswith("reference")
    }
    agree = sum(peer[key] == ours[key].score for key, _, _ in cases)
    print(f"\nagreement: {agree}/{len(cases)} answers ({100 * agree / len(cases):.1f} %); "
          f"LiveBench scored {sum(peer.values())} answers 1, grader {sum(g.score for g in ours.values())}; "
          f"wall: LiveBench {peer_wall:.0f} s, grader {our_wall:.0f} s")  # fmt: skip
    by_kind: Counter[str] = Counter()
    for key, _, a in cases:
        by_kind[f"{a.kind} {peer[key]}/{ours[key].score}"] += 1
    print("\nper kind (LiveBench score / grader score: answers):")
    for kind_scores, count in sorted(by_kind.items()):
        print(f"  {kind_scores}: {count}")
    differences = [(key, q, a) for key, q, a in cases if peer[key] != ours[key].score]
    print(f"\n{len(differences)} difference(s):")
    for key, q, a in differences:
        why = explain(a.kind, peer[key], ours[key], reference_agrees[key.split(":")[0]])
        print(f"  {q['question_title']} ({q['task']}) {a.kind}: LiveBench {peer[key]}, grader "
              f"{ours[key].score} ({ours[key].verdict}) -- {why}")  # fmt: skip


if __name__ == "__main__":
    main()
