"""A KPI's value against its target: over the last period of its review
cadence, with n, the 95% margin, a low-sample flag and a weekly trend.

`kpi_statuses` computes a page of KPIs with a fixed number of queries
(conditional aggregates, one set per table the formulas read), so that a
list costs the same for 5 KPIs as for 50. Medians (times to first contact
and to close) are the database's PERCENTILE_CONT on PostgreSQL, with a
distribution-free interval from the order statistics at ranks
n/2 ± 1.96·√n/2; SQLite has no percentiles, so there the durations are read
and the medians taken here.
"""

import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db import connections
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    ExpressionWrapper,
    FloatField,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Trunc
from django.utils import timezone

from feedback.metrics.filters import minimum_sample
from pilots.models import Cadence, Direction, Kpi
from pilots.services.sources import (
    Source,
    filter_condition,
    midnight,
    source_of,
    with_filter_aliases,
)
from pilots.statistics.cells import standard_error
from pilots.statistics.measures import SCALE, Moments

CADENCE_DAYS = {Cadence.WEEKLY: 7, Cadence.MONTHLY: 30, Cadence.QUARTERLY: 91}
TREND_WEEKS = 13
Z_95 = 1.959963984540054


class Percentile(Aggregate):
    """PostgreSQL's PERCENTILE_CONT (or _DISC) at `fraction`."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(
        self, expression: Any, *, fraction: float, discrete: bool = False, **extra: Any
    ) -> None:
        super().__init__(expression, fraction=f"{fraction:.12f}", **extra)
        if discrete:
            self.function = "PERCENTILE_DISC"


@dataclass(frozen=True)
class TrendPoint:
    week: date
    n: int
    value: float | None


@dataclass(frozen=True)
class KpiStatus:
    """The value over [start, end] (points for NPS, 0…100 for shares and
    rates, hours for durations); `on_target` None without a target or a
    value."""

    kpi_id: int
    start: date
    end: date
    value: float | None
    n: int
    margin: float | None
    low_sample: bool
    target: float | None
    direction: str
    on_target: bool | None
    trend: list[TrendPoint]


def period_of(kpi: Kpi, *, today: date) -> tuple[date, date]:
    days = CADENCE_DAYS.get(Cadence(kpi.review_cadence), 30)
    return today - timedelta(days - 1), today


def kpi_status(kpi: Kpi, *, today: date) -> KpiStatus:
    return kpi_statuses([kpi], today=today)[kpi.pk]


def kpi_statuses(kpis: Sequence[Kpi], *, today: date) -> dict[int, KpiStatus]:
    """The status of each KPI, keyed by id: per table read, one query for
    the values, one for the weekly trend (and on PostgreSQL one for the
    intervals of medians)."""
    by_table: dict[type, list[tuple[Kpi, Source]]] = defaultdict(list)
    for kpi in kpis:
        source = source_of(kpi.formula)
        by_table[source.model].append((kpi, source))
    statuses: dict[int, KpiStatus] = {}
    for members in by_table.values():
        statuses.update(_table_statuses(members, today=today))
    return statuses


def _condition(kpi: Kpi, source: Source) -> Q:
    return source.rows & filter_condition(source, kpi.filters or {})


def _base(source: Source, start: date, end: date) -> QuerySet[Any]:
    queryset = with_filter_aliases(source, source.model._default_manager.order_by())
    return queryset.filter(
        **{
            f"{source.time}__gte": midnight(start),
            f"{source.time}__lt": midnight(end + timedelta(1)),
        }
    )


def _moment_aggregates(
    members: Iterable[tuple[Kpi, Source]], *, windows: dict[int, Q] | None = None
) -> dict[str, Aggregate]:
    aggregates: dict[str, Aggregate] = {}
    for kpi, source in members:
        condition = _condition(kpi, source)
        if windows is not None:
            condition &= windows[kpi.pk]
        score = source.score()
        aggregates[f"n_{kpi.pk}"] = Count("pk", filter=condition)
        aggregates[f"t_{kpi.pk}"] = Sum(score, filter=condition)
        aggregates[f"s_{kpi.pk}"] = Sum(score * score, filter=condition)
    return aggregates


def _moments(row: dict[str, Any], kpi_id: int) -> Moments:
    return Moments(
        n=int(row[f"n_{kpi_id}"] or 0),
        total=float(row[f"t_{kpi_id}"] or 0.0),
        total_of_squares=float(row[f"s_{kpi_id}"] or 0.0),
    )


def _mean_value(moments: Moments, source: Source) -> tuple[float | None, float | None]:
    if moments.n == 0:
        return None, None
    value = moments.mean * SCALE[source.measure]
    return value, Z_95 * standard_error(moments, measure=source.measure)


def median_ranks(n: int) -> tuple[int, int]:
    """The ranks (1…n) of the order statistics bounding a 95% interval of
    the median: n/2 ± 1.96·√n/2 (the normal approximation to the binomial),
    widened to whole ranks."""
    half = Z_95 * math.sqrt(n) / 2
    return max(math.floor(n / 2 - half), 1), min(math.ceil(n / 2 + half) + 1, n)


def rank_fraction(rank: int, n: int) -> float:
    """PERCENTILE_DISC(f) is the ⌈f·n⌉-th value: f = (rank − ½) / n."""
    return (rank - 0.5) / n


def median_margin(values: Sequence[float]) -> float | None:
    """Half the width of the median's 95% interval."""
    ordered = sorted(values)
    if len(ordered) < 2:
        return None
    low, high = median_ranks(len(ordered))
    return (ordered[high - 1] - ordered[low - 1]) / 2


def _table_statuses(
    members: list[tuple[Kpi, Source]], *, today: date
) -> dict[int, KpiStatus]:
    periods = {kpi.pk: period_of(kpi, today=today) for kpi, _ in members}
    first_week = _monday(today) - timedelta(weeks=TREND_WEEKS - 1)
    start = min([first_week, *(start for start, _ in periods.values())])
    source = members[0][1]
    base = _base(source, start, today)
    windows = {
        kpi_id: Q(**{f"{source.time}__gte": midnight(period_start)})
        for kpi_id, (period_start, _) in periods.items()
    }
    trend_window = Q(**{f"{source.time}__gte": midnight(first_week)})
    medians = [(kpi, each) for kpi, each in members if each.is_median]
    use_database = connections[base.db].vendor == "postgresql"

    totals = base.aggregate(**_moment_aggregates(members, windows=windows))
    zone = timezone.get_default_timezone()
    weekly_aggregates = _moment_aggregates(members)
    if use_database:
        for kpi, each in medians:
            weekly_aggregates[f"m_{kpi.pk}"] = Percentile(
                each.score(), fraction=0.5, filter=_condition(kpi, each)
            )
    weekly_rows = (
        base.filter(trend_window)
        .values(week=Trunc(source.time, "week", tzinfo=zone))
        .annotate(**weekly_aggregates)
    )
    weekly = {_as_date(row["week"]): row for row in weekly_rows}
    median_figures = (
        _database_medians(base, medians, windows, totals)
        if use_database
        else _python_medians(base, medians, windows, trend_window, zone)
    )

    statuses = {}
    for kpi, each in members:
        moments = _moments(totals, kpi.pk)
        if each.is_median:
            value, margin, week_values = median_figures.get(kpi.pk, (None, None, {}))
        else:
            value, margin = _mean_value(moments, each)
            week_values = {}
        trend = []
        for index in range(TREND_WEEKS):
            week = first_week + timedelta(weeks=index)
            row = weekly.get(week)
            week_moments = _moments(row, kpi.pk) if row else Moments()
            if each.is_median:
                week_value = (
                    row.get(f"m_{kpi.pk}")
                    if row and use_database
                    else week_values.get(week)
                )
            else:
                week_value = _mean_value(week_moments, each)[0]
            if week_moments.n == 0:
                week_value = None
            trend.append(TrendPoint(week=week, n=week_moments.n, value=week_value))
        statuses[kpi.pk] = KpiStatus(
            kpi_id=kpi.pk,
            start=periods[kpi.pk][0],
            end=periods[kpi.pk][1],
            value=value,
            n=moments.n,
            margin=margin,
            low_sample=moments.n < minimum_sample(),
            target=kpi.target,
            direction=kpi.direction,
            on_target=on_target(value, target=kpi.target, direction=kpi.direction),
            trend=trend,
        )
    return statuses


def off_target_kpis(*, today: date) -> list[tuple[Kpi, KpiStatus]]:
    """Every KPI whose value misses its target (for the weekly digest), by
    name; a fixed number of queries."""
    kpis = list(Kpi.objects.filter(target__isnull=False).order_by("name", "id"))
    statuses = kpi_statuses(kpis, today=today)
    return [
        (kpi, statuses[kpi.pk]) for kpi in kpis if statuses[kpi.pk].on_target is False
    ]


def on_target(
    value: float | None, *, target: float | None, direction: str
) -> bool | None:
    if value is None or target is None:
        return None
    return value >= target if direction == Direction.HIGHER else value <= target


MedianFigures = dict[int, tuple[float | None, float | None, dict[date, float]]]


def _database_medians(
    base: QuerySet[Any],
    medians: list[tuple[Kpi, Source]],
    windows: dict[int, Q],
    totals: dict[str, Any],
) -> MedianFigures:
    aggregates: dict[str, Aggregate] = {}
    for kpi, source in medians:
        n = int(totals[f"n_{kpi.pk}"] or 0)
        condition = _condition(kpi, source) & windows[kpi.pk]
        score = source.score()
        aggregates[f"m_{kpi.pk}"] = Percentile(score, fraction=0.5, filter=condition)
        if n >= 2:
            low, high = median_ranks(n)
            for name, rank in (("lo", low), ("hi", high)):
                aggregates[f"{name}_{kpi.pk}"] = Percentile(
                    source.score(),
                    fraction=rank_fraction(rank, n),
                    discrete=True,
                    filter=condition,
                )
    if not aggregates:
        return {}
    row = base.aggregate(**aggregates)
    figures: MedianFigures = {}
    for kpi, _ in medians:
        bottom, top = row.get(f"lo_{kpi.pk}"), row.get(f"hi_{kpi.pk}")
        margin = None if bottom is None or top is None else (top - bottom) / 2
        figures[kpi.pk] = (row[f"m_{kpi.pk}"], margin, {})
    return figures


def _python_medians(
    base: QuerySet[Any],
    medians: list[tuple[Kpi, Source]],
    windows: dict[int, Q],
    trend_window: Q,
    zone: Any,
) -> MedianFigures:
    # SQLite has no percentiles: one query reads the durations with a flag
    # per KPI (in its period, in the trend), and the medians are taken here.
    if not medians:
        return {}
    flags: dict[str, Any] = {}
    for kpi, source in medians:
        condition = _condition(kpi, source)
        flags[f"p_{kpi.pk}"] = Q(condition & windows[kpi.pk])
        flags[f"w_{kpi.pk}"] = Q(condition & trend_window)
    source = medians[0][1]
    scores = {kpi.pk: source.score() for kpi, source in medians}
    annotated = base.annotate(
        week=Trunc(source.time, "week", tzinfo=zone),
        **{f"v_{kpi_id}": score for kpi_id, score in scores.items()},
        **{name: _flag(condition) for name, condition in flags.items()},
    )
    period_values: dict[int, list[float]] = defaultdict(list)
    week_values: dict[int, dict[date, list[float]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for row in annotated.values("week", *(f"v_{k}" for k in scores), *flags):
        for kpi_id in scores:
            value = row[f"v_{kpi_id}"]
            if value is None:
                continue
            if row[f"p_{kpi_id}"]:
                period_values[kpi_id].append(value)
            if row[f"w_{kpi_id}"]:
                week_values[kpi_id][_as_date(row["week"])].append(value)
    return {
        kpi_id: (
            statistics.median(period_values[kpi_id]) if period_values[kpi_id] else None,
            median_margin(period_values[kpi_id]),
            {
                week: statistics.median(values)
                for week, values in week_values[kpi_id].items()
            },
        )
        for kpi_id in scores
    }


def _flag(condition: Q) -> "ExpressionWrapper[Q]":
    return ExpressionWrapper(condition, output_field=BooleanField())


def _monday(day: date) -> date:
    return day - timedelta(day.weekday())


def _as_date(value: Any) -> date:
    if hasattr(value, "date"):
        return value.astimezone(timezone.get_default_timezone()).date()  # type: ignore[no-any-return]
    return value  # type: ignore[no-any-return]


def matches_anything(kpi_filters: dict[str, Any], source: Source) -> bool:
    """Whether any row of the source matches the filters, ever."""
    queryset = with_filter_aliases(source, source.queryset())
    return queryset.filter(filter_condition(source, kpi_filters)).exists()
