"""BigCodeBench's references through grader vs through LiveBench's harness: acceptance and throughput.

Every reference (code_prompt + canonical_solution) of BigCodeBench (or the first `--limit`) is a
LiveBench code_generation answer to its row. LiveBench's `code_generation_process_results` scores them
in its own virtualenv (`bench/setup_livebench.sh`), driven as `gen_ground_truth_judgment.py` drives it
(a thread pool of `--parallel` workers, each answer an `untrusted_check`: a fork and a Manager); grader
grades them through GradeBatch (`grader eval`) on a server with a warm pool of `--parallel`
containers of `--image`. Prints accepted counts, the share of the peer's passes grader accepts, every
difference with grader's verdict, and answers/s of each side and their ratio.

    nice .venv/bin/python -m bench.bigcodebench_references --limit 60 --image grader-sandbox-bigcodebench:TAG
"""

from __future__ import annotations

import argparse

from bench import livebench_harness as harness


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="the first N rows (0: all 1,140)")
    parser.add_argument("--parallel", type=int, default=2, help="peer threads and grader's pool size")
    parser.add_argument("--image", required=True, help="grader's sandbox image with the evaluation packages")
    parser.add_argument("--runtime", default="runc")
    parser.add_argument(
        "--peer-in-venv",
        action="store_true",
        help="LiveBench's harness in its virtualenv (default: in a container of --image)",
    )
    args = parser.parse_args()

    rows = harness.bigcodebench_rows()
    if args.limit:
        rows = rows[: args.limit]
    questions = [harness.livebench_question(row, "code_generation") for row in rows]
    raws = [harness.fenced(row["code_prompt"] + row["canonical_solution"]) for row in rows]
    keys = [row["task_id"] for row in rows]

    where = "its virtualenv" if args.peer_in_venv else args.image
    print(
        f"{len(rows)} references; LiveBench's harness in {where}, {args.parallel} thread(s) ...", flush=True
    )
    peer, peer_wall = harness.score_with_peer(
        [{"key": k, "question": q, "answer": a} for k, q, a in zip(keys, questions, raws, strict=True)],
        parallel=args.parallel,
        image="" if args.peer_in_venv else args.image,
    )
    print(f"grader, a pool of {args.parallel} ...", flush=True)
    flags = ["--runtime", args.runtime, "--pool-size", str(args.parallel), "--pool-memory-mb", "2048",
             "--sandbox-image", args.image]  # fmt: skip
    triples = zip(keys, questions, raws, strict=True)
    answers = [(k, harness.model_answer(q, a, "reference")) for k, q, a in triples]
    ours, our_wall = harness.score_with_grader(questions, answers, *flags)

    peer_pass = {k for k in keys if peer[k]}
    our_pass = {k for k in keys if ours[k].score}
    both = peer_pass & our_pass
    share = 100 * len(both) / len(peer_pass) if peer_pass else 0.0
    print(f"\naccepted: LiveBench {len(peer_pass)}/{len(keys)}, grader {len(our_pass)}/{len(keys)}; "
          f"grader accepts {len(both)} of the {len(peer_pass)} LiveBench passes ({share:.1f} %)")  # fmt: skip
    for k in keys:
        if (k in peer_pass) != (k in our_pass):
            print(f"  {k}: LiveBench {peer[k]}, grader {ours[k].score} ({ours[k].verdict})")
    print(f"\nthroughput: LiveBench {len(keys) / peer_wall:.2f} answers/s ({peer_wall:.0f} s), grader "
          f"{len(keys) / our_wall:.2f} answers/s ({our_wall:.0f} s): "
          f"ratio {peer_wall / our_wall:.2f}x")  # fmt: skip


if __name__ == "__main__":
    main()
