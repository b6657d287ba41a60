"""The report as one self-contained HTML page: inline CSS and SVG, no script, no external
resource (a Content-Security-Policy forbids any), every user-given string escaped."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from grader.report.charts import (
    esc,
    model_colour,
    month_lines,
    pass_rate_bars,
    percent,
    verdict_bars,
    verdict_colour,
    verdict_order,
)
from grader.report.results import UNKNOWN_MONTH
from grader.report.stats import MonthPoint, Report, Tally

_CSS = """
:root { color-scheme: light; }
body { font: 14px/1.45 "DejaVu Sans", "Helvetica Neue", Arial, sans-serif; color: #1f2328;
       margin: 0 auto; max-width: 1040px; padding: 24px 32px 48px; background: #fff; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 36px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #d8dee4; }
p.meta, p.note { color: #57606a; margin: 4px 0 12px; }
svg.chart { width: 100%; height: auto; display: block; margin: 8px 0; }
svg .label { font-size: 13px; fill: #1f2328; }
svg .value, svg .tick, svg .note { font-size: 12px; fill: #57606a; }
svg .axis { font-size: 13px; fill: #57606a; }
svg .inbar { font-size: 11px; fill: #fff; font-weight: bold; pointer-events: none; }
svg .track { fill: #eef1f4; }
svg .segment { stroke: #fff; stroke-width: 1; }
svg .grid { stroke: #d8dee4; stroke-width: 1; }
svg .gap { stroke: #8c959f; stroke-width: 1; stroke-dasharray: 3 3; }
svg .count { fill: #c5ccd3; }
svg .line { fill: none; stroke-width: 2.4; stroke-linejoin: round; }
svg circle.undated { fill: #fff; stroke-width: 2.4; }
svg .cutoff { stroke-width: 1.8; stroke-dasharray: 6 4; }
svg .cutoff-label { font-size: 12px; font-weight: bold; paint-order: stroke; stroke: #fff;
                    stroke-width: 4px; stroke-linejoin: round; }
table { border-collapse: collapse; margin: 8px 0 4px; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #e6e9ec; text-align: right; white-space: nowrap; }
th { background: #f6f8fa; font-weight: 600; position: sticky; top: 0; white-space: normal;
     vertical-align: bottom; }
td.name, th.name { text-align: left; white-space: normal; overflow-wrap: anywhere; min-width: 16em;
                   max-width: 26em; }
.wide { overflow-x: auto; }
.swatch { display: inline-block; width: 11px; height: 11px; border-radius: 2px; margin-right: 6px;
          vertical-align: -1px; }
.legend { display: flex; flex-wrap: wrap; gap: 4px 18px; margin: 4px 0 8px; color: #1f2328; }
.legend span { white-space: nowrap; }
.scroll { max-height: 720px; overflow: auto; border: 1px solid #e6e9ec; }
.scroll table { margin: 0; width: 100%; }
td.rate { color: #1f2328; text-align: center; min-width: 3.5em; }
th.model { text-align: center; overflow-wrap: anywhere; }
footer { margin-top: 40px; color: #8c959f; font-size: 12px; }
"""


def _rate_cell(tally: Tally | None) -> str:
    if tally is None:
        return '<td class="rate">&ndash;</td>'
    n, c = tally
    rate = c / n
    # Red (0) through yellow to green (1), pale enough to read the text on.
    background = f"hsl({120 * rate:.0f}, 62%, 84%)"
    return f'<td class="rate" style="background:{background}" title="{percent(rate)}">{c}/{n}</td>'


def _point(point: MonthPoint | None) -> str:
    return "&ndash;" if point is None else f"{percent(point.pass_at_1)} ({point.questions})"


def _swatch(colour: str) -> str:
    return f'<i class="swatch" style="background:{colour}"></i>'


def _table(kind: str, header: str, rows: Sequence[str]) -> str:
    return (
        f'<div class="wide"><table class="{kind}"><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _legend(items: Sequence[tuple[str, str]]) -> str:
    return '<div class="legend">' + "".join(f"<span>{_swatch(c)}{esc(t)}</span>" for t, c in items) + "</div>"


def _models_table(report: Report) -> str:
    ks = report.ks
    cutoffs = bool(report.cutoffs)
    head = ["model", "samples", "questions", "accepted", "pass rate", *(f"pass@{k}" for k in ks),
            "not graded"]  # fmt: skip
    if cutoffs:
        head += ["cutoff", "pass@1 up to the cutoff (questions)", "pass@1 after it (questions)"]
    rows = []
    for i, m in enumerate(report.models):
        cells = [
            f'<td class="name">{_swatch(model_colour(i))}{esc(m.model)}</td>',
            f"<td>{m.samples}</td>",
            f"<td>{m.questions}</td>",
            f"<td>{m.accepted}</td>",
            f"<td>{percent(m.pass_rate)}</td>",
            *(f"<td>{percent(m.pass_at_k[k])}</td>" if k in m.pass_at_k else "<td>&ndash;</td>" for k in ks),
            f"<td>{m.errors}</td>",
        ]
        if cutoffs:
            split = m.cutoff
            cells += (
                [f"<td>{esc(split.cutoff)}</td>", f"<td>{_point(split.before)}</td>",
                 f"<td>{_point(split.after)}</td>"]
                if split is not None
                else ["<td>&ndash;</td>"] * 3
            )  # fmt: skip
        rows.append("<tr>" + "".join(cells) + "</tr>")
    header = "".join(f'<th class="name">{h}</th>' if h == "model" else f"<th>{h}</th>" for h in head)
    return _table("models", header, rows)


def _verdicts_table(report: Report) -> str:
    verdicts = verdict_order(v for m in report.models for v in m.verdicts)
    header = '<th class="name">model</th>' + "".join(f"<th>{esc(v)}</th>" for v in verdicts)
    rows = [
        f'<tr><td class="name">{esc(m.model)}</td>'
        + "".join(f"<td>{m.verdicts.get(v, 0)}</td>" for v in verdicts)
        + "</tr>"
        for m in report.models
    ]
    return _table("verdicts", header, rows)


def _questions_table(report: Report) -> str:
    header = '<th class="name">question</th><th>released</th>' + "".join(
        f'<th class="model">{_swatch(model_colour(i))}{esc(m.model)}</th>'
        for i, m in enumerate(report.models)
    )
    rows = []
    for q in report.questions:
        released = "unknown" if q.release_month == UNKNOWN_MONTH else esc(q.release_month)
        rows.append(
            f'<tr><td class="name">{esc(q.question_id)}</td><td>{released}</td>'
            + "".join(_rate_cell(q.tallies.get(m.model)) for m in report.models)
            + _rate_cell((q.samples, q.accepted))
            + "</tr>"
        )
    return (
        f'<div class="scroll"><table class="questions"><thead><tr>{header}<th>all</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def render_html(report: Report, sources: Sequence[str]) -> str:
    """The whole page. ``sources`` are the files read, named in the header."""
    generated = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    dated = len(report.questions) - report.undated_questions
    span = f"{report.months[0]} to {report.months[-1]}" if report.months else "none"
    months_note = (
        "Each point is a model's pass@1 averaged over the questions released that month; the gray"
        " band under the axis is how many questions a month holds (a month of few questions is"
        " noisy). A model that saw a question's solution in training tends to score lower on"
        " questions released after its training cutoff (dashed line): that drop is the"
        " contamination picture."
    )
    if report.undated_questions:
        months_note += f" {report.undated_questions} question(s) with no release date are in “unknown”."
    if not report.months:
        months_note += " No result line has a release date: `grader eval --out` writes them."
    model_legend = [(m.model, model_colour(i)) for i, m in enumerate(report.models)]
    verdict_legend = [
        (v, verdict_colour(v)) for v in verdict_order(v for m in report.models for v in m.verdicts)
    ]
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>grader report</title>
<style>{_CSS}</style>
</head>
<body>
<header>
<h1>grader report</h1>
<p class="meta">{report.lines} result lines &middot; {len(report.models)} model(s) &middot;
{len(report.questions)} question(s), {dated} with a release date ({esc(span)}) &middot;
from {", ".join(esc(s) for s in sources)} &middot; generated {generated}</p>
</header>
<section id="models">
<h2>Pass rate per model</h2>
<p class="note">pass@1 and pass@k are the unbiased estimator averaged over questions (pass@k only
where every question of the model has at least k samples); the pass rate is the share of samples
accepted. Samples that could not be graded count as failed.</p>
{pass_rate_bars(report)}
{_models_table(report)}
</section>
<section id="months">
<h2>Pass rate by question release month</h2>
<p class="note">{esc(months_note)}</p>
{_legend(model_legend)}
{month_lines(report)}
</section>
<section id="verdicts">
<h2>Verdicts per model</h2>
{_legend(verdict_legend)}
{verdict_bars(report)}
{_verdicts_table(report)}
</section>
<section id="questions">
<h2>Questions</h2>
<p class="note">Accepted samples / samples per model, by release month (undated last).</p>
{_questions_table(report)}
</section>
<footer>Made by <code>grader report</code>: one file, no script, nothing fetched.</footer>
</body>
</html>
"""
