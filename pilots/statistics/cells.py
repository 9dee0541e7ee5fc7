"""Per group and period: the value in points, its standard error and a
normal interval (NPS as the mean of +1 / 0 / −1, CSAT % and CES % as a
proportion, durations and rates as a sample mean)."""

import math
from dataclasses import dataclass

from scipy.stats import norm

from pilots.statistics.measures import (
    SCALE,
    Group,
    Measure,
    Moments,
    Period,
    UnitPeriods,
    variance_of,
)

GROUPS: tuple[Group, ...] = ("treated", "control")
PERIODS: tuple[Period, ...] = ("before", "after")


@dataclass(frozen=True)
class CellEstimate:
    """One cell of the result, in the API's shape; `value` and `se` are None
    when the cell has no answers."""

    group: Group
    period: Period
    n: int
    value: float | None
    se: float | None

    def interval(self, *, alpha: float = 0.05) -> tuple[float, float] | None:
        if self.value is None or self.se is None:
            return None
        margin = float(norm.ppf(1 - alpha / 2)) * self.se
        return (self.value - margin, self.value + margin)


def standard_error(moments: Moments, *, measure: Measure) -> float:
    """The standard error of the cell mean in points: √(σ²/n) × scale."""
    variance = variance_of(moments, measure=measure)
    return math.sqrt(variance / moments.n) * SCALE[measure]


def estimate_cell(
    moments: Moments, *, measure: Measure, group: Group, period: Period
) -> CellEstimate:
    if moments.n == 0:
        return CellEstimate(group=group, period=period, n=0, value=None, se=None)
    return CellEstimate(
        group=group,
        period=period,
        n=moments.n,
        value=moments.mean * SCALE[measure],
        se=standard_error(moments, measure=measure),
    )


def estimate_cells(panel: UnitPeriods, *, measure: Measure) -> list[CellEstimate]:
    """The four cells in a fixed order (treated before, treated after, control
    before, control after), leaving out the before cells when there is no
    baseline at all."""
    has_baseline = bool(panel.n[~panel.after].sum() > 0)
    periods = PERIODS if has_baseline else ("after",)
    return [
        estimate_cell(
            panel.moments(group=group, period=period),
            measure=measure,
            group=group,
            period=period,
        )
        for group in GROUPS
        for period in periods
    ]
