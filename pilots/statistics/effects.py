"""The effect of a pilot: a difference between the groups, or a
difference-in-differences against the baseline, with an honest interval.

- Without a baseline: treated − control, SE √(SE_T² + SE_C²).
- With a baseline and different people in each period: Δ = (T_after −
  T_before) − (C_after − C_before), SE √(sum of the four squared SEs).
- With the same units in both periods: the regression y ~ treated × after,
  with standard errors clustered by unit, fitted on per-unit-period means
  weighted by their answer counts (exact, see `clustered_difference_in_
  differences`); with fewer than 20 units a permutation test over units.
"""

import itertools
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import statsmodels.api as sm
from numpy.typing import NDArray
from scipy.stats import norm
from scipy.stats import t as student_t

from pilots.statistics.cells import (
    GROUPS,
    PERIODS,
    CellEstimate,
    estimate_cells,
    standard_error,
)
from pilots.statistics.measures import (
    SCALE,
    Group,
    Measure,
    Moments,
    NotEnoughDataError,
    Period,
    UnitPeriods,
)
from pilots.statistics.sequential import always_valid_p_value, confidence_sequence

Method = Literal["difference_in_differences", "difference"]
Label = Literal["observational", "randomised"]
Inference = Literal["independent", "cluster_robust", "permutation"]

MINIMUM_CLUSTERS = 20
PERMUTATIONS = 9_999
# Fixed so that the same data always give the same interval and p-value.
PERMUTATION_SEED = 19
# Parameters of y ~ 1 + treated + after + treated·after.
REGRESSION_PARAMETERS = 4


@dataclass(frozen=True)
class Estimate:
    """An estimate in points; `se` is None for a permutation test, and an
    interval bound is None when no finite bound exists (too few units for
    the permutation test ever to reach α)."""

    estimate: float
    se: float | None
    ci_low: float | None
    ci_high: float | None
    p_value: float
    inference: Inference


def two_sided_p_value(estimate: float, se: float) -> float:
    if se == 0:
        # Unanimous cells: any difference is certain, none is no difference.
        return 0.0 if estimate != 0 else 1.0
    return float(2 * norm.sf(abs(estimate / se)))


def _normal_estimate(
    estimate: float, se: float, *, alpha: float, inference: Inference
) -> Estimate:
    margin = float(norm.ppf(1 - alpha / 2)) * se
    return Estimate(
        estimate=estimate,
        se=se,
        ci_low=estimate - margin,
        ci_high=estimate + margin,
        p_value=two_sided_p_value(estimate, se),
        inference=inference,
    )


def _require_answers(moments: Moments, *, group: Group, period: Period) -> None:
    if moments.n == 0:
        raise NotEnoughDataError(
            f"The {group} group has no answers in the {period} period, so "
            "there is nothing to compare."
        )


def difference(
    treated: Moments, control: Moments, *, measure: Measure, alpha: float = 0.05
) -> Estimate:
    _require_answers(treated, group="treated", period="after")
    _require_answers(control, group="control", period="after")
    estimate = (treated.mean - control.mean) * SCALE[measure]
    se = math.hypot(
        standard_error(treated, measure=measure),
        standard_error(control, measure=measure),
    )
    return _normal_estimate(estimate, se, alpha=alpha, inference="independent")


def difference_in_differences(
    cells: Mapping[tuple[Group, Period], Moments],
    *,
    measure: Measure,
    alpha: float = 0.05,
) -> Estimate:
    """For independent samples in each cell."""
    for (group, period), moments in cells.items():
        _require_answers(moments, group=group, period=period)

    def mean(group: Group, period: Period) -> float:
        return cells[(group, period)].mean

    change_treated = mean("treated", "after") - mean("treated", "before")
    change_control = mean("control", "after") - mean("control", "before")
    estimate = (change_treated - change_control) * SCALE[measure]
    se = math.sqrt(
        sum(standard_error(moments, measure=measure) ** 2 for moments in cells.values())
    )
    return _normal_estimate(estimate, se, alpha=alpha, inference="independent")


def cluster_robust_se(panel: UnitPeriods, *, measure: Measure) -> float:
    se = clustered_difference_in_differences(panel, measure=measure).se
    return 0.0 if se is None else se


def clustered_difference_in_differences(
    panel: UnitPeriods, *, measure: Measure, alpha: float = 0.05
) -> Estimate:
    """y ~ treated × after, standard errors clustered by unit.

    Fitted on one row per unit and period (its mean, weighted by its answer
    count) instead of one row per answer. This is exact because the design
    row is the same for every answer of a unit-period: X'WX and X'Wȳ equal
    the per-answer X'X and X'y, so the coefficients agree, and each unit's
    score Σ xᵢeᵢ = Σ over its periods of n·x·(ȳ − x'β), so the sandwich's
    meat agrees too. Only the small-sample factor G/(G − 1) · (N − 1)/(N − K)
    counts observations, so it is applied here with N = the number of
    answers, as the per-answer fit does. The interval uses Student's t with
    G − 1 degrees of freedom, as is usual for clustered errors.
    """
    rows = panel.n > 0
    counts = panel.n[rows]
    means = panel.total[rows] / counts
    treated = panel.treated[rows].astype(np.float64)
    after = panel.after[rows].astype(np.float64)
    design = np.column_stack([np.ones_like(treated), treated, after, treated * after])
    units = panel.unit[rows]
    fit = sm.WLS(means, design, weights=counts).fit(
        cov_type="cluster", cov_kwds={"groups": units, "use_correction": False}
    )
    clusters = int(np.unique(units).size)
    answers = float(counts.sum())
    correction = (
        clusters / (clusters - 1) * (answers - 1) / (answers - REGRESSION_PARAMETERS)
    )
    scale = SCALE[measure]
    estimate = float(fit.params[3]) * scale
    # With no spread at all, rounding can leave the variance a hair below 0.
    variance = max(float(fit.cov_params()[3, 3]), 0.0) * correction
    se = math.sqrt(variance) * scale
    critical = float(student_t.ppf(1 - alpha / 2, clusters - 1))
    p_value = (
        (0.0 if estimate != 0 else 1.0)
        if se == 0
        else float(2 * student_t.sf(abs(estimate / se), clusters - 1))
    )
    return Estimate(
        estimate=estimate,
        se=se,
        ci_low=estimate - critical * se,
        ci_high=estimate + critical * se,
        p_value=p_value,
        inference="cluster_robust",
    )


@dataclass(frozen=True)
class _UnitSums:
    """Per unit (in code order): its group and its sums in each period."""

    treated: NDArray[np.float64]
    n_before: NDArray[np.float64]
    total_before: NDArray[np.float64]
    n_after: NDArray[np.float64]
    total_after: NDArray[np.float64]


def _unit_sums(panel: UnitPeriods) -> _UnitSums:
    rows = panel.n > 0
    _, codes = np.unique(panel.unit[rows], return_inverse=True)
    units = int(codes.max()) + 1
    treated = np.zeros(units)
    treated[codes] = panel.treated[rows]
    after = panel.after[rows]

    def summed(
        values: NDArray[np.float64], chosen: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        return np.bincount(
            codes[chosen], weights=values[chosen], minlength=units
        ).astype(np.float64)

    return _UnitSums(
        treated=treated,
        n_before=summed(panel.n[rows], ~after),
        total_before=summed(panel.total[rows], ~after),
        n_after=summed(panel.n[rows], after),
        total_after=summed(panel.total[rows], after),
    )


def _did_of_assignments(
    assignments: NDArray[np.float64],
    sums: _UnitSums,
    total_after: NDArray[np.float64],
) -> NDArray[np.float64]:
    """The answer-weighted DiD for each row of 0/1 assignments (the same
    point estimate as the regression). A pseudo-group with no answers in a
    period gives NaN, which the p-value counts as extreme."""
    others = 1 - assignments

    def mean(
        weights: NDArray[np.float64],
        totals: NDArray[np.float64],
        counts: NDArray[np.float64],
    ) -> NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            result: NDArray[np.float64] = (weights @ totals) / (weights @ counts)
        return result

    return (
        mean(assignments, total_after, sums.n_after)
        - mean(assignments, sums.total_before, sums.n_before)
    ) - (
        mean(others, total_after, sums.n_after)
        - mean(others, sums.total_before, sums.n_before)
    )


def _other_assignments(
    treated: NDArray[np.float64], *, permutations: int, seed: int
) -> NDArray[np.float64]:
    """Every other way to pick as many treated units when there are few
    enough (an exact test), else `permutations` random shuffles."""
    units = treated.size
    treated_count = int(treated.sum())
    if math.comb(units, treated_count) - 1 <= permutations:
        observed = tuple(np.flatnonzero(treated).tolist())
        rows = []
        for chosen in itertools.combinations(range(units), treated_count):
            if chosen != observed:
                row = np.zeros(units)
                row[list(chosen)] = 1
                rows.append(row)
        return np.array(rows).reshape(len(rows), units)
    generator = np.random.default_rng(seed)
    shuffled: NDArray[np.float64] = generator.permuted(
        np.tile(treated, (permutations, 1)), axis=1
    )
    return shuffled


def _permutation_bound(
    p_value_at: Callable[[float], float],
    *,
    observed: float,
    step: float,
    direction: int,
    alpha: float,
) -> float | None:
    """The edge of {δ : p(δ) > α} on one side of the estimate: step out,
    doubling, until p falls to α, then bisect. None when it never does."""
    inside = observed
    outside = None
    distance = step
    for _ in range(64):
        candidate = observed + direction * distance
        if p_value_at(candidate) <= alpha:
            outside = candidate
            break
        inside = candidate
        distance *= 2
    if outside is None:
        return None
    for _ in range(60):
        middle = (inside + outside) / 2
        if p_value_at(middle) > alpha:
            inside = middle
        else:
            outside = middle
    return (inside + outside) / 2


def permutation_difference_in_differences(
    panel: UnitPeriods,
    *,
    measure: Measure,
    alpha: float = 0.05,
    permutations: int = PERMUTATIONS,
    seed: int = PERMUTATION_SEED,
) -> Estimate:
    """A permutation test over units, for too few clusters to trust a
    cluster-robust standard error.

    The p-value of a difference δ re-assigns the treated label among units
    after subtracting δ from every treated answer after go-live (the sharp
    null "the pilot moved each answer by δ"), and counts assignments whose
    DiD is at least as far from 0 as the observed one, the observed
    assignment included. The interval is every δ whose p-value exceeds α.
    With two groups of equal size, swapping them always ties with the
    observed assignment, so the smallest p-value is 2 / the assignments;
    when that is above α no finite bound exists and the bound is None.
    """
    sums = _unit_sums(panel)
    assignments = _other_assignments(sums.treated, permutations=permutations, seed=seed)
    observed = float(
        _did_of_assignments(sums.treated[None, :], sums, sums.total_after)[0]
    )

    def p_value_at(delta: float) -> float:
        shifted = sums.total_after - delta * sums.n_after * sums.treated
        statistics = np.abs(_did_of_assignments(assignments, sums, shifted))
        target = abs(observed - delta)
        # Equal assignments must tie despite rounding; NaN counts as extreme.
        closer = statistics < target - 1e-9 * (1 + target)
        return float((1 + np.count_nonzero(~closer)) / (1 + len(assignments)))

    # The first step out from the estimate: the spread of the null DiDs.
    null = _did_of_assignments(assignments, sums, sums.total_after)
    finite = null[np.isfinite(null)]
    spread = float(finite.std()) if finite.size else 0.0
    step = spread if spread > 0 else 1.0
    low, high = (
        _permutation_bound(
            p_value_at, observed=observed, step=step, direction=side, alpha=alpha
        )
        for side in (-1, 1)
    )
    scale = SCALE[measure]
    return Estimate(
        estimate=observed * scale,
        se=None,
        ci_low=None if low is None else low * scale,
        ci_high=None if high is None else high * scale,
        p_value=p_value_at(0.0),
        inference="permutation",
    )


@dataclass(frozen=True)
class Effect:
    """The primary (or a guardrail's) result, in the API's shape, plus how
    it was inferred. `n_treated` and `n_control` count each group's answers
    in both periods."""

    estimate: float
    ci_low: float | None
    ci_high: float | None
    method: Method
    label: Label
    n_treated: int
    n_control: int
    interim: bool
    cells: list[CellEstimate]
    se: float | None
    p_value: float
    inference: Inference
    sequential: bool

    def as_dict(self) -> dict[str, object]:
        """The issue's `primary` object (with se, p_value, inference and
        sequential added)."""
        return asdict(self)


def _require_baseline(panel: UnitPeriods) -> bool:
    """Whether there is a baseline; refuses one that only a group has."""
    before = {group: panel.moments(group=group, period="before").n for group in GROUPS}
    if not any(before.values()):
        return False
    for group, count in before.items():
        if count == 0:
            raise NotEnoughDataError(
                f"The {group} group has no answers in the baseline period, so "
                "its change since go-live cannot be measured."
            )
    return True


def _fixed_horizon_estimate(
    panel: UnitPeriods,
    *,
    measure: Measure,
    alpha: float,
    has_baseline: bool,
    same_units: bool | None,
    minimum_clusters: int,
) -> Estimate:
    if not has_baseline:
        return difference(
            panel.moments(group="treated", period="after"),
            panel.moments(group="control", period="after"),
            measure=measure,
            alpha=alpha,
        )
    repeated = panel.has_units_in_both_periods() if same_units is None else same_units
    if not repeated:
        cells = {
            (group, period): panel.moments(group=group, period=period)
            for group in GROUPS
            for period in PERIODS
        }
        return difference_in_differences(cells, measure=measure, alpha=alpha)
    if panel.unit_count >= minimum_clusters:
        return clustered_difference_in_differences(panel, measure=measure, alpha=alpha)
    return permutation_difference_in_differences(panel, measure=measure, alpha=alpha)


def estimate_effect(
    panel: UnitPeriods,
    *,
    measure: Measure,
    label: Label,
    interim: bool,
    alpha: float = 0.05,
    same_units: bool | None = None,
    planned_se: float | None = None,
    minimum_clusters: int = MINIMUM_CLUSTERS,
) -> Effect:
    """The effect of a pilot on one KPI.

    `same_units` says whether the same units answer in both periods; None
    detects it (some unit answered on both sides of go-live). `planned_se`
    (in points, from the power calculation) asks for the sequential
    analysis: the interval becomes the always-valid confidence sequence.
    With a permutation test, which has no standard error, the sequence uses
    the cluster-robust one, a rougher guide with so few units.
    """
    for group in GROUPS:
        _require_answers(
            panel.moments(group=group, period="after"), group=group, period="after"
        )
    has_baseline = _require_baseline(panel)
    estimate = _fixed_horizon_estimate(
        panel,
        measure=measure,
        alpha=alpha,
        has_baseline=has_baseline,
        same_units=same_units,
        minimum_clusters=minimum_clusters,
    )
    if planned_se is not None:
        estimate = _sequential(
            estimate, panel, measure=measure, alpha=alpha, planned_se=planned_se
        )
    cells = estimate_cells(panel, measure=measure)
    return Effect(
        estimate=estimate.estimate,
        ci_low=estimate.ci_low,
        ci_high=estimate.ci_high,
        method="difference_in_differences" if has_baseline else "difference",
        label=label,
        n_treated=sum(cell.n for cell in cells if cell.group == "treated"),
        n_control=sum(cell.n for cell in cells if cell.group == "control"),
        interim=interim,
        cells=cells,
        se=estimate.se,
        p_value=estimate.p_value,
        inference=estimate.inference,
        sequential=planned_se is not None,
    )


def _sequential(
    estimate: Estimate,
    panel: UnitPeriods,
    *,
    measure: Measure,
    alpha: float,
    planned_se: float,
) -> Estimate:
    se = estimate.se
    if se is None:
        se = cluster_robust_se(panel, measure=measure)
    low, high = confidence_sequence(
        estimate.estimate, se, planned_se=planned_se, alpha=alpha
    )
    return Estimate(
        estimate=estimate.estimate,
        se=se,
        ci_low=low,
        ci_high=high,
        p_value=always_valid_p_value(
            estimate.estimate, se, planned_se=planned_se, alpha=alpha
        ),
        inference=estimate.inference,
    )
