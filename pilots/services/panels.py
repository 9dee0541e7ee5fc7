"""The sums a pilot's statistics read, aggregated by the database: per unit
and period (before = baseline start … the day before go-live, after =
go-live … the end), and per group and week for the trend lines. Nothing is
read per answer."""

from collections import defaultdict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Case, CharField, Count, F, QuerySet, Sum, Value, When
from django.db.models.functions import Trunc
from django.utils import timezone

from pilots.models import Kpi, Pilot
from pilots.services.groups import Groups, group_condition
from pilots.services.sources import (
    Source,
    filtered,
    in_days,
    midnight,
    source_of,
    with_unit,
)
from pilots.statistics.measures import Group, Moments, Period, UnitPeriod

# Listed groups up to this many units are summed per unit, period and week
# in one query (units × weeks rows); more, and the weeks get a query of
# their own, per group.
COMBINED_UNITS = 1_000


@dataclass(frozen=True)
class Panel:
    """The unit-period rows, and per week (Monday, in TIME_ZONE) each
    group's sums, weeks in order."""

    source: Source
    rows: list[UnitPeriod]
    weeks: list[tuple[date, dict[Group, Moments]]]


def pilot_rows(
    pilot: Pilot,
    kpi: Kpi,
    groups: Groups,
    *,
    start: date | None,
    end: date,
    with_group: bool = True,
) -> QuerySet[Any]:
    """The KPI's rows of both groups from `start` (None: go-live) to `end`,
    with `unit_value` and (unless `with_group` is false, for listed groups)
    `group_value`."""
    source = source_of(kpi.formula)
    rows = in_days(
        filtered(source, kpi.filters or {}),
        source,
        start if start is not None else pilot.go_live,
        end,
    )
    if groups.treated is None:
        assigned: QuerySet[Any] = rows.filter(
            customer__pilot_assignments__pilot=pilot
        ).annotate(
            unit_value=F(source.customer),
            group_value=F("customer__pilot_assignments__group"),
        )
        return assigned
    rows = with_unit(rows, source, pilot.unit).filter(unit_value__in=list(groups.units))
    grouped: QuerySet[Any] = rows.annotate(
        group_value=Case(
            When(group_condition(pilot, groups, "treated"), then=Value("treated")),
            default=Value("control"),
            output_field=CharField(),
        )
    )
    return grouped


def _period(source: Source, go_live: date) -> Case:
    return Case(
        When(**{f"{source.time}__gte": midnight(go_live)}, then=Value("after")),
        default=Value("before"),
        output_field=CharField(),
    )


def _sums(source: Source) -> dict[str, Any]:
    score = source.score()
    return {"n": Count("pk"), "total": Sum(score), "squares": Sum(score * score)}


def pilot_panel(
    pilot: Pilot,
    kpi: Kpi,
    groups: Groups,
    *,
    end: date,
    weeks_from: date | None = None,
    weeks_to: date | None = None,
) -> Panel:
    """The unit-period sums over the whole pilot, and the weekly sums of
    each group from `weeks_from` to `weeks_to` (none when `weeks_from` is
    None; before go-live only when `weeks_to` is before it).

    With listed groups of at most COMBINED_UNITS units, one query sums per
    unit, period and week (a few thousand rows) and both are added up here:
    one pass over the answers. Otherwise (a randomised pilot, thousands of
    customers) two queries, per unit and period, then per group and week.
    """
    source = source_of(kpi.formula)
    wants_weeks = weeks_from is not None and weeks_to is not None
    if (
        wants_weeks
        and groups.treated is not None
        and len(groups.units) <= COMBINED_UNITS
    ):
        return _combined_panel(
            pilot,
            kpi,
            groups,
            source=source,
            end=end,
            before_only=weeks_to < pilot.go_live,  # type: ignore[operator]
        )
    rows = pilot_rows(pilot, kpi, groups, start=pilot.baseline_start, end=end)
    unit_rows = [
        UnitPeriod(
            unit=row["unit_value"],
            group=row["group_value"],
            period=row["period"],
            n=row["n"],
            total=float(row["total"] or 0.0),
            total_of_squares=float(row["squares"] or 0.0),
        )
        for row in rows.values(
            "unit_value", "group_value", period=_period(source, pilot.go_live)
        ).annotate(**_sums(source))
    ]
    weeks: list[tuple[date, dict[Group, Moments]]] = []
    if weeks_from is not None and weeks_to is not None and weeks_from <= weeks_to:
        weeks = weekly_sums(
            pilot, kpi, groups, source=source, start=weeks_from, end=weeks_to
        )
    return Panel(source=source, rows=unit_rows, weeks=weeks)


def _combined_panel(
    pilot: Pilot,
    kpi: Kpi,
    groups: Groups,
    *,
    source: Source,
    end: date,
    before_only: bool,
) -> Panel:
    zone = timezone.get_default_timezone()
    rows = pilot_rows(
        pilot, kpi, groups, start=pilot.baseline_start, end=end, with_group=False
    )
    unit_sums: dict[tuple[Hashable, str], Moments] = defaultdict(Moments)
    week_sums: dict[date, dict[Group, Moments]] = defaultdict(dict)
    for row in rows.values(
        "unit_value",
        period=_period(source, pilot.go_live),
        week=Trunc(source.time, "week", tzinfo=zone),
    ).annotate(**_sums(source)):
        moments = Moments(
            n=row["n"],
            total=float(row["total"] or 0.0),
            total_of_squares=float(row["squares"] or 0.0),
        )
        unit_sums[row["unit_value"], row["period"]] += moments
        if before_only and row["period"] == "after":
            continue
        group: Group = (
            "treated" if row["unit_value"] in (groups.treated or ()) else "control"
        )
        week = row["week"].astimezone(zone).date()
        week_sums[week][group] = week_sums[week].get(group, Moments()) + moments
    unit_rows = [
        UnitPeriod(
            unit=unit,
            group="treated" if unit in (groups.treated or ()) else "control",
            period=period,  # type: ignore[arg-type]
            n=moments.n,
            total=moments.total,
            total_of_squares=moments.total_of_squares,
        )
        for (unit, period), moments in unit_sums.items()
    ]
    start = pilot.baseline_start or pilot.go_live
    last = pilot.go_live - timedelta(1) if before_only else end
    return Panel(
        source=source, rows=unit_rows, weeks=_every_week(week_sums, start, last)
    )


def _every_week(
    sums: dict[date, dict[Group, Moments]], start: date, end: date
) -> list[tuple[date, dict[Group, Moments]]]:
    result = []
    week = start - timedelta(start.weekday())
    while week <= end:
        result.append((week, sums.get(week, {})))
        week += timedelta(weeks=1)
    return result


def weekly_sums(
    pilot: Pilot,
    kpi: Kpi,
    groups: Groups,
    *,
    source: Source,
    start: date,
    end: date,
) -> list[tuple[date, dict[Group, Moments]]]:
    zone = timezone.get_default_timezone()
    rows = pilot_rows(pilot, kpi, groups, start=start, end=end)
    sums: dict[date, dict[Group, Moments]] = defaultdict(dict)
    for row in rows.values(
        "group_value", week=Trunc(source.time, "week", tzinfo=zone)
    ).annotate(**_sums(source)):
        week = row["week"].astimezone(zone).date()
        sums[week][row["group_value"]] = Moments(
            n=row["n"],
            total=float(row["total"] or 0.0),
            total_of_squares=float(row["squares"] or 0.0),
        )
    return _every_week(sums, start, end)


def unit_scores(
    rows: list[UnitPeriod], *, period: Period, scale: float
) -> dict[Hashable, tuple[str, float]]:
    """Each unit's group and mean score in one period (units with answers)."""
    sums: dict[Hashable, list[Any]] = {}
    for row in rows:
        if row.period != period or row.n == 0:
            continue
        each = sums.setdefault(row.unit, [row.group, 0, 0.0])
        each[1] += row.n
        each[2] += row.total
    return {
        unit: (group, total / n * scale) for unit, (group, n, total) in sums.items()
    }
