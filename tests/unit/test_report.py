"""`grader report`: reading result lines, the aggregation (per model, per question, per release
month, pass@k, cutoffs), the text summary and the HTML page's content and escaping."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from grader.cli import main
from grader.judge.passk import pass_at_k
from grader.report import (
    ResultFileError,
    ResultLine,
    build_report,
    parse_cutoff,
    read_results,
    render_html,
    summary_text,
)
from grader.report.results import UNKNOWN_MONTH
from grader.report.stats import month_range


def write(path: Path, rows: list[Any]) -> Path:
    path.write_text(
        "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows), encoding="utf-8"
    )
    return path


def result(qid: str, verdict: str = "ACCEPTED", **extra: Any) -> dict[str, Any]:
    """A line as `grader eval --out` writes it (the fields the report does not read included)."""
    row = {"question_id": qid, "line": 1, "verdict": verdict, "passed": verdict == "ACCEPTED",
           "tests_passed": 1, "tests_total": 1, "pass_rate": 1.0, "test_verdicts": []}  # fmt: skip
    row.update(extra)
    return row


def line(model: str, qid: str, verdict: str = "ACCEPTED", month: str = UNKNOWN_MONTH) -> ResultLine:
    return ResultLine(model, qid, verdict, month)


class TestReadResults:
    """Result lines of `grader eval --out`; anything unreadable names its file and line."""

    def test_fields_and_model_names(self, tmp_path: Path) -> None:
        path = write(tmp_path / "run-7.jsonl", [
            result("q1", model="m1", release_date="2024-06-24"),
            "",
            result("q2", "WRONG_ANSWER", model_id="lb-model", release_date="2024-07-26T00:00:00"),
            result("q3", "ERROR_NOT_FOUND", release_date=""),
            result("q4", "NO_CODE"),
        ])  # fmt: skip
        assert read_results([path]) == [
            ResultLine("m1", "q1", "ACCEPTED", "2024-06"),
            ResultLine("lb-model", "q2", "WRONG_ANSWER", "2024-07"),
            ResultLine("run-7", "q3", "ERROR_NOT_FOUND", UNKNOWN_MONTH),  # no model: the file's name
            ResultLine("run-7", "q4", "NO_CODE", UNKNOWN_MONTH),
        ]

    def test_several_files_in_order(self, tmp_path: Path) -> None:
        a = write(tmp_path / "a.jsonl", [result("q1")])
        b = write(tmp_path / "b.jsonl", [result("q1", "WRONG_ANSWER")])
        assert [(r.model, r.passed) for r in read_results([a, b])] == [("a", True), ("b", False)]

    @pytest.mark.parametrize(
        ("bad", "words"),
        [
            ('{"question_id": "q2",', "not JSON"),
            ('["q2", "ACCEPTED"]', "a result must be a JSON object"),
            (json.dumps({"verdict": "ACCEPTED"}), "needs question_id"),
            (json.dumps({"question_id": "q2", "code": "print(1)"}), "needs verdict"),
            (json.dumps(result("q2", model=7)), "model"),
            (json.dumps(result("q2", release_date="June 2024")), "release_date is not an ISO date"),
            (json.dumps(result("q2", release_date="2024-13-01")), "release_date is not an ISO date"),
            (json.dumps(result("q2", release_date=20240624)), "release_date must be a string"),
        ],
    )
    def test_bad_lines_name_file_and_line(self, tmp_path: Path, bad: str, words: str) -> None:
        path = write(tmp_path / "r.jsonl", [result("q1"), bad])
        with pytest.raises(ResultFileError) as info:
            read_results([path])
        assert str(info.value).startswith(f"{path}:2: ")
        assert words in str(info.value)

    def test_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(ResultFileError, match=r"nope\.jsonl: cannot read it"):
            read_results([tmp_path / "nope.jsonl"])

    def test_not_text(self, tmp_path: Path) -> None:
        path = tmp_path / "r.jsonl"
        path.write_bytes(b"\xff\xfe\x00binary")
        with pytest.raises(ResultFileError, match="not UTF-8"):
            read_results([path])

    @pytest.mark.parametrize(
        ("text", "parsed"),
        [("gpt-x=2024-03", ("gpt-x", "2024-03")), ("a=b=2023-12", ("a=b", "2023-12"))],
    )
    def test_cutoff(self, text: str, parsed: tuple[str, str]) -> None:
        assert parse_cutoff(text) == parsed

    @pytest.mark.parametrize("text", ["gpt-x", "=2024-03", "m=2024", "m=2024-3", "m=2024-03-05", "m=2024-00"])
    def test_bad_cutoff(self, text: str) -> None:
        with pytest.raises(ValueError, match="MODEL=YYYY-MM"):
            parse_cutoff(text)


class TestBuildReport:
    """Pass rates, pass@k (grader.judge.passk), verdicts, months and cutoffs, nothing dropped."""

    def test_per_model_pass_rate_and_verdicts(self) -> None:
        lines = [line("a", "q1"), line("a", "q2", "WRONG_ANSWER"), line("a", "q3", "ERROR_UNAVAILABLE"),
                 line("b", "q1"), line("b", "q2")]  # fmt: skip
        report = build_report(lines)
        a, b = report.models
        assert (a.model, a.samples, a.accepted, a.errors, a.questions) == ("a", 3, 1, 1, 3)
        assert a.pass_rate == pytest.approx(1 / 3)
        assert a.pass_at_k == {1: pytest.approx(1 / 3)}
        assert dict(a.verdicts) == {"ACCEPTED": 1, "WRONG_ANSWER": 1, "ERROR_UNAVAILABLE": 1}
        assert (b.pass_rate, b.pass_at_k) == (1.0, {1: 1.0})
        assert report.lines == 5

    def test_pass_at_k_with_several_samples(self) -> None:
        # q1: 10 samples, 1 accepted; q2: 5 samples, 0 accepted -> pass@1 and pass@5 only.
        lines = [line("m", "q1", "ACCEPTED" if i == 0 else "WRONG_ANSWER") for i in range(10)]
        lines += [line("m", "q2", "TIME_LIMIT_EXCEEDED") for _ in range(5)]
        (m,) = build_report(lines).models
        assert set(m.pass_at_k) == {1, 5}
        assert m.pass_at_k[1] == pytest.approx((0.1 + 0.0) / 2)
        assert m.pass_at_k[5] == pytest.approx((pass_at_k(10, 1, 5) + 0.0) / 2) == pytest.approx(0.25)
        assert m.tallies == {"q1": (10, 1), "q2": (5, 0)}
        assert m.pass_rate == pytest.approx(1 / 15)  # samples, not questions

    def test_questions_with_tallies_per_model(self) -> None:
        lines = [line("a", "q2", month="2024-02"), line("b", "q2", "WRONG_ANSWER"), line("b", "q2"),
                 line("a", "q1", month="2024-03"), line("b", "zz")]  # fmt: skip
        report = build_report(lines)
        assert [(q.question_id, q.release_month) for q in report.questions] == [
            ("q2", "2024-02"),  # a later line without a date does not undo the first one's
            ("q1", "2024-03"),
            ("zz", UNKNOWN_MONTH),  # undated last, not dropped
        ]
        q2 = report.questions[0]
        assert q2.tallies == {"a": (1, 1), "b": (2, 1)}
        assert (q2.samples, q2.accepted, q2.pass_rate) == (3, 2, pytest.approx(2 / 3))
        assert report.undated_questions == 1

    def test_months_pass_at_1_and_unknown_bucket(self) -> None:
        lines = [
            line("m", "jan1", "ACCEPTED", "2024-01"),
            line("m", "jan2", "WRONG_ANSWER", "2024-01"),
            line("m", "apr", "ACCEPTED", "2024-04"),
            line("m", "apr", "WRONG_ANSWER", "2024-04"),
            line("m", "apr", "WRONG_ANSWER", "2024-04"),
            line("m", "old", "WRONG_ANSWER"),
        ]
        report = build_report(lines)
        assert report.months == ["2024-01", "2024-02", "2024-03", "2024-04"]  # gaps kept
        (m,) = report.models
        assert {k: (p.questions, p.pass_at_1) for k, p in m.by_month.items()} == {
            "2024-01": (2, 0.5),
            "2024-04": (1, pytest.approx(1 / 3)),
            UNKNOWN_MONTH: (1, 0.0),
        }

    def test_cutoff_split_and_range(self) -> None:
        lines = [
            line("m", "a", "ACCEPTED", "2024-01"),
            line("m", "b", "ACCEPTED", "2024-02"),
            line("m", "c", "WRONG_ANSWER", "2024-03"),
            line("m", "d", "ACCEPTED", "2024-04"),
            line("m", "e", "WRONG_ANSWER"),
            line("other", "a", "WRONG_ANSWER", "2024-01"),
        ]
        report = build_report(lines, {"m": "2024-02", "other": "2023-10"})
        m, other = report.models
        assert m.cutoff is not None and other.cutoff is not None
        assert m.cutoff.before is not None and m.cutoff.after is not None
        assert (m.cutoff.before.questions, m.cutoff.before.pass_at_1) == (2, 1.0)  # up to and with Feb
        assert (m.cutoff.after.questions, m.cutoff.after.pass_at_1) == (2, 0.5)
        assert m.cutoff.undated == 1
        assert other.cutoff.before is None  # nothing released by then
        assert report.months[0] == "2023-10"  # the axis reaches every cutoff
        assert report.months[-1] == "2024-04"

    def test_no_dates_no_months(self) -> None:
        report = build_report([line("m", "q")], {"m": "2024-01"})
        assert report.months == []
        assert report.undated_questions == 1

    def test_month_range_over_years(self) -> None:
        assert month_range(["2024-02", "2023-11"]) == ["2023-11", "2023-12", "2024-01", "2024-02"]
        assert month_range([]) == []


HOSTILE_MODEL = '<script>alert("m")</script>'
HOSTILE_QUESTION = "q&<img src=x onerror=alert(1)>\"'"


def hostile_report(cutoffs: dict[str, str] | None = None) -> str:
    lines = [
        line(HOSTILE_MODEL, HOSTILE_QUESTION, "ACCEPTED", "2024-01"),
        line(HOSTILE_MODEL, "q2", "WRONG_ANSWER", "2024-03"),
        line(HOSTILE_MODEL, "q3", "COMPILE_ERROR"),
        line("plain", HOSTILE_QUESTION, "WRONG_ANSWER", "2024-01"),
        line("plain", "q2", "ACCEPTED", "2024-03"),
        line("plain", "q4", "</svg><b>x</b>", "2024-02"),
    ]
    return render_html(build_report(lines, cutoffs), ["<results>.jsonl"])


class TestHtml:
    """One self-contained page: tables, SVG plots, every user-given string escaped."""

    def test_user_strings_are_escaped(self) -> None:
        page = hostile_report({HOSTILE_MODEL: "2024-02"})
        for raw in (HOSTILE_MODEL, HOSTILE_QUESTION, "<b>x</b>", "<results>", "<img"):
            assert raw not in page
        assert "&lt;script&gt;alert(&quot;m&quot;)&lt;/script&gt;" in page
        assert "q&amp;&lt;img src=x onerror=alert(1)&gt;&quot;&#x27;" in page
        assert page.count("<script") == 0

    def test_self_contained(self) -> None:
        page = hostile_report()
        assert "default-src 'none'" in page  # the CSP forbids fetching anything
        tags = re.findall(r"<[a-zA-Z][^>]*>", page)  # escaped user text has no "<"
        assert not [t for t in tags if re.match(r"<(link|script|iframe|img|object|embed)\b", t)]
        assert not [t for t in tags if re.search(r"\s(src|href|srcset|style=\"[^\"]*url)\b", t)]
        assert re.findall(r"https?://[^\s\"']+", page) == ["http://www.w3.org/2000/svg"] * 3

    def test_plots_and_tables(self) -> None:
        page = hostile_report({"plain": "2024-02"})
        assert page.count('<svg class="chart"') == 3  # pass rate bars, months, verdict bars
        # One line per model over its dated months; undated questions are a hollow point.
        assert page.count("<polyline") == 2
        assert page.count('class="undated"') == 1
        assert ">unknown</text>" in page
        assert "training cutoff 2024-02" in page and 'class="cutoff"' in page
        for month in ("2024-01", "2024-02", "2024-03"):
            assert f">{month}</text>" in page
        questions = page[page.index('<table class="questions">') :]
        assert questions.count("<tr>") == 1 + 4  # header + one row per question
        assert "1/1" in questions and "0/1" in questions
        assert "&ndash;" in questions  # a question one model did not answer
        verdicts = page[page.index('<table class="verdicts">') :]
        for verdict in ("ACCEPTED", "WRONG_ANSWER", "COMPILE_ERROR"):
            assert f"<th>{verdict}</th>" in verdicts

    def test_no_dates(self) -> None:
        page = render_html(build_report([line("m", "q")]), ["r.jsonl"])
        assert "No result line has a release date" in page
        assert "<polyline" not in page
        assert ">unknown</text>" in page


class TestSummaryText:
    def test_columns_and_cutoffs(self) -> None:
        lines = [line("alpha", "q1", "ACCEPTED", "2024-01")] * 5 + [line("alpha", "q2", "WRONG_ANSWER")] * 5
        lines += [line("b", "q1", "ERROR_UNAVAILABLE", "2024-01")]
        text = summary_text(build_report(lines, {"alpha": "2023-12"}))
        rows = text.splitlines()
        assert rows[0].split() == [
            "model",
            "samples",
            "questions",
            "accepted",
            "pass@1",
            "pass@5",
            "not",
            "graded",
        ]
        assert rows[1].split() == ["alpha", "10", "2", "5", "0.5000", "0.5000", "0"]
        assert rows[2].split() == ["b", "1", "1", "0", "0.0000", "-", "1"]
        assert "alpha: cutoff 2023-12: pass@1 - up to it, 1.0000 (1 questions) after it" in text
        assert "11 result lines, 2 questions, 1 with a release date (2023-12 to 2024-01)" in text


class TestCommand:
    """`grader report`: exit 2 with `grader: FILE:LINE: reason` on bad input; the page written."""

    def test_writes_page_and_summary(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        a = write(
            tmp_path / "a.jsonl", [result("q1", release_date="2024-01-02"), result("q2", "WRONG_ANSWER")]
        )
        b = write(tmp_path / "b.jsonl", [result("q1", "WRONG_ANSWER", release_date="2024-01-02")])
        out = tmp_path / "report.html"
        assert main(["report", str(a), str(b), "--html", str(out), "--cutoff", "a=2023-12"]) == 0
        stdout = capsys.readouterr().out
        assert f"wrote {out}" in stdout
        assert re.search(r"^a\s+2\s+2\s+1\s+0\.5000", stdout, re.MULTILINE)
        page = out.read_text(encoding="utf-8")
        assert page.startswith("<!DOCTYPE html>") and "training cutoff 2023-12" in page

    def test_summary_only(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        a = write(tmp_path / "a.jsonl", [result("q1")])
        assert main(["report", str(a)]) == 0
        assert "wrote" not in capsys.readouterr().out

    @pytest.mark.parametrize(
        ("rows", "message"),
        [
            ([result("q1"), "{oops"], ":2: not JSON"),
            ([result("q1"), {"question_id": "q"}], ":2: needs verdict"),
            ([], ": no result lines"),
        ],
    )
    def test_bad_input(
        self, tmp_path: Path, capsys: pytest.CaptureFixture[str], rows: list[Any], message: str
    ) -> None:
        path = write(tmp_path / "r.jsonl", rows)
        out = tmp_path / "out.html"
        assert main(["report", str(path), "--html", str(out)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"grader: {path}") and message in err
        assert not out.exists()

    def test_missing_file(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        assert main(["report", str(tmp_path / "none.jsonl")]) == 2
        assert capsys.readouterr().err.startswith(f"grader: {tmp_path / 'none.jsonl'}: cannot read it")

    def test_cutoff_for_an_unknown_model(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        a = write(tmp_path / "a.jsonl", [result("q1")])
        assert main(["report", str(a), "--cutoff", "gpt-typo=2024-01"]) == 2
        assert "gpt-typo" in capsys.readouterr().err

    def test_malformed_cutoff(self, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
        a = write(tmp_path / "a.jsonl", [result("q1")])
        with pytest.raises(SystemExit) as info:
            main(["report", str(a), "--cutoff", "a:2024-01"])
        assert info.value.code == 2
        assert "MODEL=YYYY-MM" in capsys.readouterr().err
