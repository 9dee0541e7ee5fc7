"""Where each KPI formula's rows live, how one row is scored, and which
column holds each filter and each unit.

Every formula is a mean of one score per row, so the database sends sums
(n, Σ score, Σ score²) per KPI, unit, period or week:

- NPS, CSAT %, CES %: answers, scored +1/0/−1 or 1/0 (answered_at);
- case rate: interactions, 1 when a case was opened about one (occurred_at);
- response rate: invitations sent, 1 when answered (sent_at);
- time to first contact / to close: cases contacted / closed, in hours
  (created_at); the KPI shows their median, a pilot compares means;
- reopen rate: cases closed at least once, 1 when reopened (created_at);
- recovery rate: cases whose recovery outcome is known, 1 when recovered
  (created_at).
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import models
from django.db.models import (
    Case,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce
from django.utils import timezone

from customers.models import Interaction
from feedback.models import Case as FeedbackCase
from feedback.models import CaseEvent
from pilots.models import Formula
from pilots.statistics.measures import Measure
from surveys.models import Band, Invitation, SurveyResponse

FILTER_NAMES = ("survey", "stage", "touchpoint", "channel", "segment", "staff")
UNIT_NAMES = ("customer", "company", "staff", "touchpoint", "segment")


class SecondsBetween(Func):
    """later − earlier in seconds, on PostgreSQL and SQLite."""

    output_field = FloatField()
    arg_joiner = " - "
    template = "EXTRACT(EPOCH FROM (%(expressions)s))"

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return super().as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra,
        )


@dataclass(frozen=True)
class Source:
    """The rows of one formula. `units` and `filters` map a name to a
    lookup or an expression; a filter missing from `filters` does not apply
    to the formula."""

    model: type[models.Model]
    time: str
    measure: Measure
    rows: Q
    units: dict[str, str | Combinable]
    filters: dict[str, str | Combinable]
    channel: str | None
    segment: str
    customer: str = "customer_id"
    is_median: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def score(self) -> Any:
        return SCORES[self.key]()

    @property
    def key(self) -> str:
        return str(self.extra["key"])

    def queryset(self) -> QuerySet[Any]:
        return self.model._default_manager.filter(self.rows).order_by()


def _one_if(condition: Q | Exists) -> Combinable:
    return Case(When(condition, then=Value(1.0)), default=Value(0.0))


def _reopened() -> Exists:
    return Exists(
        CaseEvent.objects.filter(case=OuterRef("pk"), kind=CaseEvent.Kind.REOPENED)
    )


SCORES: dict[str, Any] = {
    "nps": lambda: Case(
        When(band=Band.PROMOTER, then=Value(1.0)),
        When(band=Band.DETRACTOR, then=Value(-1.0)),
        default=Value(0.0),
    ),
    "share": lambda: _one_if(Q(band=Band.PROMOTER)),
    "case_rate": lambda: _one_if(
        Exists(FeedbackCase.objects.filter(interaction=OuterRef("pk")))
    ),
    "first_contact": lambda: (
        SecondsBetween(F("first_contact_at"), F("created_at")) / Value(3600.0)
    ),
    "close": lambda: SecondsBetween(F("closed_at"), F("created_at")) / Value(3600.0),
    "reopen": lambda: _one_if(_reopened()),
    "recovery": lambda: _one_if(Q(outcome=FeedbackCase.Outcome.RECOVERED)),
    "response": lambda: _one_if(
        Exists(SurveyResponse.objects.filter(invitation=OuterRef("pk")))
    ),
}

ANSWER_UNITS: dict[str, str | Combinable] = {
    "customer": "customer_id",
    "company": "company_id",
    "staff": "staff_id",
    "touchpoint": "touchpoint_id",
    "segment": "segment",
}
ANSWER_FILTERS: dict[str, str | Combinable] = {
    "survey": "survey_id",
    "stage": "stage",
    "touchpoint": "touchpoint_id",
    "channel": "channel",
    "segment": "segment",
    "staff": "staff_id",
}


def _case_units() -> dict[str, str | Combinable]:
    return {
        "customer": "customer_id",
        "company": "customer__company_id",
        "staff": "owner_id",
        "touchpoint": Coalesce("response__touchpoint_id", "interaction__touchpoint_id"),
        "segment": "customer__segment",
    }


def _case_filters() -> dict[str, str | Combinable]:
    return {
        "survey": "response__survey_id",
        "stage": "response__stage",
        "touchpoint": Coalesce("response__touchpoint_id", "interaction__touchpoint_id"),
        "channel": "response__channel",
        "segment": "customer__segment",
        "staff": "owner_id",
    }


def _case_source(key: str, rows: Q) -> Source:
    median = key in ("first_contact", "close")
    return Source(
        model=FeedbackCase,
        time="created_at",
        measure="mean" if median else "percentage",
        rows=rows,
        units=_case_units(),
        filters=_case_filters(),
        channel="response__channel",
        segment="customer__segment",
        is_median=median,
        extra={"key": key},
    )


def source_of(formula: str) -> Source:
    """The rows of `formula`; ValueError for a formula not on the list."""
    if formula in (Formula.NPS, Formula.CSAT, Formula.CES):
        return Source(
            model=SurveyResponse,
            time="answered_at",
            measure="nps" if formula == Formula.NPS else "percentage",
            rows=Q(kind=formula),
            units=ANSWER_UNITS,
            filters=ANSWER_FILTERS,
            channel="channel",
            segment="segment",
            extra={"key": "nps" if formula == Formula.NPS else "share"},
        )
    if formula == Formula.CASE_RATE:
        return Source(
            model=Interaction,
            time="occurred_at",
            measure="percentage",
            rows=Q(),
            units={
                "customer": "customer_id",
                "company": "customer__company_id",
                "staff": "logged_by_id",
                "touchpoint": "touchpoint_id",
                "segment": "customer__segment",
            },
            filters={
                "stage": "touchpoint__stage",
                "touchpoint": "touchpoint_id",
                "channel": "channel",
                "segment": "customer__segment",
                "staff": "logged_by_id",
            },
            channel="channel",
            segment="customer__segment",
            extra={"key": "case_rate"},
        )
    if formula == Formula.RESPONSE_RATE:
        return Source(
            model=Invitation,
            time="sent_at",
            measure="percentage",
            rows=Q(sent_at__isnull=False),
            units={
                "customer": "customer_id",
                "company": "customer__company_id",
                "staff": "interaction__logged_by_id",
                "touchpoint": "interaction__touchpoint_id",
                "segment": "customer__segment",
            },
            filters={
                "survey": "survey_id",
                "stage": "interaction__touchpoint__stage",
                "touchpoint": "interaction__touchpoint_id",
                "channel": "interaction__channel",
                "segment": "customer__segment",
                "staff": "interaction__logged_by_id",
            },
            channel="interaction__channel",
            segment="customer__segment",
            extra={"key": "response"},
        )
    if formula == Formula.TIME_TO_FIRST_CONTACT:
        return _case_source("first_contact", Q(first_contact_at__isnull=False))
    if formula == Formula.TIME_TO_CLOSE:
        return _case_source("close", Q(closed_at__isnull=False))
    if formula == Formula.REOPEN_RATE:
        return _case_source("reopen", Q(closed_at__isnull=False) | Q(_reopened()))
    if formula == Formula.RECOVERY_RATE:
        known = [FeedbackCase.Outcome.RECOVERED, FeedbackCase.Outcome.NOT_RECOVERED]
        return _case_source("recovery", Q(outcome__in=known))
    raise ValueError(f"Unknown formula {formula!r}.")


def _lookup(
    queryset: QuerySet[Any], name: str, column: str | Combinable
) -> tuple[QuerySet[Any], str]:
    """A filterable name for `column`: the lookup itself, or an alias."""
    if isinstance(column, str):
        return queryset, column
    alias = f"pilots_{name}"
    return queryset.alias(**{alias: column}), alias


def filtered(source: Source, filters: dict[str, Any]) -> QuerySet[Any]:
    """The source's rows matching a KPI's filters (those that apply)."""
    queryset = source.queryset()
    for name, value in filters.items():
        column = source.filters.get(name)
        if column is None or value in (None, ""):
            continue
        queryset, lookup = _lookup(queryset, f"filter_{name}", column)
        queryset = queryset.filter(**{lookup: value})
    return queryset


def filter_condition(source: Source, filters: dict[str, Any]) -> Q:
    """The filters as one condition (for conditional aggregates): columns
    that are expressions must be aliased first with `with_filter_aliases`."""
    condition = Q()
    for name, value in filters.items():
        column = source.filters.get(name)
        if column is None or value in (None, ""):
            continue
        lookup = column if isinstance(column, str) else f"pilots_filter_{name}"
        condition &= Q(**{lookup: value})
    return condition


def with_filter_aliases(source: Source, queryset: QuerySet[Any]) -> QuerySet[Any]:
    for name, column in source.filters.items():
        if not isinstance(column, str):
            queryset = queryset.alias(**{f"pilots_filter_{name}": column})
    return queryset


def with_unit(queryset: QuerySet[Any], source: Source, unit: str) -> QuerySet[Any]:
    """The rows with their unit as `unit_value` (and rows without one left
    out: they belong to neither group)."""
    column = source.units[unit]
    expression = F(column) if isinstance(column, str) else column
    with_units: QuerySet[Any] = queryset.annotate(unit_value=expression).filter(
        unit_value__isnull=False
    )
    return with_units


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def in_days(
    queryset: QuerySet[Any], source: Source, start: date | None, end: date
) -> QuerySet[Any]:
    """Rows whose time lies from `start`'s midnight to the end of `end`, in
    TIME_ZONE (no lower bound without `start`)."""
    condition = Q(**{f"{source.time}__lt": midnight(end + timedelta(1))})
    if start is not None:
        condition &= Q(**{f"{source.time}__gte": midnight(start)})
    filtered_rows: QuerySet[Any] = queryset.filter(condition)
    return filtered_rows
