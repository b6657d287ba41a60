"""The report's plots as inline SVG (no script, no external resource). Every string drawn comes
from users (model names, question ids) and is escaped."""

from __future__ import annotations

import html
import math
from collections import Counter
from collections.abc import Callable, Iterable

from grader.report.results import UNKNOWN_MONTH
from grader.report.stats import ModelStats, Report

WIDTH = 960
_PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
            "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#7f7f7f")  # fmt: skip
_DASHES = ("", "7 4", "2 3", "9 3 2 3")
_VERDICT_COLOURS = {
    "ACCEPTED": "#59a14f",
    "WRONG_ANSWER": "#e15759",
    "TIME_LIMIT_EXCEEDED": "#f28e2b",
    "MEMORY_LIMIT_EXCEEDED": "#b07aa1",
    "RUNTIME_ERROR": "#9c755f",
    "COMPILE_ERROR": "#edc948",
    "OUTPUT_LIMIT_EXCEEDED": "#ff9da7",
    "SKIPPED": "#c9c9c9",
    "INTERNAL_ERROR": "#3b3b3b",
    "NO_CODE": "#a0a0a0",
}
_NOT_GRADED_COLOUR = "#76b7b2"  # ERROR_* : the sample could not be graded
_OTHER_COLOUR = "#4e79a7"


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def percent(value: float) -> str:
    return f"{100 * value:.1f}%"


def model_colour(index: int) -> str:
    return _PALETTE[index % len(_PALETTE)]


def model_dash(index: int) -> str:
    """Lines of models past the palette's length are told apart by their dash pattern."""
    return _DASHES[(index // len(_PALETTE)) % len(_DASHES)]


def verdict_colour(verdict: str) -> str:
    if verdict in _VERDICT_COLOURS:
        return _VERDICT_COLOURS[verdict]
    return _NOT_GRADED_COLOUR if verdict.startswith("ERROR_") else _OTHER_COLOUR


def verdict_order(verdicts: Iterable[str]) -> list[str]:
    """Known verdicts in their usual order (ACCEPTED first), then not-graded, then the rest."""
    known = list(_VERDICT_COLOURS)

    def rank(v: str) -> tuple[int, int, str]:
        if v in _VERDICT_COLOURS:
            return (0, known.index(v), v)
        return (1 if v.startswith("ERROR_") else 2, 0, v)

    return sorted(set(verdicts), key=rank)


def _svg(height: float, label: str, body: list[str]) -> str:
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height:.0f}"'
        f' role="img" aria-label="{esc(label)}"><title>{esc(label)}</title>' + "".join(body) + "</svg>"
    )


_LABEL_W, _ROW_H, _VALUE_W = 300, 28, 70
_LABEL_CHARS = 34


def pass_rate_bars(report: Report) -> str:
    """One horizontal bar per model: pass@1, with the model's colour."""
    bar_w = WIDTH - _LABEL_W - _VALUE_W
    body = []
    for i, m in enumerate(report.models):
        y = 8 + i * _ROW_H
        value = m.pass_at_k.get(1, 0.0)
        body.append(
            f"<g><title>{esc(m.model)}: pass@1 {percent(value)} over {m.questions} questions"
            f" ({m.accepted}/{m.samples} samples accepted)</title>"
            f'<text x="{_LABEL_W - 10}" y="{y + 18}" text-anchor="end" class="label">'
            f"{esc(clip(m.model, _LABEL_CHARS))}</text>"
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{bar_w}" height="{_ROW_H - 8}" class="track"/>'
            f'<rect x="{_LABEL_W}" y="{y + 4}" width="{bar_w * value:.1f}" height="{_ROW_H - 8}"'
            f' fill="{model_colour(i)}"/>'
            f'<text x="{_LABEL_W + bar_w + 8}" y="{y + 18}" class="value">{percent(value)}</text></g>'
        )
    return _svg(16 + len(report.models) * _ROW_H, "pass@1 per model", body)


def verdict_bars(report: Report) -> str:
    """One stacked bar per model: the share of its samples with each verdict."""
    bar_w = WIDTH - _LABEL_W - _VALUE_W
    body = []
    for i, m in enumerate(report.models):
        y = 8 + i * _ROW_H
        body.append(
            f'<text x="{_LABEL_W - 10}" y="{y + 18}" text-anchor="end" class="label">'
            f"<title>{esc(m.model)}</title>{esc(clip(m.model, _LABEL_CHARS))}</text>"
        )
        x = float(_LABEL_W)
        for verdict in verdict_order(m.verdicts):
            count = m.verdicts[verdict]
            w = bar_w * count / m.samples
            share = percent(count / m.samples)
            body.append(
                f"<g><title>{esc(m.model)}: {esc(verdict)} {count} of {m.samples} ({share})</title>"
                f'<rect x="{x:.1f}" y="{y + 4}" width="{w:.1f}" height="{_ROW_H - 8}"'
                f' fill="{verdict_colour(verdict)}" class="segment"/>'
            )
            if w >= 44:
                body.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 18}" text-anchor="middle" class="inbar">'
                    f"{count / m.samples * 100:.0f}%</text>"
                )
            body.append("</g>")
            x += w
        body.append(f'<text x="{_LABEL_W + bar_w + 8}" y="{y + 18}" class="value">n={m.samples}</text>')
    return _svg(16 + len(report.models) * _ROW_H, "verdicts per model", body)


def month_lines(report: Report) -> str:
    """pass@1 by question release month, one line per model, undated questions in a bucket of
    their own at the right; a model's cutoff is a dashed vertical line after its month."""
    months = report.months
    undated = report.undated_questions > 0
    slots = len(months) + (2 if undated and months else 1 if undated else 0)
    drawn_cutoffs = [(i, m) for i, m in enumerate(report.models) if report.cutoffs.get(m.model) in months]
    left, right = 64.0, WIDTH - 16.0
    top = 16.0 + 18 * max(1, len(drawn_cutoffs))
    plot_h, band_h = 260.0, 28.0
    bottom = top + plot_h
    step = (right - left) / max(1, slots)

    def x_of(slot: int) -> float:
        return left + step * (slot + 0.5)

    def y_of(value: float) -> float:
        return top + (1 - value) * plot_h

    slot_of = {m: i for i, m in enumerate(months)}
    if undated:
        slot_of[UNKNOWN_MONTH] = slots - 1
    body = []
    for tick in (0.0, 0.25, 0.5, 0.75, 1.0):
        y = y_of(tick)
        body.append(f'<line x1="{left}" x2="{right}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>')
        body.append(f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick:.0%}</text>')
    body.append(
        f'<text transform="translate(14 {top + plot_h / 2:.0f}) rotate(-90)" text-anchor="middle"'
        ' class="axis">pass@1</text>'
    )
    if undated and months:
        gap_x = left + step * (slots - 2 + 0.5)
        body.append(f'<line x1="{gap_x:.1f}" x2="{gap_x:.1f}" y1="{top}" y2="{bottom}" class="gap"/>')
    # How many questions each month holds: a thin band under the axis (few questions: noisy).
    per_slot = Counter(slot_of[q.release_month] for q in report.questions)
    most = max(per_slot.values(), default=1)
    every = max(1, math.ceil(len(months) / 18))
    for month, slot in slot_of.items():
        n = per_slot.get(slot, 0)
        h = band_h * n / most
        x = x_of(slot)
        body.append(
            f"<g><title>{n} question(s) released in {esc(month)}</title>"
            f'<rect x="{x - step * 0.35:.1f}" y="{bottom + 6 + band_h - h:.1f}" width="{step * 0.7:.1f}"'
            f' height="{h:.1f}" class="count"/></g>'
        )
        if month == UNKNOWN_MONTH or slot % every == 0:
            body.append(
                f'<text transform="translate({x:.1f} {bottom + band_h + 20:.1f}) rotate(-40)"'
                f' text-anchor="end" class="tick">{esc(month)}</text>'
            )
    body.append(
        f'<text x="{left}" y="{bottom + band_h + 4:.1f}" text-anchor="end" class="note">questions</text>'
    )
    for i, m in enumerate(report.models):
        body.append(_model_line(m, i, slot_of, x_of, y_of))
    for row, (i, m) in enumerate(drawn_cutoffs):
        month = report.cutoffs[m.model]
        x = x_of(slot_of[month]) + step / 2
        label_y = 14 + 18 * row
        anchor = "end" if x > (left + right) / 2 else "start"
        shift = -4 if anchor == "end" else 4
        body.append(
            f"<g><title>{esc(m.model)}: training cutoff {esc(month)}</title>"
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{label_y + 4}" y2="{bottom}" stroke="{model_colour(i)}"'
            f' class="cutoff"/><text x="{x + shift:.1f}" y="{label_y}" text-anchor="{anchor}"'
            f' fill="{model_colour(i)}" class="cutoff-label">cutoff {esc(clip(m.model, _LABEL_CHARS))}'
            f" ({esc(month)})</text></g>"
        )
    return _svg(bottom + band_h + 80, "pass@1 by question release month, per model", body)


def _model_line(
    m: ModelStats,
    index: int,
    slot_of: dict[str, int],
    x_of: Callable[[int], float],
    y_of: Callable[[float], float],
) -> str:
    colour, dash = model_colour(index), model_dash(index)
    points = [(month, p) for month, p in m.by_month.items() if month != UNKNOWN_MONTH and month in slot_of]
    parts = [f'<g class="model-line" data-model="{esc(m.model)}">']
    if len(points) > 1:
        coords = " ".join(f"{x_of(slot_of[month]):.1f},{y_of(p.pass_at_1):.1f}" for month, p in points)
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(f'<polyline points="{coords}" stroke="{colour}"{dash_attr} class="line"/>')
    for month, p in m.by_month.items():
        if month not in slot_of:
            continue
        hollow = ' class="undated"' if month == UNKNOWN_MONTH else ""
        parts.append(
            f'<circle cx="{x_of(slot_of[month]):.1f}" cy="{y_of(p.pass_at_1):.1f}" r="4.5"'
            f' fill="{colour}" stroke="{colour}"{hollow}><title>{esc(m.model)}, {esc(month)}:'
            f" pass@1 {percent(p.pass_at_1)} over {p.questions} question(s)</title></circle>"
        )
    parts.append("</g>")
    return "".join(parts)
