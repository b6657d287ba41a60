"""Where the shared datasets live (read only; never copied into the repo)."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
# GRADER_DATASETS: where they are when the tests run from a copy of the repo (make mutate's mutants/).
SHARED_DATASETS = Path(os.environ.get("GRADER_DATASETS") or REPO.parent / "shared" / "datasets")
