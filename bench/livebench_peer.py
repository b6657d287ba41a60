"""LiveBench's own scoring of code_generation / code_completion answers, run in LiveBench's virtualenv.

Not imported by grader: `bench/livebench_harness.py` runs this file with LiveBench's interpreter and
its source on PYTHONPATH. Reads JSON lines `{"key", "question", "answer"}` (a LiveBench question row and
a raw model answer) from the file in argv[1], scores each with LiveBench's
`code_generation_process_results` driven as `gen_ground_truth_judgment.py` drives it (a thread pool of
`--parallel` workers, 1 by default), and writes `{"key", "score", "seconds"}` lines in input order,
then one `{"wall_s": ...}` line, to the file in argv[2] (not stdout: a forgery's child writes to
the fds it inherits).
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def livebench_process_results() -> Callable[[dict[str, Any], str], int]:
    from livebench.process_results.coding.utils import (  # type: ignore[import-not-found]
        code_generation_process_results,
    )

    return code_generation_process_results  # type: ignore[no-any-return]


def direct_process_results() -> Callable[[dict[str, Any], str], int]:
    """The same calls as LiveBench's `code_generation_process_results`, for an environment without
    the API clients its module imports (a sandbox image): its code extraction, its prepend rules,
    `untrusted_check` with its arguments."""
    from livebench.code_runner.eval import PASS, untrusted_check  # type: ignore[import-not-found]
    from livebench.lcb_runner.utils.extraction_utils import extract_code  # type: ignore[import-not-found]

    def process(question: dict[str, Any], llm_answer: str) -> int:
        code = extract_code(model_output=llm_answer, lmstyle=None)
        partial = question.get("partial_solution") or ""
        if partial and not code.startswith(partial):
            code = partial + "\n" + code
        elif "entry_point" in question and "def " + question["entry_point"] not in code:
            code = question["code_prompt"] + "\n" + code
        stat, _ = untrusted_check(
            code=code, test_code=question["tests"], entry_point=question["entry_point"],
            max_as_limit=30 * 1024, max_data_limit=30 * 1024, max_stack_limit=10, min_time_limit=1,
            gt_time_limit=question["expected_time"] + 3 if "expected_time" in question else 20,
        )  # fmt: skip
        return int(stat == PASS)

    return process


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows")
    parser.add_argument("out")
    parser.add_argument("--parallel", type=int, default=1)
    parser.add_argument("--direct", action="store_true", help="untrusted_check without utils.py's imports")
    args = parser.parse_args()
    code_generation_process_results = direct_process_results() if args.direct else livebench_process_results()

    with open(args.rows) as f:
        rows = [json.loads(line) for line in f]

    def score(row: dict[str, Any]) -> dict[str, Any]:
        start = time.monotonic()
        value = code_generation_process_results(row["question"], row["answer"])
        return {"key": row["key"], "score": int(value), "seconds": round(time.monotonic() - start, 3)}

    start = time.monotonic()
    if args.parallel == 1:
        results = [score(row) for row in rows]
    else:
        with ThreadPoolExecutor(args.parallel) as pool:
            results = list(pool.map(score, rows))
    wall = time.monotonic() - start
    with open(args.out, "w") as out:
        for result in results:
            out.write(json.dumps(result) + "\n")
        out.write(json.dumps({"wall_s": round(wall, 3)}) + "\n")


if __name__ == "__main__":
    main()
