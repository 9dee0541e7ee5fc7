"""The checks shown with every result: the pre-period trend of the gap,
regression to the mean, sample ratio mismatch, low samples, and Holm's
correction of the guardrails' p-values."""

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import chi2, norm

from pilots.statistics.cells import CellEstimate, standard_error
from pilots.statistics.measures import SCALE, Measure, Moments

PRE_TREND_LEVEL = 0.10
# The threshold experimentation platforms use for a sample ratio mismatch:
# strict, because a real mismatch is a broken assignment, not a chance.
SAMPLE_RATIO_LEVEL = 0.001
MINIMUM_SAMPLE = 30
MINIMUM_TREND_WEEKS = 3


@dataclass(frozen=True)
class PreTrend:
    """The trend of the treated − control gap per baseline week, in points
    per week; None (and no warning) with fewer than three usable weeks."""

    weeks_used: int
    slope: float | None
    se: float | None
    p_value: float | None
    warning: bool


def pre_trend(
    weeks: Sequence[tuple[Moments, Moments]],
    *,
    measure: Measure,
    level: float = PRE_TREND_LEVEL,
) -> PreTrend:
    """`weeks` holds (treated, control) sums per baseline week, in order.

    The slope of the weekly gap on the week number, weighted by 1 / the
    gap's variance, with that variance taken as known: slope SE =
    1 / √(Σ w (x − x̄)²) and a two-sided normal p-value. A week where a
    group has no answers, or the gap has no variance, is left out.
    """
    points: list[tuple[int, float, float]] = []
    for week, (treated, control) in enumerate(weeks):
        if treated.n == 0 or control.n == 0:
            continue
        variance = (
            standard_error(treated, measure=measure) ** 2
            + standard_error(control, measure=measure) ** 2
        )
        if variance > 0:
            gap = (treated.mean - control.mean) * SCALE[measure]
            points.append((week, gap, 1 / variance))
    if len(points) < MINIMUM_TREND_WEEKS:
        return PreTrend(len(points), None, None, None, warning=False)
    total_weight = sum(weight for _, _, weight in points)
    mean_week = sum(week * weight for week, _, weight in points) / total_weight
    mean_gap = sum(gap * weight for _, gap, weight in points) / total_weight
    spread = sum(weight * (week - mean_week) ** 2 for week, _, weight in points)
    slope = (
        sum(
            weight * (week - mean_week) * (gap - mean_gap)
            for week, gap, weight in points
        )
        / spread
    )
    se = 1 / math.sqrt(spread)
    p_value = float(2 * norm.sf(abs(slope / se)))
    return PreTrend(len(points), slope, se, p_value, warning=p_value < level)


@dataclass(frozen=True)
class RegressionToMean:
    median_all: float
    median_treated: float
    share_treated_below: float
    warning: bool


def regression_to_mean(
    *, treated_baseline: Sequence[float], all_baseline: Sequence[float]
) -> RegressionToMean:
    """Warns when the treated units were below the median of all units
    (treated and untreated) before go-live: units picked for a bad score
    tend to improve anyway, pilot or not. Call with both lists non-empty."""
    median_all = statistics.median(all_baseline)
    median_treated = statistics.median(treated_baseline)
    below = sum(1 for score in treated_baseline if score < median_all)
    return RegressionToMean(
        median_all=median_all,
        median_treated=median_treated,
        share_treated_below=below / len(treated_baseline),
        warning=median_treated < median_all,
    )


@dataclass(frozen=True)
class SampleRatio:
    treated: int
    control: int
    expected_treated_share: float
    chi_square: float
    p_value: float
    warning: bool


def sample_ratio(
    *,
    treated: int,
    control: int,
    treated_share: float,
    level: float = SAMPLE_RATIO_LEVEL,
) -> SampleRatio:
    """Pearson's χ² (1 degree of freedom) of the assigned counts against
    the chosen split; a warning below `level`."""
    total = treated + control
    expected = (total * treated_share, total * (1 - treated_share))
    chi_square = sum(
        (observed - wanted) ** 2 / wanted
        for observed, wanted in zip((treated, control), expected, strict=True)
    )
    p_value = float(chi2.sf(chi_square, 1))
    return SampleRatio(
        treated=treated,
        control=control,
        expected_treated_share=treated_share,
        chi_square=chi_square,
        p_value=p_value,
        warning=p_value < level,
    )


def low_sample_cells(
    cells: Sequence[CellEstimate], *, minimum: int = MINIMUM_SAMPLE
) -> list[dict[str, str]]:
    """The cells with fewer answers than the minimum sample (settings'
    METRICS_MIN_SAMPLE, 30 by default, as elsewhere in Touchloop)."""
    return [
        {"group": cell.group, "period": cell.period}
        for cell in cells
        if cell.n < minimum
    ]


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given: the i-th
    smallest of m is multiplied by m − i + 1, then made non-decreasing and
    capped at 1. Reject where the adjusted value is ≤ α."""
    order = sorted(range(len(p_values)), key=lambda index: p_values[index])
    count = len(p_values)
    adjusted = [0.0] * count
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (count - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted
