"""`grader report`: the result lines of `grader eval --out` as a text summary and one
self-contained HTML page (pass rates per model and question, verdicts, pass@k, and pass rate by
question release month with each model's training cutoff: the contamination picture)."""

from grader.report.page import render_html
from grader.report.results import ResultFileError, ResultLine, parse_cutoff, read_results
from grader.report.stats import Report, build_report
from grader.report.text import summary_text

__all__ = [
    "Report",
    "ResultFileError",
    "ResultLine",
    "build_report",
    "parse_cutoff",
    "read_results",
    "render_html",
    "summary_text",
]
