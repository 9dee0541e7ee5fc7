"""Power before go-live, from the last 90 days of the groups' own data:
the answers each group needs, the weeks that takes at their own rates, and
whether the planned end comes first — then a primary KPI with more power
is suggested."""

from dataclasses import asdict
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from pilots.models import Formula, Kpi, Pilot
from pilots.services.groups import Groups, pilot_groups
from pilots.services.panels import pilot_rows
from pilots.services.sources import filtered, in_days, source_of
from pilots.statistics.measures import Moments, NotEnoughDataError
from pilots.statistics.power import plan_power, variance_in_points

WINDOW_DAYS = 90
WEEKS_IN_WINDOW = WINDOW_DAYS / 7
# Formulas with many rows per week: the usual ways to more power.
SUGGESTED = (
    Formula.CSAT,
    Formula.CASE_RATE,
    Formula.RESPONSE_RATE,
    Formula.NPS,
    Formula.CES,
)


def group_moments(
    pilot: Pilot, kpi: Kpi, groups: Groups, *, start: date, end: date
) -> dict[str, Moments]:
    """Each group's sums over the days, in one query. For a randomised
    pilot, every row of the KPI split by the treated share (the customers
    are assigned as they come)."""
    source = source_of(kpi.formula)
    score = source.score()
    sums = {"n": Count("pk"), "total": Sum(score), "squares": Sum(score * score)}
    if groups.treated is None:
        row = in_days(filtered(source, kpi.filters or {}), source, start, end)
        everyone = row.aggregate(**sums)
        moments = _moments(everyone)
        share = pilot.treated_share or 0.5
        return {
            "treated": _scaled(moments, share),
            "control": _scaled(moments, 1 - share),
        }
    rows = pilot_rows(pilot, kpi, groups, start=start, end=end)
    result = {"treated": Moments(), "control": Moments()}
    for row in rows.values("group_value").annotate(**sums):
        result[row["group_value"]] = _moments(row)
    return result


def _moments(row: dict[str, Any]) -> Moments:
    return Moments(
        n=int(row["n"] or 0),
        total=float(row["total"] or 0.0),
        total_of_squares=float(row["squares"] or 0.0),
    )


def _scaled(moments: Moments, share: float) -> Moments:
    return Moments(
        n=round(moments.n * share),
        total=moments.total * share,
        total_of_squares=moments.total_of_squares * share,
    )


def power_window(*, today: date) -> tuple[date, date]:
    return today - timedelta(WINDOW_DAYS), today - timedelta(1)


def pilot_power(pilot: Pilot, *, today: date) -> dict[str, Any]:
    """The plan for the primary KPI. Raises NotEnoughDataError when a group
    has no data in the window."""
    start, end = power_window(today=today)
    groups = pilot_groups(pilot)
    kpi = pilot.primary_kpi
    measure = source_of(kpi.formula).measure
    moments = group_moments(pilot, kpi, groups, start=start, end=end)
    for group, each in moments.items():
        if each.n == 0:
            raise NotEnoughDataError(
                _(
                    "The %(group)s group has no data from %(start)s to %(end)s "
                    "to plan the pilot's power from."
                )
                % {"group": group, "start": start, "end": end}
            )
    variance = variance_in_points(
        moments["treated"] + moments["control"], measure=measure
    )
    if variance <= 0:
        raise NotEnoughDataError(
            _(
                "Every answer of the last %(days)d days is the same: there is no "
                "spread to plan from."
            )
            % {"days": WINDOW_DAYS}
        )
    weeks_available = ((pilot.planned_end - pilot.go_live).days + 1) / 7
    rates = {group: each.n / WEEKS_IN_WINDOW for group, each in moments.items()}
    plan = plan_power(
        variance=variance,
        min_effect=pilot.min_effect,
        weekly_rate_treated=rates["treated"],
        weekly_rate_control=rates["control"],
        weeks_available=weeks_available,
        alpha=pilot.alpha,
        power=pilot.power,
        difference_in_differences=pilot.baseline_start is not None,
    )
    suggestion = None
    if plan.ends_too_soon:
        suggestion = suggest_kpi(
            pilot,
            groups,
            standardised_effect=pilot.min_effect / variance**0.5,
            n=plan.n,
            weeks_available=weeks_available,
            start=start,
            end=end,
        )
    return {
        "kpi": kpi.name,
        "formula": kpi.formula,
        "window": {"start": start, "end": end},
        "n_treated": moments["treated"].n,
        "n_control": moments["control"].n,
        "answers_per_week": rates,
        "variance": variance,
        "difference_in_differences": pilot.baseline_start is not None,
        "n_per_group": plan.n,
        **{key: value for key, value in asdict(plan).items() if key != "n"},
        "suggestion": suggestion,
    }


def suggest_kpi(
    pilot: Pilot,
    groups: Groups,
    *,
    standardised_effect: float,
    n: int,
    weeks_available: float,
    start: date,
    end: date,
) -> dict[str, Any] | None:
    """The formula that would detect the same standardised effect (the
    minimum effect in standard deviations, so the same n) soonest at the
    groups' own rates, if it fits before the planned end. One query per
    formula tried; the primary KPI's filters are kept where they apply
    (its survey is not: it asks one kind)."""
    best: dict[str, Any] | None = None
    filters = {
        key: value
        for key, value in (pilot.primary_kpi.filters or {}).items()
        if key != "survey"
    }
    for formula in SUGGESTED:
        if formula == pilot.primary_kpi.formula:
            continue
        candidate = Kpi(name=formula, formula=formula, filters=filters)
        moments = group_moments(pilot, candidate, groups, start=start, end=end)
        slowest = min(each.n for each in moments.values()) / WEEKS_IN_WINDOW
        if slowest <= 0:
            continue
        pooled = moments["treated"] + moments["control"]
        variance = variance_in_points(pooled, measure=source_of(formula).measure)
        if variance <= 0:
            continue
        weeks = n / slowest
        if weeks <= weeks_available and (best is None or weeks < best["weeks_needed"]):
            best = {
                "formula": formula,
                "weeks_needed": weeks,
                "answers_per_week": slowest,
                "min_effect": standardised_effect * variance**0.5,
            }
    return best
