"""Power before go-live: the sample-size formula against the issue's
published values and a plain computation, and the weeks it takes."""

import math
from statistics import NormalDist

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pilots.statistics.measures import Moments
from pilots.statistics.power import (
    plan_power,
    sample_size_per_group,
    variance_in_points,
)

# NPS 25 from 45% promoters, 35% passives and 20% detractors.
PUBLISHED_BASELINE = Moments.of_bands(promoters=45, passives=35, detractors=20)


def test_the_nps_variance_in_points_is_p_plus_d_minus_nps_squared():
    # 0.45 + 0.20 − 0.25² = 0.5875, in points² ×10,000.
    assert variance_in_points(PUBLISHED_BASELINE, measure="nps") == pytest.approx(
        5875.0
    )


@pytest.mark.parametrize(("min_effect", "published"), [(5, 3689), (10, 922), (15, 410)])
def test_the_sample_size_reproduces_the_published_values(min_effect, published):
    variance = variance_in_points(PUBLISHED_BASELINE, measure="nps")

    n = sample_size_per_group(
        variance=variance, min_effect=min_effect, alpha=0.05, power=0.8
    )

    assert n == published


@settings(deadline=None, max_examples=80)
@given(
    variance=st.floats(1, 10_000),
    min_effect=st.floats(0.5, 50),
    alpha=st.sampled_from([0.01, 0.05, 0.1]),
    power=st.sampled_from([0.8, 0.9]),
)
def test_the_sample_size_is_the_formula_rounded_to_the_nearest_answer(
    variance, min_effect, alpha, power
):
    normal = NormalDist()
    z_sum = normal.inv_cdf(1 - alpha / 2) + normal.inv_cdf(power)
    exact = z_sum**2 * 2 * variance / min_effect**2
    # A value on a half is too close to call between two libraries' quantiles.
    assume(abs(exact - math.floor(exact) - 0.5) > 1e-6)

    n = sample_size_per_group(
        variance=variance, min_effect=min_effect, alpha=alpha, power=power
    )

    assert n == round(exact)


def test_a_difference_in_differences_doubles_each_cell_and_waits_for_the_slower_group():
    plan = plan_power(
        variance=5875.0,
        min_effect=10,
        weekly_rate_treated=461.0,
        weekly_rate_control=922.0,
        weeks_available=3.0,
    )

    assert plan.n == 1844
    assert (plan.weeks_treated, plan.weeks_control) == (4.0, 2.0)
    assert plan.weeks_needed == 4.0
    assert plan.ends_too_soon is True


def test_a_plain_difference_that_fits_before_the_planned_end_is_not_flagged():
    plan = plan_power(
        variance=5875.0,
        min_effect=10,
        weekly_rate_treated=461.0,
        weekly_rate_control=461.0,
        weeks_available=2.0,
        difference_in_differences=False,
    )

    assert (plan.n, plan.weeks_needed, plan.ends_too_soon) == (922, 2.0, False)


def test_a_group_without_answers_can_never_reach_its_sample():
    plan = plan_power(
        variance=0.25 * 10_000,
        min_effect=5,
        weekly_rate_treated=0.0,
        weekly_rate_control=100.0,
        weeks_available=52.0,
    )

    assert (plan.weeks_treated, plan.weeks_needed, plan.ends_too_soon) == (
        None,
        None,
        True,
    )
