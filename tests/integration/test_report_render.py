"""`grader eval --out` against the real server, then `grader report --html`, rendered by a real
headless Chromium: the result lines carry release dates, and the page renders its plots and
tables. Never skipped: without Chromium it fails (run `make setup`)."""

from __future__ import annotations

import json
import shutil
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from grader.demo import demo_path
from tests.support.server import RunningServer, write_jsonl

REPO = Path(__file__).resolve().parents[2]
FAST_VERDICTS = ("ACCEPTED", "WRONG_ANSWER", "COMPILE_ERROR", "RUNTIME_ERROR")
HOSTILE_MODEL = "beta <img src=x onerror=alert(1)>"


def grader(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "grader.cli", *args], capture_output=True, text=True, cwd=REPO, timeout=900,
        check=False,
    )  # fmt: skip


def chromium(*args: str, profile: Path) -> subprocess.CompletedProcess[str]:
    binary = shutil.which("chromium")
    if binary is None:
        pytest.fail("chromium is missing: run `make setup` (scripts/ensure_chromium.sh installs it)")
    return subprocess.run(
        [binary, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         f"--user-data-dir={profile}", *args],
        capture_output=True, text=True, timeout=180, check=False,
    )  # fmt: skip


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", "not a PNG"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


@pytest.fixture(scope="module")
def results(server: RunningServer, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two models' result files: alpha answers each demo question with its last sample that
    finishes fast (mostly wrong ones), beta with a correct one, and once a question the bank
    does not have."""
    tmp = tmp_path_factory.mktemp("report")
    demo = [json.loads(line) for line in demo_path("samples.jsonl").read_text().splitlines()]
    fast = {s["question_id"]: s for s in demo if s["expect"] in FAST_VERDICTS}
    alpha = [{**s, "model": "alpha"} for s in fast.values()]
    correct = {s["question_id"]: s for s in demo if s["expect"] == "ACCEPTED"}
    beta = [{**s, "model": HOSTILE_MODEL} for s in correct.values()]
    beta.append({"question_id": "demo/not-in-the-bank", "code": "print(1)", "model": HOSTILE_MODEL})
    paths = []
    for name, rows in (("alpha", alpha), ("beta", beta)):
        out = tmp / f"{name}-results.jsonl"
        done = grader("eval", "--server", server.address, str(write_jsonl(tmp / f"{name}.jsonl", rows)),
                      "--out", str(out), "--no-progress")  # fmt: skip
        assert done.returncode == 0, done.stderr
        paths.append(out)
    return paths


class TestReportRender:
    """Release dates flow from the bank through `grader eval --out` into a page Chromium renders."""

    def test_result_lines_carry_release_dates(self, results: list[Path]) -> None:
        released = {
            q["id"]: q["release_date"]
            for q in map(json.loads, demo_path("questions.jsonl").read_text().splitlines())
        }
        rows = [json.loads(line) for path in results for line in path.read_text().splitlines()]
        graded = [r for r in rows if not r["verdict"].startswith("ERROR_")]
        assert graded and all(r["release_date"] == released[r["question_id"]] for r in graded)
        (missing,) = [r for r in rows if r["verdict"].startswith("ERROR_")]
        assert missing["verdict"] == "ERROR_NOT_FOUND" and "release_date" not in missing

    def test_page_renders(self, results: list[Path], tmp_path: Path) -> None:
        page = tmp_path / "report.html"
        done = grader("report", *map(str, results), "--html", str(page), "--cutoff", "alpha=2025-06")
        assert done.returncode == 0, done.stderr
        assert "alpha" in done.stdout and f"wrote {page}" in done.stdout

        dom = chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile")
        assert dom.returncode == 0, dom.stderr[-2000:]
        html = dom.stdout
        assert html.count('<svg class="chart"') == 3
        assert html.count("<polyline") == 2  # one line per model across the release months
        assert "training cutoff 2025-06" in html
        assert ">unknown</text>" in html  # the question the bank lacks, kept in its own bucket
        questions = html[html.index('<table class="questions">') :]
        assert questions.count("<tr>") == 1 + 20 + 1  # header, the demo's questions, the unknown one
        assert "<img" not in html  # the hostile model name stayed text
        assert "beta &lt;img src=x onerror=alert(1)&gt;" in html

        shot = tmp_path / "report.png"
        done = chromium(
            f"--screenshot={shot}", "--window-size=1400,2000", page.as_uri(), profile=tmp_path / "p2"
        )
        assert done.returncode == 0, done.stderr[-2000:]
        assert png_size(shot) == (1400, 2000)
        # A blank page of this size is about 13 KB; the report's charts and tables are far more.
        assert shot.stat().st_size > 60_000
