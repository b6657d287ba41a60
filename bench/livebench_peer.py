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
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("rows")
    parser.add_argument("out")
    parser.add_argument("--parallel", type=int, default=1)
    args = parser.parse_args()
    from livebench.process_results.coding.utils import (  # type: ignore[import-not-found]
        code_generation_process_results,
    )

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
