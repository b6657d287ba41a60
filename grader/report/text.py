"""The short text summary `grader report` prints."""

from __future__ import annotations

from grader.report.stats import MonthPoint, Report


def _point(point: MonthPoint | None) -> str:
    return "-" if point is None else f"{point.pass_at_1:.4f} ({point.questions} questions)"


def summary_text(report: Report) -> str:
    ks = report.ks
    width = max([len("model"), *(len(m.model) for m in report.models)])
    head = f"{'model':<{width}}  {'samples':>7} {'questions':>9} {'accepted':>8}  " + "  ".join(
        f"{'pass@' + str(k):<8}" for k in ks
    )
    lines = [head.rstrip() + "  not graded"]
    for m in report.models:
        values = "  ".join(f"{m.pass_at_k[k]:<8.4f}" if k in m.pass_at_k else f"{'-':<8}" for k in ks)
        lines.append(
            f"{m.model:<{width}}  {m.samples:>7} {m.questions:>9} {m.accepted:>8}  {values}  {m.errors:>10}"
        )
    for m in report.models:
        if m.cutoff is not None:
            lines.append(
                f"{m.model}: cutoff {m.cutoff.cutoff}: pass@1 {_point(m.cutoff.before)} up to it,"
                f" {_point(m.cutoff.after)} after it"
                + (f"; {m.cutoff.undated} question(s) without a release date" if m.cutoff.undated else "")
            )
    dated = len(report.questions) - report.undated_questions
    span = f" ({report.months[0]} to {report.months[-1]})" if report.months else ""
    lines.append(
        f"{report.lines} result lines, {len(report.questions)} questions, {dated} with a release date{span}"
    )
    return "\n".join(lines) + "\n"
