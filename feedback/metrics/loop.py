"""Close-the-loop figures: how fast, how often and how well cases are handled."""

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, Trunc
from django.utils import timezone
from django.utils.translation import gettext

from feedback.metrics.filters import INTERVALS, Interval
from feedback.metrics.periods import period_label
from feedback.models import Case

Grouping = Literal["owner", "root_cause", "touchpoint", "period"]

GROUPINGS: tuple[Grouping, ...] = get_args(Grouping)

# The label of a group without an owner, root cause or touchpoint. A dash
# needs no translation; the dashboard may word it itself (its key is None).
MISSING_LABEL = "—"


@dataclass(frozen=True)
class LoopFigures:
    """One row of loop metrics: the figures of one group of cases.

    `key` is the owner's, root cause's or touchpoint's id (None for cases
    without one, and for the overall row), or the aware start of the period in
    the requested zone. The counts after `opened` are the samples behind the
    figures, so that a small one can be shown with a warning.
    """

    key: int | datetime | None
    label: str
    opened: int
    contacted: int
    deadline_counted: int
    from_responses: int
    outcomes_known: int
    median_hours_to_first_contact: float | None
    contacted_within_deadline_pct: float | None
    closed_pct: float | None
    loop_closure_rate_pct: float | None
    recovery_rate_pct: float | None


class Epoch(Func):
    """The seconds in a PostgreSQL interval."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)"
    output_field = FloatField()


class Median(Aggregate):
    """PostgreSQL's exact median, interpolated between the two middle values
    of an even count like `statistics.median`; NULLs are ignored."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def loop_metrics(
    cases: QuerySet[Case] | None = None,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    by: Grouping | None = None,
    interval: Interval = "week",
    zone: ZoneInfo | None = None,
) -> list[LoopFigures]:
    """The loop metrics of the cases created in [start, end), one row per group.

    `by` None gives one overall row, even without cases; otherwise one row per
    owner, root cause, touchpoint (the response's, else the interaction's) or
    period of `created_at` (`interval` long, in `zone`, default TIME_ZONE; weeks
    start on Monday). Groups without cases have no row. Rows come in
    chronological order for periods, else by most cases opened, then label.

    Percentages are rounded to 1 decimal, hours to 2; a figure whose sample is
    empty is None.

    - opened: the cases.
    - median_hours_to_first_contact: median of first_contact_at − created_at
      over the contacted cases (first_contact_at set).
    - contacted_within_deadline_pct: contacted by due_at (first_contact_at <=
      due_at), among the cases with a deadline that either were contacted or
      whose deadline has passed (due_at < now). Cases still inside their
      deadline and not contacted yet are left out: they can still make it.
      Cases without a deadline are left out: there was nothing to meet.
    - closed_pct: closed among opened.
    - loop_closure_rate_pct: among cases opened from a survey response, those
      with a recorded first contact, closed, with a non-empty resolution.
      Manual cases are left out: no negative answer to close the loop on.
    - recovery_rate_pct: recovered among the cases whose outcome is known
      (recovered or not recovered).

    One aggregate query; on SQLite a second one for the median.
    """
    if by is not None and by not in GROUPINGS:
        raise ValueError(f"by must be one of {GROUPINGS} or None, not {by!r}")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS}, not {interval!r}")
    zone = zone or timezone.get_default_timezone()
    if cases is None:
        cases = Case.objects.all()
    cases = cases.order_by()
    if start is not None:
        cases = cases.filter(created_at__gte=start)
    if end is not None:
        cases = cases.filter(created_at__lt=end)

    database_median = connections[cases.db].vendor == "postgresql"
    aggregates = _aggregates(now=timezone.now(), with_median=database_median)
    if by is None:
        rows: list[dict[str, Any]] = [cases.aggregate(**aggregates)]
    else:
        group = _group_expressions(by=by, interval=interval, zone=zone)
        rows = list(cases.values(**group).annotate(**aggregates))

    if not database_median and any(row["contacted"] for row in rows):
        medians = _median_seconds_in_python(cases, by=by, interval=interval, zone=zone)
        for row in rows:
            row["median_seconds"] = medians.get(row.get("group_key"))

    if by == "period":
        rows.sort(key=lambda row: row["group_key"])
        return [_figures(row, by=by, interval=interval, zone=zone) for row in rows]
    figures = [_figures(row, by=by, interval=interval, zone=zone) for row in rows]
    return sorted(
        figures, key=lambda figure: (-figure.opened, figure.key is None, figure.label)
    )


def _aggregates(*, now: datetime, with_median: bool) -> dict[str, Aggregate]:
    contacted = Q(first_contact_at__isnull=False)
    from_response = Q(response__isnull=False)
    closed = Q(status=Case.Status.CLOSED)
    aggregates: dict[str, Aggregate] = {
        "opened": Count("pk"),
        "contacted": Count("pk", filter=contacted),
        "deadline_counted": Count(
            "pk", filter=Q(due_at__isnull=False) & (contacted | Q(due_at__lt=now))
        ),
        "within_deadline": Count(
            "pk", filter=contacted & Q(first_contact_at__lte=F("due_at"))
        ),
        "closed": Count("pk", filter=closed),
        "from_responses": Count("pk", filter=from_response),
        "loop_closed": Count(
            "pk", filter=from_response & contacted & closed & ~Q(resolution="")
        ),
        "recovered": Count("pk", filter=Q(outcome=Case.Outcome.RECOVERED)),
        "outcomes_known": Count(
            "pk",
            filter=Q(outcome__in=[Case.Outcome.RECOVERED, Case.Outcome.NOT_RECOVERED]),
        ),
    }
    if with_median:
        aggregates["median_seconds"] = Median(
            Epoch(F("first_contact_at") - F("created_at"))
        )
    return aggregates


def _group_expressions(
    *, by: Grouping, interval: Interval, zone: ZoneInfo
) -> dict[str, Combinable]:
    """`group_key` and the fields its label is made of, read in the same
    query as the figures (joined, not one query per group)."""
    if by == "owner":
        return {
            "group_key": F("owner"),
            "group_name": F("owner__username"),
            "owner_first_name": F("owner__first_name"),
            "owner_last_name": F("owner__last_name"),
        }
    if by == "root_cause":
        return {"group_key": F("root_cause"), "group_name": F("root_cause__name")}
    if by == "touchpoint":
        return {
            "group_key": Coalesce("response__touchpoint", "interaction__touchpoint"),
            "group_name": Coalesce(
                "response__touchpoint__name", "interaction__touchpoint__name"
            ),
        }
    return {"group_key": Trunc("created_at", interval, tzinfo=zone)}


def _median_seconds_in_python(
    cases: QuerySet[Case], *, by: Grouping | None, interval: Interval, zone: ZoneInfo
) -> dict[Any, float]:
    # SQLite has no median (no percentile_cont, no ordered-set aggregates), so
    # the contacted cases' durations are read and the median taken here: one
    # small row per contacted case is cheap at the embedded default's scale.
    durations = cases.filter(first_contact_at__isnull=False).annotate(
        duration=F("first_contact_at") - F("created_at")
    )
    rows: Iterable[tuple[Any, timedelta]]
    if by is None:
        rows = ((None, each) for each in durations.values_list("duration", flat=True))
    else:
        group_key = _group_expressions(by=by, interval=interval, zone=zone)["group_key"]
        rows = durations.annotate(group_key=group_key).values_list(
            "group_key", "duration"
        )
    seconds_by_group: dict[Any, list[float]] = defaultdict(list)
    for key, duration in rows:
        seconds_by_group[key].append(duration.total_seconds())
    return {
        key: statistics.median(seconds) for key, seconds in seconds_by_group.items()
    }


def _figures(
    row: Mapping[str, Any], *, by: Grouping | None, interval: Interval, zone: ZoneInfo
) -> LoopFigures:
    key = row.get("group_key")
    median_seconds = row.get("median_seconds")
    return LoopFigures(
        key=key.astimezone(zone) if isinstance(key, datetime) else key,
        label=_label(row, by=by, interval=interval, zone=zone),
        opened=row["opened"],
        contacted=row["contacted"],
        deadline_counted=row["deadline_counted"],
        from_responses=row["from_responses"],
        outcomes_known=row["outcomes_known"],
        median_hours_to_first_contact=(
            None
            if median_seconds is None
            else round(timedelta(seconds=median_seconds) / timedelta(hours=1), 2)
        ),
        contacted_within_deadline_pct=_percent(
            row["within_deadline"], row["deadline_counted"]
        ),
        closed_pct=_percent(row["closed"], row["opened"]),
        loop_closure_rate_pct=_percent(row["loop_closed"], row["from_responses"]),
        recovery_rate_pct=_percent(row["recovered"], row["outcomes_known"]),
    )


def _label(
    row: Mapping[str, Any], *, by: Grouping | None, interval: Interval, zone: ZoneInfo
) -> str:
    if by is None:
        return gettext("all cases")
    if by == "period":
        return period_label(row["group_key"].astimezone(zone), interval)
    if row["group_key"] is None:
        return MISSING_LABEL
    if by == "owner":
        full_name = f"{row['owner_first_name']} {row['owner_last_name']}".strip()
        return full_name or str(row["group_name"])
    return str(row["group_name"])


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None
