"""Counting the answers' bands: from the rollup (surveys.models.ScoreRollup)
when it holds exactly the answers asked for (`rollup_dimension` decides for
the comment rollup too, text.models.CommentRollup), else from the raw answers, by
the database in one query per chart (conditional aggregates over the
dimensions frozen on each answer)."""

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime, timedelta
from typing import Any, Literal, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
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

from feedback.metrics.filters import (
    RELATED_DIMENSIONS,
    AnswerFilter,
    Dimension,
    Interval,
)
from feedback.metrics.statistics import BandCounts
from surveys.models import Band, ScoreRollup, SurveyResponse
from text.models import CommentRollup

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


def counts_by(
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


def total_counts(answers: AnswerFilter) -> BandCounts:
    return counts_by(answers)[None]


def journey_counts(answers: AnswerFilter) -> dict[tuple[str, int | None], BandCounts]:
    rollup = _rollup_rows(answers, by="journey")
    if rollup is None:
        rows = live_rows(answers).values("stage", "touchpoint_id")
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
    rows = live_rows(answers, per=per, split_at=split_at)
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


def live_rows(
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
    rollup cannot answer (`rollup_dimension`), or for a theme, sentiment or
    language (it does not count by the comments' reading)."""
    if answers.reads_comments:
        return None
    dimension = rollup_dimension(answers, by=by)
    if dimension is None:
        return None
    return rollup_rows(ScoreRollup.objects.all(), answers, dimension=dimension)


def rollup_dimension(
    answers: AnswerFilter, *, by: Dimension | Literal["journey"] | None
) -> str | None:
    """The dimension of the rollups' rows (ScoreRollup, text.CommentRollup)
    that hold exactly these answers grouped `by`, or None when no row does:
    the rollups are switched off, "latest" mode, a zone other than TIME_ZONE
    (their days are TIME_ZONE's), or more dimensions than one of their rows
    counts by (a filter on one and a breakdown by another, or company and
    staff, which they leave out)."""
    if not settings.METRICS_USE_ROLLUP or answers.mode != "all":
        return None
    if getattr(answers.zone, "key", None) != settings.TIME_ZONE:
        return None
    named = set(answers.dimensions) | ({by} if by not in (None, "survey") else set())
    if len(named) > 1 or not named <= ROLLED_UP:
        return None
    return named.pop() if named else "all"


RollupModel = TypeVar("RollupModel", ScoreRollup, CommentRollup)


def rollup_rows(
    rows: QuerySet[RollupModel], answers: AnswerFilter, *, dimension: str
) -> QuerySet[RollupModel]:
    """A rollup's rows of `dimension` for the answers' kind, survey, value of
    the dimension and days."""
    rows = rows.filter(kind=answers.kind, dimension=dimension)
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
