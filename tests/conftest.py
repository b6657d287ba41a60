"""Fixtures and settings of every test: the shared datasets, and how hypothesis explores."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.datasets import SHARED_DATASETS

# `ci` (the default): every property replays the same examples, so a red run is the code's doing
# and reruns the same way. `fuzz` (`make fuzz`, GRADER_HYPOTHESIS_PROFILE=fuzz): fresh random
# examples, many more of them; a failure prints the blob that replays it (@reproduce_failure).
# Properties that name their own `max_examples` keep it (the fuzz modules read
# GRADER_FUZZ_EXAMPLES / GRADER_FUZZ_API_EXAMPLES, which `make fuzz` raises).
settings.register_profile("ci", derandomize=True)
settings.register_profile("fuzz", derandomize=False, max_examples=2000, print_blob=True)
settings.load_profile(os.environ.get("GRADER_HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="session")
def datasets() -> Path:
    if not SHARED_DATASETS.is_dir():
        pytest.fail(f"the shared datasets are missing at {SHARED_DATASETS}")
    return SHARED_DATASETS
