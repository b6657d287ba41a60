"""What handing a batch's inputs over one at a time would cost: a ping-pong of one input line and
one result line between two processes, with a /proc read per input, as a lock-step supervisor
would do. (grader streams a worker its inputs instead and times them from its answers: see
grader/runner/batch.py BatchWorker.)

    .venv/bin/python bench/lockstep_cost.py [N]
    docker run --rm [--runtime runsc] -v $PWD/bench/lockstep_cost.py:/b.py:ro IMAGE python3 /b.py

Prints microseconds per input.
"""

from __future__ import annotations

import json
import os
import selectors
import sys
import time


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    inputs_r, inputs_w = os.pipe()
    results_r, results_w = os.pipe()
    pid = os.fork()
    if pid == 0:
        for index in range(count):
            os.read(inputs_r, 65536)
            os.write(results_w, b'{"nonce":"x","i":%d,"typed":"[1]"}\n' % index)
        os._exit(0)
    sel = selectors.DefaultSelector()
    sel.register(results_r, selectors.EVENT_READ)
    started = time.perf_counter()
    for index in range(count):
        os.write(inputs_w, json.dumps([index, "[1, 2]"]).encode() + b"\n")
        sel.select(1.0)
        os.read(results_r, 65536)
        with open(f"/proc/{pid}/stat", "rb") as f:
            f.read()
    elapsed = time.perf_counter() - started
    os.waitpid(pid, 0)
    print(f"lock-step: {elapsed / count * 1e6:.1f} us per input")


if __name__ == "__main__":
    main()
