"""The difference between groups and the difference-in-differences of
independent cells, against plain computations over single answers."""

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilots.statistics.effects import difference, difference_in_differences
from pilots.statistics.measures import Moments

NPS_LISTS = st.lists(st.sampled_from([1, 0, -1]), min_size=1, max_size=200)


def plain_nps(scores):
    """NPS in points and its SE, counting promoters and detractors."""
    n = len(scores)
    p = sum(1 for s in scores if s == 1) / n
    d = sum(1 for s in scores if s == -1) / n
    return 100 * (p - d), 100 * math.sqrt((p + d - (p - d) ** 2) / n)


def moments_of(scores):
    return Moments.of_bands(
        promoters=scores.count(1),
        passives=scores.count(0),
        detractors=scores.count(-1),
    )


@settings(deadline=None, max_examples=60)
@given(NPS_LISTS, NPS_LISTS)
def test_without_a_baseline_the_effect_is_the_difference_of_the_groups(
    treated, control
):
    treated_value, treated_se = plain_nps(treated)
    control_value, control_se = plain_nps(control)

    result = difference(moments_of(treated), moments_of(control), measure="nps")

    se = math.sqrt(treated_se**2 + control_se**2)
    assert result.estimate == pytest.approx(treated_value - control_value, abs=1e-9)
    assert result.se == pytest.approx(se, abs=1e-9)
    assert result.ci_low == pytest.approx(result.estimate - 1.959964 * se, abs=1e-4)
    assert result.ci_high == pytest.approx(result.estimate + 1.959964 * se, abs=1e-4)
    assert result.inference == "independent"


@settings(deadline=None, max_examples=60)
@given(NPS_LISTS, NPS_LISTS, NPS_LISTS, NPS_LISTS)
def test_the_did_of_independent_cells_subtracts_the_changes_and_adds_the_variances(
    treated_before, treated_after, control_before, control_after
):
    plain = {
        key: plain_nps(scores)
        for key, scores in {
            ("treated", "before"): treated_before,
            ("treated", "after"): treated_after,
            ("control", "before"): control_before,
            ("control", "after"): control_after,
        }.items()
    }
    expected = (plain[("treated", "after")][0] - plain[("treated", "before")][0]) - (
        plain[("control", "after")][0] - plain[("control", "before")][0]
    )
    expected_se = math.sqrt(sum(se**2 for _, se in plain.values()))

    result = difference_in_differences(
        {
            ("treated", "before"): moments_of(treated_before),
            ("treated", "after"): moments_of(treated_after),
            ("control", "before"): moments_of(control_before),
            ("control", "after"): moments_of(control_after),
        },
        measure="nps",
    )

    assert result.estimate == pytest.approx(expected, abs=1e-9)
    assert result.se == pytest.approx(expected_se, abs=1e-9)
    z = expected / expected_se if expected_se else None
    if z is not None:
        assert result.p_value == pytest.approx(
            math.erfc(abs(z) / math.sqrt(2)), abs=1e-9
        )


@settings(deadline=None, max_examples=40)
@given(
    st.lists(st.integers(0, 500), min_size=2, max_size=100),
    st.lists(st.integers(0, 500), min_size=2, max_size=100),
)
def test_a_difference_of_durations_uses_the_sample_variances(treated, control):
    result = difference(
        Moments.of_values(treated), Moments.of_values(control), measure="mean"
    )

    se = math.sqrt(
        statistics.variance(treated) / len(treated)
        + statistics.variance(control) / len(control)
    )
    assert result.estimate == pytest.approx(
        statistics.fmean(treated) - statistics.fmean(control), abs=1e-9
    )
    assert result.se == pytest.approx(se, rel=1e-9, abs=1e-9)
