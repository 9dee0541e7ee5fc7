"""The checks shown with every result: Holm's correction, the sample ratio,
the pre-period trend of the gap, regression to the mean and low samples."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chisquare

from pilots.statistics.cells import estimate_cell
from pilots.statistics.checks import (
    holm,
    low_sample_cells,
    pre_trend,
    regression_to_mean,
    sample_ratio,
)
from pilots.statistics.measures import Moments


def test_holm_matches_a_hand_worked_example():
    # Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → 0.06
    # (step-down values never decrease), given back in the original order.
    adjusted = holm([0.01, 0.04, 0.03, 0.005])

    assert adjusted == pytest.approx([0.03, 0.06, 0.06, 0.02])
    assert [p <= 0.05 for p in adjusted] == [True, False, False, True]


def test_holm_caps_adjusted_p_values_at_one():
    assert holm([0.6, 0.5]) == [1.0, 1.0]


def holm_rejections(p_values, alpha):
    """Holm's procedure as written: walk the p-values from the smallest,
    rejecting while the k-th smallest (from 0) is at most α / (m − k)."""
    rejected = set()
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    for k, index in enumerate(order):
        if p_values[index] > alpha / (len(p_values) - k):
            break
        rejected.add(index)
    return rejected


@settings(deadline=None, max_examples=80)
@given(
    st.lists(st.floats(0, 0.2), min_size=1, max_size=12),
    st.sampled_from([0.01, 0.05, 0.1]),
)
def test_holm_adjusted_values_reject_what_the_step_down_procedure_rejects(
    p_values, alpha
):
    adjusted = holm(p_values)

    assert {i for i, p in enumerate(adjusted) if p <= alpha} == holm_rejections(
        p_values, alpha
    )


@settings(deadline=None, max_examples=80)
@given(
    treated=st.integers(0, 20_000),
    control=st.integers(1, 20_000),
    share=st.sampled_from([0.1, 0.3, 0.5, 0.8]),
)
def test_the_sample_ratio_check_is_pearsons_chi_square(treated, control, share):
    total = treated + control
    expected = chisquare([treated, control], f_exp=[total * share, total * (1 - share)])

    result = sample_ratio(treated=treated, control=control, treated_share=share)

    assert result.chi_square == pytest.approx(expected.statistic, rel=1e-9, abs=1e-9)
    assert result.p_value == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-12)
    assert result.warning == (expected.pvalue < 0.001)


def test_a_broken_split_is_flagged_and_a_fair_one_is_not():
    assert sample_ratio(treated=5_200, control=4_800, treated_share=0.5).warning
    assert not sample_ratio(treated=5_050, control=4_950, treated_share=0.5).warning


def plain_nps(promoters, passives, detractors):
    n = promoters + passives + detractors
    p, d = promoters / n, detractors / n
    return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / n)


WEEK = st.tuples(st.integers(0, 60), st.integers(0, 60), st.integers(0, 60))


@settings(deadline=None, max_examples=60)
@given(st.lists(st.tuples(WEEK, WEEK), min_size=3, max_size=13))
def test_the_pre_trend_is_a_weighted_least_squares_slope_of_the_gap(weeks):
    moments = [
        (
            Moments.of_bands(promoters=tp, passives=tq, detractors=td),
            Moments.of_bands(promoters=cp, passives=cq, detractors=cd),
        )
        for (tp, tq, td), (cp, cq, cd) in weeks
    ]
    # The plain version: NPS from the counts, numpy's weighted polyfit with
    # w = 1/SE of the gap.
    x, gaps, errors = [], [], []
    for week, bands in enumerate(weeks):
        if 0 in (sum(bands[0]), sum(bands[1])):
            continue
        figures = [plain_nps(*group_bands) for group_bands in bands]
        error = math.hypot(figures[0][1], figures[1][1])
        if error > 0:
            x.append(week)
            gaps.append(figures[0][0] - figures[1][0])
            errors.append(error)

    result = pre_trend(moments, measure="nps")

    assert result.weeks_used == len(x)
    if len(x) < 3:
        assert (result.slope, result.p_value, result.warning) == (None, None, False)
        return
    (slope, _), covariance = np.polyfit(
        x, gaps, 1, w=1 / np.array(errors), cov="unscaled"
    )
    se = math.sqrt(covariance[0, 0])
    assert result.slope == pytest.approx(slope, rel=1e-6, abs=1e-9)
    assert result.se == pytest.approx(se, rel=1e-6)
    assert result.p_value == pytest.approx(
        math.erfc(abs(slope / se) / math.sqrt(2)), rel=1e-5, abs=1e-9
    )


def test_a_gap_that_widens_before_go_live_is_warned_about_and_a_steady_one_is_not():
    # 12 weeks of 1,000 answers per group; the treated group's NPS climbs 2
    # points a week in one case and stays level in the other.
    control = Moments.of_bands(promoters=450, passives=350, detractors=200)
    rising = [
        (
            Moments.of_bands(
                promoters=400 + 10 * week, passives=350, detractors=250 - 10 * week
            ),
            control,
        )
        for week in range(12)
    ]
    steady = [(control, control)] * 12

    assert pre_trend(rising, measure="nps").warning is True
    level = pre_trend(steady, measure="nps")
    assert (level.slope, level.p_value, level.warning) == (0.0, 1.0, False)


def test_treated_units_chosen_for_a_low_score_warn_of_regression_to_the_mean():
    everyone = [10.0, 20.0, 30.0, 40.0, 50.0, 60.0]  # median 35
    low = regression_to_mean(treated_baseline=[10.0, 20.0, 40.0], all_baseline=everyone)
    high = regression_to_mean(
        treated_baseline=[30.0, 50.0, 60.0], all_baseline=everyone
    )

    assert (low.median_all, low.median_treated, low.warning) == (35.0, 20.0, True)
    assert low.share_treated_below == pytest.approx(2 / 3)
    assert (high.median_treated, high.warning) == (50.0, False)


def test_cells_below_the_minimum_sample_are_flagged():
    cells = [
        estimate_cell(
            Moments.of_proportion(positive=5, n=29),
            measure="percentage",
            group="treated",
            period="before",
        ),
        estimate_cell(
            Moments.of_proportion(positive=5, n=30),
            measure="percentage",
            group="treated",
            period="after",
        ),
        estimate_cell(
            Moments.of_proportion(positive=5, n=100),
            measure="percentage",
            group="control",
            period="before",
        ),
        estimate_cell(
            Moments.of_proportion(positive=5, n=12),
            measure="percentage",
            group="control",
            period="after",
        ),
    ]

    assert low_sample_cells(cells, minimum=30) == [
        {"group": "treated", "period": "before"},
        {"group": "control", "period": "after"},
    ]
