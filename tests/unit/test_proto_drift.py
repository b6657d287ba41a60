"""The checked-in gRPC code is exactly what scripts/gen_proto.sh makes from protos/."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
GENERATED = ("grader_pb2.py", "grader_pb2.pyi", "grader_pb2_grpc.py")


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("proto")
    result = subprocess.run(
        ["bash", str(REPO / "scripts" / "gen_proto.sh"), str(out)],
        cwd=REPO,
        env={**os.environ, "PYTHON": sys.executable},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/gen_proto.sh failed ({result.returncode}):\n{result.stdout}{result.stderr}")
    return out / "grader" / "v1"


class TestProtoDrift:
    """Each generated file is byte-identical to the checked-in one; else `make proto` was forgotten."""

    @pytest.mark.parametrize("name", GENERATED)
    def test_generated_file_matches(self, regenerated: Path, name: str) -> None:
        fresh = regenerated / name
        checked_in = REPO / "grader" / "v1" / name
        assert fresh.is_file(), f"gen_proto.sh did not produce {name}"
        assert checked_in.is_file(), f"grader/v1/{name} is missing: run `make proto`"
        assert fresh.read_bytes() == checked_in.read_bytes(), (
            f"grader/v1/{name} is out of date with protos/grader/v1/grader.proto: run `make proto` "
            "and commit the result (never edit generated files by hand)"
        )

    def test_nothing_else_is_generated(self, regenerated: Path) -> None:
        assert sorted(p.name for p in regenerated.iterdir()) == sorted(GENERATED)
