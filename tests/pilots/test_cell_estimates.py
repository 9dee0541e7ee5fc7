"""Each group and period's value and standard error, against a plain
computation over single answers."""

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilots.statistics.cells import estimate_cell
from pilots.statistics.measures import Moments

NPS_SCORES = st.sampled_from([1, 0, -1])


@settings(deadline=None, max_examples=60)
@given(st.lists(NPS_SCORES, min_size=1, max_size=300))
def test_an_nps_cell_is_the_mean_of_plus_zero_minus_one_with_the_issue_se(scores):
    promoters = scores.count(1)
    detractors = scores.count(-1)
    n = len(scores)
    p, d = promoters / n, detractors / n

    cell = estimate_cell(
        Moments.of_bands(
            promoters=promoters, passives=scores.count(0), detractors=detractors
        ),
        measure="nps",
        group="treated",
        period="after",
    )

    assert cell.n == n
    assert cell.value == pytest.approx(100 * (p - d), abs=1e-9)
    assert cell.se == pytest.approx(
        100 * math.sqrt((p + d - (p - d) ** 2) / n), abs=1e-9
    )


@settings(deadline=None, max_examples=60)
@given(st.integers(0, 200), st.integers(1, 200))
def test_a_percentage_cell_is_a_proportion_with_its_binomial_se(positive, others):
    n = positive + others
    q = positive / n

    cell = estimate_cell(
        Moments.of_proportion(positive=positive, n=n),
        measure="percentage",
        group="control",
        period="before",
    )

    assert cell.value == pytest.approx(100 * q, abs=1e-9)
    assert cell.se == pytest.approx(100 * math.sqrt(q * (1 - q) / n), abs=1e-9)


@settings(deadline=None, max_examples=60)
@given(
    st.lists(
        st.floats(0, 10_000, allow_nan=False).map(lambda x: round(x, 2)),
        min_size=2,
        max_size=200,
    )
)
def test_a_duration_cell_is_a_sample_mean_with_the_sample_variance(values):
    cell = estimate_cell(
        Moments.of_values(values), measure="mean", group="treated", period="before"
    )

    assert cell.value == pytest.approx(statistics.fmean(values), rel=1e-9, abs=1e-9)
    # From sums, Σx² − n·x̄² is exact up to the rounding of Σx² itself.
    assert cell.se is not None
    rounding = 1e-12 * sum(value**2 for value in values) / (len(values) - 1)
    assert cell.se**2 * len(values) == pytest.approx(
        statistics.variance(values), rel=1e-9, abs=rounding
    )


def test_identical_durations_have_no_spread_despite_rounding():
    cell = estimate_cell(
        Moments.of_values([9_999.99] * 7),
        measure="mean",
        group="treated",
        period="after",
    )

    assert cell.se == 0.0


def test_an_empty_cell_has_no_value_and_no_interval():
    cell = estimate_cell(Moments(), measure="nps", group="treated", period="after")

    assert (cell.n, cell.value, cell.se, cell.interval()) == (0, None, None, None)


def test_a_cell_interval_is_value_plus_minus_1_96_se():
    # 40 promoters, 30 passives, 30 detractors: NPS 10, variance 0.69.
    cell = estimate_cell(
        Moments.of_bands(promoters=40, passives=30, detractors=30),
        measure="nps",
        group="treated",
        period="after",
    )

    se = 100 * math.sqrt(0.69 / 100)
    assert cell.value == pytest.approx(10.0)
    assert cell.interval() == pytest.approx((10 - 1.959964 * se, 10 + 1.959964 * se))
