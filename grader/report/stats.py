"""What a report shows, computed from result lines: per model, per question, per release month."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from grader.judge.passk import Tallies
from grader.judge.passk import Tally as Tally  # what a report's tables show per question
from grader.report.results import UNKNOWN_MONTH, ResultLine


@dataclass(frozen=True, slots=True)
class MonthPoint:
    questions: int
    pass_at_1: float


@dataclass(frozen=True, slots=True)
class CutoffSplit:
    """pass@1 of a model on the questions released up to its cutoff month and after it."""

    cutoff: str
    before: MonthPoint | None
    after: MonthPoint | None
    undated: int
    """Questions with no release date, in neither side."""


@dataclass(slots=True)
class ModelStats:
    model: str
    samples: int = 0
    accepted: int = 0
    errors: int = 0
    """Samples that were not graded (``ERROR_*`` verdicts): counted as failed."""
    verdicts: Counter[str] = field(default_factory=Counter)
    tallies: dict[str, Tally] = field(default_factory=dict)
    """Per question id: (samples, accepted)."""
    pass_at_k: dict[int, float] = field(default_factory=dict)
    """pass@k (mean over questions) for every k all its questions have samples for."""
    by_month: dict[str, MonthPoint] = field(default_factory=dict)
    cutoff: CutoffSplit | None = None

    @property
    def questions(self) -> int:
        return len(self.tallies)

    @property
    def pass_rate(self) -> float:
        """The share of samples accepted (pass@1 when every question has as many samples)."""
        return self.accepted / self.samples if self.samples else 0.0


@dataclass(frozen=True, slots=True)
class QuestionStats:
    question_id: str
    release_month: str
    tallies: dict[str, Tally]
    """Per model that answered it: (samples, accepted)."""

    @property
    def samples(self) -> int:
        return sum(n for n, _ in self.tallies.values())

    @property
    def accepted(self) -> int:
        return sum(c for _, c in self.tallies.values())

    @property
    def pass_rate(self) -> float:
        return self.accepted / self.samples if self.samples else 0.0


@dataclass(frozen=True, slots=True)
class Report:
    models: list[ModelStats]
    """In order of first appearance in the files."""
    questions: list[QuestionStats]
    """By release month (undated last), then id."""
    months: list[str]
    """Every month from the first to the last release month (and cutoff), gaps included."""
    undated_questions: int
    cutoffs: dict[str, str]
    lines: int

    @property
    def ks(self) -> list[int]:
        """Every k some model has pass@k for."""
        return sorted({k for m in self.models for k in m.pass_at_k})


def _mean_pass_at_1(tallies: Iterable[Tally]) -> MonthPoint | None:
    as_list = list(tallies)
    if not as_list:
        return None
    return MonthPoint(len(as_list), sum(c / n for n, c in as_list) / len(as_list))


def month_range(months: Iterable[str]) -> list[str]:
    """Every ``YYYY-MM`` from the earliest to the latest of ``months``, in order."""
    known = sorted(set(months))
    if not known:
        return []
    year, month = map(int, known[0].split("-"))
    last = known[-1]
    out = []
    while True:
        current = f"{year:04}-{month:02}"
        out.append(current)
        if current >= last:
            return out
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def build_report(lines: Sequence[ResultLine], cutoffs: Mapping[str, str] | None = None) -> Report:
    """Aggregates result lines. A question's release month is the first one given for it on any
    line. ``cutoffs`` maps a model to its training-cutoff month (``YYYY-MM``)."""
    cutoffs = dict(cutoffs or {})
    models: dict[str, ModelStats] = {}
    counts: dict[str, Tallies] = defaultdict(Tallies)
    released: dict[str, str] = {}
    for line in lines:
        stats = models.setdefault(line.model, ModelStats(line.model))
        stats.samples += 1
        stats.accepted += line.passed
        stats.errors += line.verdict.startswith("ERROR_")
        stats.verdicts[line.verdict] += 1
        counts[line.model].add(line.question_id, line.passed)
        if released.get(line.question_id, UNKNOWN_MONTH) == UNKNOWN_MONTH:
            released[line.question_id] = line.release_month
    for model, stats in models.items():
        stats.tallies = dict(counts[model])
        stats.pass_at_k = counts[model].overall()
        per_month: dict[str, list[Tally]] = defaultdict(list)
        for qid, tally in stats.tallies.items():
            per_month[released[qid]].append(tally)
        stats.by_month = {
            m: point for m, t in sorted(per_month.items()) if (point := _mean_pass_at_1(t)) is not None
        }
        if model in cutoffs:
            cutoff = cutoffs[model]
            dated = [(released[q], t) for q, t in stats.tallies.items() if released[q] != UNKNOWN_MONTH]
            stats.cutoff = CutoffSplit(
                cutoff,
                before=_mean_pass_at_1(t for m, t in dated if m <= cutoff),
                after=_mean_pass_at_1(t for m, t in dated if m > cutoff),
                undated=stats.questions - len(dated),
            )
    questions = [
        QuestionStats(qid, month, {m: models[m].tallies[qid] for m in models if qid in models[m].tallies})
        for qid, month in released.items()
    ]
    questions.sort(key=lambda q: (q.release_month == UNKNOWN_MONTH, q.release_month, q.question_id))
    dated_months = [m for m in released.values() if m != UNKNOWN_MONTH]
    return Report(
        models=list(models.values()),
        questions=questions,
        months=month_range([*dated_months, *cutoffs.values()]) if dated_months else [],
        undated_questions=sum(m == UNKNOWN_MONTH for m in released.values()),
        cutoffs=cutoffs,
        lines=len(lines),
    )
