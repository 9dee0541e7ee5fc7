"""A pilot's result (`GET /api/v1/pilots/{id}/result/`), both groups' weekly
lines for the chart, and the answers behind each cell for the drill-down."""

from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from feedback.metrics.filters import minimum_sample
from pilots.models import Analysis, Pilot
from pilots.services.groups import Groups, assignment_counts, pilot_groups
from pilots.services.panels import Panel, pilot_panel, pilot_rows, unit_scores
from pilots.services.sources import source_of
from pilots.statistics.cells import GROUPS, estimate_cell
from pilots.statistics.checks import (
    PreTrend,
    RegressionToMean,
    SampleRatio,
    pre_trend,
    regression_to_mean,
    sample_ratio,
)
from pilots.statistics.effects import Effect, estimate_effect
from pilots.statistics.measures import (
    SCALE,
    Moments,
    NotEnoughDataError,
    Period,
    UnitPeriods,
    variance_of,
)
from pilots.statistics.power import planned_standard_error, sample_size_per_group
from pilots.statistics.result import GuardrailInput, assemble_result


def result_end(pilot: Pilot, *, today: date) -> date:
    """The last day counted: today, or the planned end once it is past."""
    return min(today, pilot.planned_end)


def is_interim(pilot: Pilot, *, today: date) -> bool:
    """A fixed analysis is interim until the planned end is over; a
    sequential one may be read at any time."""
    return pilot.analysis == Analysis.FIXED and today <= pilot.planned_end


def pilot_result(pilot: Pilot, *, today: date) -> dict[str, Any]:
    """The issue's `/result/` object. Raises NotEnoughDataError (with a
    message saying which group and period) when there is nothing to compare
    yet, and before go-live."""
    if today < pilot.go_live:
        raise NotEnoughDataError(
            _("The pilot goes live on %(day)s: there is no result before.")
            % {"day": pilot.go_live}
        )
    groups = pilot_groups(pilot)
    end = result_end(pilot, today=today)
    baseline_end = pilot.go_live - timedelta(1)
    panel = pilot_panel(
        pilot,
        pilot.primary_kpi,
        groups,
        end=end,
        weeks_from=pilot.baseline_start,
        weeks_to=baseline_end if pilot.baseline_start else None,
    )
    primary = _effect(pilot, panel, today=today)
    guardrails = []
    for kpi in pilot.guardrail_kpis.all():
        guardrail_panel = pilot_panel(pilot, kpi, groups, end=end)
        try:
            effect = _effect(pilot, guardrail_panel, today=today)
        except NotEnoughDataError:
            continue
        guardrails.append(
            GuardrailInput(kpi=kpi.name, effect=effect, direction=kpi.direction)  # type: ignore[arg-type]
        )
    result = assemble_result(
        primary,
        guardrails=guardrails,
        pre_trend=_pre_trend(panel),
        regression_to_mean=_regression_to_mean(panel),
        sample_ratio=_sample_ratio(pilot),
        balance=groups.matching.balance if groups.matching else None,
        minimum_sample=minimum_sample(),
        alpha=pilot.alpha,
    )
    return result.as_dict()


def _effect(pilot: Pilot, panel: Panel, *, today: date) -> Effect:
    unit_periods = UnitPeriods.from_rows(panel.rows)
    measure = panel.source.measure
    planned_se = None
    if pilot.analysis == Analysis.SEQUENTIAL:
        planned_se = _planned_se(pilot, unit_periods)
    return estimate_effect(
        unit_periods,
        measure=measure,
        label="randomised" if pilot.is_randomised else "observational",
        interim=is_interim(pilot, today=today),
        alpha=pilot.alpha,
        planned_se=planned_se,
    )


def _planned_se(pilot: Pilot, unit_periods: UnitPeriods) -> float | None:
    """The standard error expected when the minimum effect is detectable,
    which the confidence sequence is tuned for, from the variance of the
    baseline (else of the answers so far)."""
    has_baseline = bool(unit_periods.n[~unit_periods.after].sum() > 0)
    period: Period = "before" if has_baseline else "after"
    moments = sum(
        (unit_periods.moments(group=group, period=period) for group in GROUPS),
        Moments(),
    )
    measure = source_of(pilot.primary_kpi.formula).measure
    if moments.n < 2:
        return None
    variance = variance_of(moments, measure=measure) * SCALE[measure] ** 2
    if variance <= 0:
        return None
    n = sample_size_per_group(
        variance=variance,
        min_effect=pilot.min_effect,
        alpha=pilot.alpha,
        power=pilot.power,
    )
    return planned_standard_error(
        variance=variance, n=max(n, 1), difference_in_differences=has_baseline
    )


def _pre_trend(panel: Panel) -> PreTrend | None:
    if not panel.weeks:
        return None
    weeks = [
        (sums.get("treated", Moments()), sums.get("control", Moments()))
        for _week, sums in panel.weeks
    ]
    return pre_trend(weeks, measure=panel.source.measure)


def _regression_to_mean(panel: Panel) -> RegressionToMean | None:
    scores = unit_scores(panel.rows, period="before", scale=SCALE[panel.source.measure])
    treated = [score for group, score in scores.values() if group == "treated"]
    if not treated:
        return None
    return regression_to_mean(
        treated_baseline=treated,
        all_baseline=[score for _group, score in scores.values()],
    )


def _sample_ratio(pilot: Pilot) -> SampleRatio | None:
    if pilot.treated_share is None:
        return None
    counts = assignment_counts(pilot)
    if not counts["treated"] + counts["control"]:
        return None
    return sample_ratio(
        treated=counts["treated"],
        control=counts["control"],
        treated_share=pilot.treated_share,
    )


def weekly_lines(pilot: Pilot, *, today: date) -> dict[str, Any]:
    """Both groups' primary KPI per week from the baseline (else go-live)
    to today or the planned end, for the chart: {"go_live", "weeks": [{"week",
    "treated": {"n", "value", "se"}, "control": {…}}]}. Two queries."""
    groups = pilot_groups(pilot)
    start = pilot.baseline_start or pilot.go_live
    end = result_end(pilot, today=today)
    panel = pilot_panel(
        pilot, pilot.primary_kpi, groups, end=end, weeks_from=start, weeks_to=end
    )
    measure = panel.source.measure
    weeks = []
    for week, sums in panel.weeks:
        line: dict[str, Any] = {"week": week}
        for group in GROUPS:
            cell = estimate_cell(
                sums.get(group, Moments()), measure=measure, group=group, period="after"
            )
            line[group] = {"n": cell.n, "value": cell.value, "se": cell.se}
        weeks.append(line)
    return {"go_live": pilot.go_live, "weeks": weeks}


def cell_answers(
    pilot: Pilot, group: str, period: str, *, today: date, groups: Groups | None = None
) -> QuerySet[Any]:
    """The primary KPI's rows (answers for NPS, CSAT and CES) of one cell,
    for the drill-down."""
    if group not in ("treated", "control") or period not in ("before", "after"):
        raise ValidationError(_("Choose a group (treated, control) and a period."))
    groups = groups or pilot_groups(pilot)
    end = result_end(pilot, today=today)
    if period == "before":
        if pilot.baseline_start is None:
            return pilot_rows(
                pilot, pilot.primary_kpi, groups, start=None, end=end
            ).none()
        rows = pilot_rows(
            pilot,
            pilot.primary_kpi,
            groups,
            start=pilot.baseline_start,
            end=pilot.go_live - timedelta(1),
        )
    else:
        rows = pilot_rows(
            pilot, pilot.primary_kpi, groups, start=pilot.go_live, end=end
        )
    return rows.filter(group_value=group)
