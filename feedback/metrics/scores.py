"""NPS, CSAT % and CES % with honest statistics (DESIGN.md, "Scales and
formulas"), over any set of answers, per period, per group, per journey cell.

Every figure is made of three band counts, counted by the database in one
query per chart (conditional aggregates over the dimensions frozen on each
answer). The statistics are then plain arithmetic on those counts:

- NPS = 100 · (p − d), p and d the shares of promoters and detractors;
  margin = 1.96 · √((p + d − (p − d)²) / n) · 100.
- CSAT % and CES % = 100 · q, q the share of the positive band;
  margin = 1.96 · √(q (1 − q) / n) · 100.
- A change is significant at 95% when |z| > 1.96: for NPS
  z = (s₁ − s₂) / √(v₁/n₁ + v₂/n₂) with the variances above; for CSAT and
  CES the pooled two-proportion z-test. Below the minimum sample on either
  side there is no verdict (None), as there is no score without a warning.
"""

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import (
    Case,
    Count,
    DateField,
    F,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, NullIf, Trunc

from customers.models import Channel, Company, Stage, Touchpoint
from feedback.metrics.filters import (
    RELATED_DIMENSIONS,
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
from surveys.models import Band, Kind, ScoreRollup, Survey, SurveyResponse

Z_95 = 1.96


@dataclass(frozen=True)
class BandCounts:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    def __add__(self, other: "BandCounts") -> "BandCounts":
        return BandCounts(
            self.promoters + other.promoters,
            self.passives + other.passives,
            self.detractors + other.detractors,
        )


@dataclass(frozen=True)
class Score:
    """The figure of one set of answers. `score` and `margin` are None when
    n is 0; `low_sample` is true below the minimum sample (and at 0)."""

    kind: str
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    margin: float | None
    low_sample: bool
    # Against the previous period or range; None when either side is empty.
    change: float | None = None
    is_significant: bool | None = None

    @property
    def negative_share(self) -> float | None:
        return None if self.n == 0 else self.detractors / self.n


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


def nps(counts: BandCounts) -> float | None:
    if counts.n == 0:
        return None
    return 100 * (counts.promoters - counts.detractors) / counts.n


def nps_variance(counts: BandCounts) -> float:
    """The variance of one answer scored +1 / 0 / −1; call with n > 0."""
    p, d = counts.promoters / counts.n, counts.detractors / counts.n
    return p + d - (p - d) ** 2


def positive_share(counts: BandCounts) -> float | None:
    return None if counts.n == 0 else counts.promoters / counts.n


def score_of(kind: str, counts: BandCounts) -> float | None:
    if kind == Kind.NPS:
        return nps(counts)
    share = positive_share(counts)
    return None if share is None else 100 * share


def variance_of(kind: str, counts: BandCounts) -> float:
    """The variance of one answer: scored +1 / 0 / −1 for NPS, 1 / 0 (positive
    or not) for CSAT and CES; call with n > 0."""
    if kind == Kind.NPS:
        return nps_variance(counts)
    share = counts.promoters / counts.n
    return share * (1 - share)


def margin_of(kind: str, counts: BandCounts) -> float | None:
    """The 95% margin of error, in the score's points."""
    if counts.n == 0:
        return None
    return Z_95 * math.sqrt(max(variance_of(kind, counts), 0.0) / counts.n) * 100


def is_significant_change(
    kind: str, now: BandCounts, before: BandCounts, *, minimum: int = 1
) -> bool | None:
    """Whether the score moved more than chance explains (95%, two-sided);
    None when either side has fewer than `minimum` answers (or none): the
    normal approximation behind z needs a fair sample on both sides — two
    unanimous answers against sixty would otherwise look certain."""
    if now.n < max(minimum, 1) or before.n < max(minimum, 1):
        return None
    if kind == Kind.NPS:
        difference = (now.promoters - now.detractors) / now.n - (
            before.promoters - before.detractors
        ) / before.n
        error = math.sqrt(nps_variance(now) / now.n + nps_variance(before) / before.n)
    else:
        pooled = (now.promoters + before.promoters) / (now.n + before.n)
        difference = now.promoters / now.n - before.promoters / before.n
        error = math.sqrt(pooled * (1 - pooled) * (1 / now.n + 1 / before.n))
    if error == 0:
        # Both sides unanimous: any difference is certain, none is no change.
        return difference != 0
    return abs(difference / error) > Z_95


def figures_of(
    kind: str,
    counts: BandCounts,
    *,
    before: BandCounts | None = None,
    minimum: int,
) -> Score:
    """The score, margin, low-sample flag and (with `before`) the change."""
    score = score_of(kind, counts)
    change = None
    significant = None
    if before is not None:
        earlier = score_of(kind, before)
        if score is not None and earlier is not None:
            change = score - earlier
        significant = is_significant_change(kind, counts, before, minimum=minimum)
    return Score(
        kind=kind,
        n=counts.n,
        promoters=counts.promoters,
        passives=counts.passives,
        detractors=counts.detractors,
        score=None if score is None else round(score, 1),
        margin=_rounded(margin_of(kind, counts)),
        low_sample=counts.n < minimum,
        change=None if change is None else round(change, 1),
        is_significant=significant,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


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
        return figures_of(answers.kind, _total(answers), minimum=minimum_sample())
    both = replace(answers, start=before.start)
    counts = _counts(both, split_at=answers.start)
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
    counts = _counts(widened, per=interval)
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
    counts = _counts(widened, per=interval, by=by)
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
        counts = {(key, True): each for key, each in _counts(answers, by=by).items()}
    else:
        both = replace(answers, start=before.start)
        counts = _counts(both, split_at=answers.start, by=by)
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
    counts = _journey_counts(answers)
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


def _journey_counts(answers: AnswerFilter) -> dict[tuple[str, int | None], BandCounts]:
    rollup = _rollup_rows(answers, by="journey")
    if rollup is None:
        rows = _live_rows(answers).values("stage", "touchpoint_id")
        return {
            (row["stage"], row["touchpoint_id"]): _band_counts(row)
            for row in rows.annotate(**BAND_COUNTS)
        }
    counts = {}
    for row in rollup.values("value").annotate(**ROLLUP_SUMS):
        # "usage/12", or "usage/" without a touchpoint (surveys.services.rollup).
        stage, _, touchpoint = row["value"].partition("/")
        counts[stage, int(touchpoint) if touchpoint else None] = _band_counts(row)
    return counts


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


BAND_COUNTS: dict[str, Combinable] = {
    "promoters": Count("pk", filter=Q(band=Band.PROMOTER)),
    "passives": Count("pk", filter=Q(band=Band.PASSIVE)),
    "detractors": Count("pk", filter=Q(band=Band.DETRACTOR)),
}
ROLLUP_SUMS: dict[str, Combinable] = {
    band: Coalesce(Sum(band), 0) for band in ("promoters", "passives", "detractors")
}
# The dimensions the rollup counts by (besides survey, which it always has);
# "journey" is the journey map's cell, stage and touchpoint.
ROLLED_UP: frozenset[str] = frozenset(
    {"channel", "touchpoint", "stage", "segment", "journey"}
)


def _counts(
    answers: AnswerFilter,
    *,
    per: Interval | None = None,
    split_at: date | None = None,
    by: Dimension | None = None,
) -> dict[Any, BandCounts]:
    """Band counts of the answers, in one query, keyed by:

    - the first day of the period (`per`), or whether the answer is on or
      after `split_at` (True) or before it (False);
    - the value of `by`;
    - (value, period or side) with both; None with neither.
    """
    rows, group, aggregates = _rollup_query(
        answers, per=per, split_at=split_at, by=by
    ) or _live_query(answers, per=per, split_at=split_at, by=by)
    if not group:
        return {None: _band_counts(rows.aggregate(**aggregates))}
    counts: dict[Any, BandCounts] = {}
    for row in rows.values(**group).annotate(**aggregates):
        group_key = row.get("group_key")
        period_key = row.get("period_key")
        if per is not None:
            period_key = _as_date(period_key, answers.zone)
        if by is None:
            key = period_key
        elif "period_key" not in row:
            key = group_key
        else:
            key = (group_key, period_key)
        counts[key] = counts.get(key, BandCounts()) + _band_counts(row)
    return counts


# The rows to count, what to group them by, and how to count them.
Query = tuple[QuerySet[Any], dict[str, Combinable], dict[str, Combinable]]


def _rollup_query(
    answers: AnswerFilter,
    *,
    per: Interval | None,
    split_at: date | None,
    by: Dimension | None,
) -> Query | None:
    rows = _rollup_rows(answers, by=by)
    if rows is None:
        return None
    group: dict[str, Combinable] = {}
    if by == "survey":
        group["group_key"] = F("survey_id")
    elif by == "touchpoint":
        # The touchpoint's id as text, "" for none: back to what the answers hold.
        group["group_key"] = Cast(NullIf("value", Value("")), IntegerField())
    elif by is not None:
        group["group_key"] = F("value")
    if split_at is not None:
        group["period_key"] = Case(
            When(day__gte=split_at, then=Value(True)), default=Value(False)
        )
    elif per is not None:
        group["period_key"] = Trunc("day", per, output_field=DateField())
    return rows, group, ROLLUP_SUMS


def _live_query(
    answers: AnswerFilter,
    *,
    per: Interval | None,
    split_at: date | None,
    by: Dimension | None,
) -> Query:
    rows = _live_rows(answers, per=per, split_at=split_at)
    group: dict[str, Combinable] = {}
    if by is not None:
        group["group_key"] = F(f"{by}_id" if by in RELATED_DIMENSIONS else by)
    if split_at is not None:
        group["period_key"] = Case(
            When(answered_at__gte=answers.midnight(split_at), then=Value(True)),
            default=Value(False),
        )
    elif per is not None:
        group["period_key"] = _period_of_answer(per, answers.zone)
    return rows, group, BAND_COUNTS


def _total(answers: AnswerFilter) -> BandCounts:
    return _counts(answers)[None]


def _live_rows(
    answers: AnswerFilter,
    *,
    per: Interval | None = None,
    split_at: date | None = None,
) -> QuerySet[SurveyResponse]:
    """The raw answers counted: all, or in "latest" mode each customer's
    latest in the range, in each period of `per`, or on each side of
    `split_at`."""
    if answers.mode == "all":
        return answers.selected()
    if split_at is not None:
        before = replace(answers, end=split_at - timedelta(days=1))
        after = replace(answers, start=split_at)
        return SurveyResponse.objects.filter(
            Q(id__in=before.selected().values("id"))
            | Q(id__in=after.selected().values("id"))
        ).order_by()
    if per is None:
        return answers.selected()
    return answers.latest_per_customer(period=_period_of_answer(per, answers.zone))


def _rollup_rows(
    answers: AnswerFilter, *, by: Dimension | Literal["journey"] | None
) -> QuerySet[ScoreRollup] | None:
    """The rollup's rows holding exactly these answers, or None when the
    rollup cannot answer: it is switched off, "latest" mode, a zone other
    than TIME_ZONE (its days are TIME_ZONE's), or more dimensions than one
    of its rows counts by (a filter on one and a breakdown by another, or
    company and staff, which it leaves out)."""
    if not settings.METRICS_USE_ROLLUP or answers.mode != "all":
        return None
    if getattr(answers.zone, "key", None) != settings.TIME_ZONE:
        return None
    named = set(answers.dimensions) | ({by} if by not in (None, "survey") else set())
    if len(named) > 1 or not named <= ROLLED_UP:
        return None
    dimension = named.pop() if named else "all"
    rows = ScoreRollup.objects.filter(kind=answers.kind, dimension=dimension)
    if dimension in answers.dimensions:
        rows = rows.filter(value=str(answers.dimensions[dimension]))
    if answers.survey is not None:
        rows = rows.filter(survey_id=answers.survey)
    if answers.start is not None:
        rows = rows.filter(day__gte=answers.start)
    if answers.end is not None:
        rows = rows.filter(day__lte=answers.end)
    return rows.order_by()


def _period_of_answer(interval: Interval, zone: ZoneInfo) -> Trunc:
    return Trunc("answered_at", interval, tzinfo=zone)


def _as_date(value: date | datetime, zone: ZoneInfo) -> date:
    if isinstance(value, datetime):
        return value.astimezone(zone).date() if value.tzinfo else value.date()
    return value


def _band_counts(row: Mapping[str, Any]) -> BandCounts:
    return BandCounts(
        promoters=row["promoters"] or 0,
        passives=row["passives"] or 0,
        detractors=row["detractors"] or 0,
    )


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
