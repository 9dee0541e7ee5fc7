"""NPS, CSAT % and CES % with honest statistics (DESIGN.md, "Scales and
formulas"), over any set of answers, per period, per group, per journey cell.

Every figure is made of three band counts, counted by the database in one
query per chart (`counting`: conditional aggregates over the dimensions
frozen on each answer). The statistics are then plain arithmetic on those
counts (`statistics`, where the formulas are written out).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model

from customers.models import Channel, Company, Stage, Touchpoint
from feedback.metrics.counting import counts_by, journey_counts, total_counts
from feedback.metrics.filters import (
    AnswerFilter,
    Dimension,
    Interval,
    minimum_sample,
)
from feedback.metrics.loop import MISSING_LABEL
from feedback.metrics.periods import (
    period_end,
    period_label,
    periods_between,
    previous_period,
)
from feedback.metrics.statistics import BandCounts, Score, figures_of
from surveys.models import Survey


@dataclass(frozen=True)
class Period:
    """One point of a trend: the aware start of the period in the filter's
    zone, a label ("2026-W47", "2026-11-23", "2026-11", "2026-Q4") and the
    score of the answers in it."""

    start: date
    label: str
    figures: Score


@dataclass(frozen=True)
class Group:
    """One row of a breakdown: the dimension's value (an id for survey,
    touchpoint, company and staff; the text otherwise, "" for none), its
    label, and the score."""

    key: str | int | None
    label: str
    figures: Score


@dataclass(frozen=True)
class JourneyCell:
    stage: str
    touchpoint: int | None
    touchpoint_label: str
    figures: Score


@dataclass(frozen=True)
class PainPoint:
    """A journey cell ranked by `impact` = negative share × the cell's share
    of all answers (= its negative answers over all answers)."""

    cell: JourneyCell
    impact: float


@dataclass(frozen=True)
class Series:
    """A trend of one group (`trend_by`): the group's key and label as in
    `Group`, and its periods."""

    key: str | int | None
    label: str
    periods: list[Period]


def headline(answers: AnswerFilter) -> Score:
    """The score of the set, with the change from the equally long range
    before it (`answers.previous()`). One query."""
    before = answers.previous()
    if before is None:
        return figures_of(answers.kind, total_counts(answers), minimum=minimum_sample())
    both = replace(answers, start=before.start)
    counts = counts_by(both, split_at=answers.start)
    return figures_of(
        answers.kind,
        counts.get(True, BandCounts()),
        before=counts.get(False, BandCounts()),
        minimum=minimum_sample(),
    )


def trend(answers: AnswerFilter, *, interval: Interval = "week") -> list[Period]:
    """One Period per `interval` from the period holding `answers.start` to
    the one holding `answers.end` (whole periods: the range is widened to
    their bounds), empty ones included (n 0, score None), each with the
    change from the period before it (the first one's from the period
    before the range). Weeks start on Monday, in `answers.zone`. In
    "latest" mode each customer counts once per period (their latest answer
    in it). One query."""
    starts = _period_starts(answers, interval)
    widened = replace(
        answers,
        start=previous_period(starts[0], interval),
        end=period_end(starts[-1], interval),
    )
    counts = counts_by(widened, per=interval)
    return _periods(answers.kind, starts, counts, interval=interval)


def trend_by(
    answers: AnswerFilter, *, by: Dimension, interval: Interval = "week"
) -> list[Series]:
    """`trend` for each value of one dimension that has answers in the
    range, groups with most answers first. One query for the counts, one for
    the labels of related rows."""
    starts = _period_starts(answers, interval)
    widened = replace(
        answers,
        start=previous_period(starts[0], interval),
        end=period_end(starts[-1], interval),
    )
    counts = counts_by(widened, per=interval, by=by)
    by_group: dict[Any, dict[date, BandCounts]] = defaultdict(dict)
    for (key, start), each in counts.items():
        by_group[key][start] = each
    shown = set(starts)
    totals = {
        key: sum(each.n for start, each in periods.items() if start in shown)
        for key, periods in by_group.items()
    }
    keys = [key for key in by_group if totals[key]]
    labels = group_labels(by, keys)
    keys.sort(key=lambda key: (-totals[key], labels[key]))
    return [
        Series(
            key=key,
            label=labels[key],
            periods=_periods(answers.kind, starts, by_group[key], interval=interval),
        )
        for key in keys
    ]


def breakdown(
    answers: AnswerFilter,
    *,
    by: Dimension,
    with_change: bool = True,
    limit: int | None = None,
) -> list[Group]:
    """One Group per value of `by` among the answers, best score first
    (ties: more answers first), each with the change from the range before
    (unless `with_change` is false: then the range before is not read).
    With `limit`, only that many groups: those with the most answers (a
    breakdown by company can have as many groups as companies). In "latest"
    mode each customer counts once (their latest answer in the range). One
    query for the counts (both ranges), one for labels."""
    before = answers.previous() if with_change else None
    if before is None:
        counts = {(key, True): each for key, each in counts_by(answers, by=by).items()}
    else:
        both = replace(answers, start=before.start)
        counts = counts_by(both, split_at=answers.start, by=by)
    keys = [key for key, is_current in counts if is_current]
    if limit is not None:
        # Ties on volume by key, so that the same groups make the cut each time.
        keys = sorted(keys, key=lambda key: (-counts[key, True].n, str(key)))[:limit]
    labels = group_labels(by, keys)
    groups = [
        Group(
            key=key,
            label=labels[key],
            figures=figures_of(
                answers.kind,
                counts[key, True],
                before=None
                if before is None
                else counts.get((key, False), BandCounts()),
                minimum=minimum_sample(),
            ),
        )
        for key in keys
    ]
    return sorted(groups, key=_best_first)


def journey(answers: AnswerFilter) -> list[JourneyCell]:
    """The journey map: one cell per (stage, touchpoint) with answers,
    stages in journey order, then touchpoints by name. One query (and one
    for touchpoint names)."""
    counts = journey_counts(answers)
    labels = group_labels("touchpoint", [touchpoint for _, touchpoint in counts])
    stage_order = {stage: position for position, stage in enumerate(Stage.values)}
    cells = [
        JourneyCell(
            stage=stage,
            touchpoint=touchpoint,
            touchpoint_label=labels[touchpoint],
            figures=figures_of(answers.kind, each, minimum=minimum_sample()),
        )
        for (stage, touchpoint), each in counts.items()
    ]
    return sorted(
        cells,
        key=lambda cell: (
            stage_order.get(cell.stage, len(stage_order)),
            cell.touchpoint is None,
            cell.touchpoint_label,
        ),
    )


def pain_points(cells: list[JourneyCell], *, limit: int = 5) -> list[PainPoint]:
    """The cells with negative answers, highest impact first (ties: the
    larger cell)."""
    total = sum(cell.figures.n for cell in cells)
    ranked = [
        PainPoint(cell=cell, impact=round(cell.figures.detractors / total, 4))
        for cell in cells
        if cell.figures.detractors
    ]
    ranked.sort(key=lambda point: (-point.impact, -point.cell.figures.n))
    return ranked[:limit]


def group_labels(by: Dimension, keys: Iterable[Any]) -> dict[Any, str]:
    """What to call each value of a dimension: the name of the related row,
    the choice's label, or the text itself; "—" for none. One query for
    related rows, none otherwise."""
    keys = list(keys)
    known = [key for key in keys if key not in (None, "")]
    names: dict[Any, str] = {}
    if by == "survey":
        names = dict(Survey.objects.filter(id__in=known).values_list("id", "name"))
    elif by == "touchpoint":
        names = dict(Touchpoint.objects.filter(id__in=known).values_list("id", "name"))
    elif by == "company":
        names = dict(Company.objects.filter(id__in=known).values_list("id", "name"))
    elif by == "staff":
        users = get_user_model().objects.filter(id__in=known)
        for pk, username, first, last in users.values_list(
            "pk", "username", "first_name", "last_name"
        ):
            names[pk] = f"{first} {last}".strip() or username
    elif by == "channel":
        names = {key: str(Channel(key).label) for key in known if key in Channel.values}
    elif by == "stage":
        names = {key: str(Stage(key).label) for key in known if key in Stage.values}
    return {
        key: MISSING_LABEL if key in (None, "") else names.get(key, str(key))
        for key in keys
    }


def _period_starts(answers: AnswerFilter, interval: Interval) -> list[date]:
    if answers.start is None or answers.end is None:
        raise ValueError("A trend needs a range with both ends.")
    return periods_between(answers.start, answers.end, interval)


def _periods(
    kind: str,
    starts: list[date],
    counts: Mapping[date, BandCounts],
    *,
    interval: Interval,
) -> list[Period]:
    minimum = minimum_sample()
    before = counts.get(previous_period(starts[0], interval), BandCounts())
    periods = []
    for start in starts:
        each = counts.get(start, BandCounts())
        periods.append(
            Period(
                start=start,
                label=period_label(start, interval),
                figures=figures_of(kind, each, before=before, minimum=minimum),
            )
        )
        before = each
    return periods


def _best_first(group: Group) -> tuple[bool, float, int, str]:
    score = group.figures.score
    return (score is None, -(score or 0.0), -group.figures.n, group.label)
