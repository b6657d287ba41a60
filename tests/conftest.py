"""Shared test helpers: where the shared datasets live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# GRADER_DATASETS: where they are when the tests run from a copy of the repo (make mutate's mutants/).
SHARED_DATASETS = Path(os.environ.get("GRADER_DATASETS") or REPO.parent / "shared" / "datasets")


@pytest.fixture(scope="session")
def datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.fail(f"the shared datasets are missing at {SHARED_DATASETS}")
    return SHARED_DATASETS
