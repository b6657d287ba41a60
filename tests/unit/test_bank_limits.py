"""Bank files are untrusted and bounded: a row past a size limit (a line, a test, a question, its
compressed tests) is left out with file, line and reason (`--strict`: the build fails); a file
past its limit fails the build. Never an unbounded allocation.

Small limits are patched in to keep the tests quick; `test_real_bombs_stay_small` runs the
reported attacks at the real limits in a child process and measures its peak memory.
"""

from __future__ import annotations

import base64
import gzip
import json
import struct
import subprocess
import sys
import textwrap
import zlib
from pathlib import Path
from typing import Any

import pytest

from grader import cli
from grader.bank.build import build_bank
from grader.bank.formats import BankLimitError, compressed, limits, read_records
from grader.bank.model import BankFormatError
from grader.bank.store import BankStore
from tests.support.bank_rows import livebench_call_row, livebench_completion_row, native_row

MiB = 1 << 20


def zlib_bomb(inflated: int) -> str:
    """LiveCodeBench's encoding of a str of `inflated` characters, made without ever holding it:
    a protocol-4 BINUNICODE8 pickle compressed chunk by chunk."""
    packer = zlib.compressobj(9)
    parts = [packer.compress(b"\x80\x04\x8d" + struct.pack("<Q", inflated))]
    chunk = b"[" * MiB
    for _ in range(inflated // MiB):
        parts.append(packer.compress(chunk))
    parts.append(packer.compress(b"[" * (inflated % MiB) + b"."))
    parts.append(packer.flush())
    return base64.b64encode(b"".join(parts)).decode("ascii")


def write_gzip_lines(path: Path, lines: list[bytes | tuple[bytes, int]]) -> Path:
    """Gzip of the lines; a (byte, n) pair is a line of n such bytes, compressed as it is written."""
    with gzip.open(path, "wb", compresslevel=9) as f:
        for line in lines:
            if isinstance(line, tuple):
                byte, n = line
                for _ in range(n // MiB):
                    f.write(byte * MiB)
                f.write(byte * (n % MiB) + b"\n")
            else:
                f.write(line + b"\n")
    return path


def row_line(row: dict[str, Any]) -> bytes:
    return json.dumps(row).encode()


@pytest.fixture
def small_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_LINE_BYTES", 2 * MiB)
    monkeypatch.setattr(limits, "MAX_TEST_CHARS", 100_000)
    monkeypatch.setattr(limits, "MAX_QUESTION_CHARS", 1 * MiB)
    monkeypatch.setattr(compressed, "MAX_DECOMPRESSED_BYTES", 1 * MiB + 1024)


def good_row() -> bytes:
    return row_line(native_row())


@pytest.mark.usefixtures("small_limits")
class TestRowsPastALimit:
    def test_zlib_bomb_in_private_tests(self, tmp_path: Path) -> None:
        path = tmp_path / "lb.jsonl"
        path.write_bytes(
            row_line(livebench_call_row(private_test_cases=zlib_bomb(50 * MiB))) + b"\n" + good_row()
        )
        left_out: list[BankFormatError] = []
        assert len(list(read_records(path, left_out))) == 1
        [error] = left_out
        assert isinstance(error, BankLimitError)
        assert (
            str(error) == f"{path}:1: private_test_cases: compressed tests inflates past {MiB + 1024} bytes"
        )

    def test_gzip_with_one_huge_line(self, tmp_path: Path) -> None:
        path = write_gzip_lines(tmp_path / "bomb.jsonl.gz", [good_row(), (b" ", 200 * MiB), good_row()])
        assert path.stat().st_size < 1 * MiB
        left_out: list[BankFormatError] = []
        assert [r.line for r in read_records(path, left_out)] == [1, 3]
        assert [str(e) for e in left_out] == [f"{path}:2: line longer than {2 * MiB} bytes"]

    def test_huge_line_without_newline_at_the_end(self, tmp_path: Path) -> None:
        path = tmp_path / "bomb.jsonl.gz"
        path.write_bytes(gzip.compress(good_row() + b"\n" + b"x" * (5 * MiB)))
        with pytest.raises(BankLimitError, match=rf"^{path}:2: line longer than"):
            list(read_records(path))

    def test_one_test_too_long(self, tmp_path: Path) -> None:
        tests = json.dumps([{"input": "1" * 100_001, "output": "", "testtype": "stdin"}])
        path = tmp_path / "lb.jsonl"
        path.write_bytes(row_line(livebench_completion_row(private_test_cases=tests)) + b"\n")
        left_out: list[BankFormatError] = []
        assert list(read_records(path, left_out)) == []
        assert [str(e) for e in left_out] == [f"{path}:1: tests: test 2 is longer than 100000 characters"]

    def test_tests_too_long_together(self, tmp_path: Path) -> None:
        test = {"input": "1" * 90_000, "output": "", "testtype": "stdin"}
        path = tmp_path / "lb.jsonl"
        path.write_bytes(
            row_line(livebench_completion_row(private_test_cases=json.dumps([test] * 12))) + b"\n"
        )
        with pytest.raises(
            BankLimitError, match=rf"^{path}:1: tests: longer than {MiB} characters together$"
        ):
            list(read_records(path))

    def test_build_leaves_the_row_out_or_fails_when_strict(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str]
    ) -> None:
        path = write_gzip_lines(tmp_path / "bomb.jsonl.gz", [good_row(), (b"[", 20 * MiB)])
        out = tmp_path / "bank.db"
        assert cli.main(["bank", "build", "--out", str(out), str(path)]) == 0
        err = capsys.readouterr().err
        assert f"grader: left out {path}:2: line longer than {2 * MiB} bytes" in err
        assert "1 question(s) left out" in err
        with BankStore.open(out) as bank:
            assert bank.count() == 1
        assert cli.main(["bank", "build", "--strict", "--out", str(tmp_path / "b2.db"), str(path)]) == 1
        assert f"grader: bank build failed: {path}:2: line longer than" in capsys.readouterr().err
        assert not (tmp_path / "b2.db").exists()


class TestFilesPastALimit:
    def test_file_limit_fails_the_build(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(limits, "MAX_FILE_BYTES", 64 * 1024)
        path = write_gzip_lines(
            tmp_path / "many.jsonl.gz", [row_line(native_row(id=f"q{i}")) for i in range(1000)]
        )
        with pytest.raises(BankLimitError, match=rf"^{path}:\d+: file inflates past 65536 bytes$"):
            build_bank(tmp_path / "bank.db", [path], left_out=[])
        assert not (tmp_path / "bank.db").exists()

    def test_array_limit(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(limits, "MAX_ARRAY_BYTES", 64 * 1024)
        path = tmp_path / "rows.json.gz"
        path.write_bytes(gzip.compress(json.dumps([native_row(id=f"q{i}") for i in range(1000)]).encode()))
        with pytest.raises(BankLimitError, match=r"file inflates past 65536 bytes$"):
            list(read_records(path, []))


def peak_rss_mib(script: str) -> float:
    """Runs `script` in a fresh interpreter; its peak resident memory in MiB."""
    program = script + "\nimport resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, timeout=300, check=True
    )
    return int(done.stdout.split()[-1]) / 1024


def test_real_bombs_stay_small(tmp_path: Path) -> None:
    """At the real limits: a row whose private tests inflate past its limit, and a gzip file of one
    line past its limit (the figures in the README are of 1 and 2 GiB), each fail at their line
    far below what unbounded inflation takes."""
    lb = tmp_path / "lb.jsonl"
    lb.write_bytes(
        row_line(livebench_call_row(private_test_cases=zlib_bomb(limits.MAX_QUESTION_CHARS + 64 * MiB)))
        + b"\n"
        + good_row()
    )
    gz = write_gzip_lines(tmp_path / "bomb.jsonl.gz", [(b" ", limits.MAX_LINE_BYTES + 64 * MiB), good_row()])
    for path, reason in (
        (lb, "private_test_cases: compressed tests inflates past"),
        (gz, "line longer than"),
    ):
        script = textwrap.dedent(f"""
            from pathlib import Path
            from grader.bank.formats import read_records
            left_out = []
            assert [r.line for r in read_records(Path({str(path)!r}), left_out)] == [2]
            assert str(left_out[0]).startswith({f"{path}:1: {reason}"!r}), left_out
        """)
        # Unbounded, these reached 3.2 and 4.2 GB. Bounded, a run alone peaks near 530 MiB, but
        # inside the whole suite on the 2-core CI machine 1.3-1.4 GiB was seen (twice, cause not
        # found): the bound is set to tell bounded from unbounded, not to measure.
        assert peak_rss_mib(script) < 2048
