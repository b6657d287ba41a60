"""A job: one submission as the supervisor runs it (standard library only).

What to run (the question's kind, entry point and prelude) and its limits, read from the host's
SubmissionMessage (protocol.py); the code itself is written to /code/main.py for the zygote.
"""

from __future__ import annotations

from typing import Any


class Job:
    def __init__(self, message: dict[str, Any]) -> None:
        self.kind = str(message["kind"])
        self.entry_point = str(message.get("entry_point", "")) or "-"
        self.prelude = str(message.get("prelude", "none"))
        limits = message["limits"]
        self.time_s = float(limits["time_s"])
        self.wall_s = float(limits["wall_s"])
        self.memory_kb = int(limits["memory_kb"])
        self.output_bytes = int(limits["output_bytes"])
