"""Shared test helpers: where the shared datasets live."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATASETS = REPO.parent / "shared" / "datasets"


@pytest.fixture(scope="session")
def datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.fail(f"the shared datasets are missing at {SHARED_DATASETS}")
    return SHARED_DATASETS
