"""A theme's impact and a sentiment's share, against a plain computation:
each answer scored one by one, means and variances summed by hand."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feedback.metrics.statistics import (
    BandCounts,
    difference_margin,
    proportion_margin,
    theme_impact,
)

KINDS = ["nps", "csat", "ces"]
bands = st.builds(
    BandCounts,
    st.integers(0, 400),
    st.integers(0, 400),
    st.integers(0, 400),
)


def answer_values(kind: str, counts: BandCounts) -> list[int]:
    """One value per answer: +1/0/−1 for NPS, 1/0 (positive or not) else."""
    negative = -1 if kind == "nps" else 0
    return (
        [1] * counts.promoters + [0] * counts.passives + [negative] * counts.detractors
    )


def mean(values: list[int]) -> float:
    return sum(values) / len(values)


def variance(values: list[int]) -> float:
    average = mean(values)
    return sum((value - average) ** 2 for value in values) / len(values)


def plain_impact(kind, mentioning, read):
    without = BandCounts(
        read.promoters - mentioning.promoters,
        read.passives - mentioning.passives,
        read.detractors - mentioning.detractors,
    )
    with_values = answer_values(kind, mentioning)
    without_values = answer_values(kind, without)
    difference = 100 * (mean(with_values) - mean(without_values))
    share = len(with_values) / (len(with_values) + len(without_values))
    error = math.sqrt(
        variance(with_values) / len(with_values)
        + variance(without_values) / len(without_values)
    )
    return (
        100 * mean(with_values),
        100 * mean(without_values),
        difference * share,
        1.96 * error * 100,
        100 * share,
    )


# A figure rounded to one (two) decimals is within half a tenth (hundredth)
# of the exact value; an exact value that is a half (−9.25) lies a float's
# hair beyond it.
TENTH = 0.05 + 1e-9
HUNDREDTH = 0.005 + 1e-9


@given(kind=st.sampled_from(KINDS), mentioning=bands, others=bands)
def test_a_themes_impact_is_its_difference_times_its_share(kind, mentioning, others):
    read = mentioning + others
    figures = theme_impact(kind, mentioning, read, minimum=30)

    if mentioning.n < 30 or others.n < 30:
        assert figures.low_sample is True
        assert (figures.score_with, figures.impact, figures.margin) == (None,) * 3
        return
    score_with, score_without, impact, margin, share = plain_impact(
        kind, mentioning, read
    )
    assert figures.low_sample is False
    assert figures.n == mentioning.n
    assert figures.score_with == pytest.approx(score_with, abs=TENTH)
    assert figures.score_without == pytest.approx(score_without, abs=TENTH)
    assert figures.impact == pytest.approx(impact, abs=HUNDREDTH)
    assert figures.margin == pytest.approx(margin, abs=TENTH)
    assert figures.share == pytest.approx(share, abs=TENTH)


@given(kind=st.sampled_from(KINDS), first=bands, second=bands)
def test_the_margin_of_a_difference_adds_the_two_variances(kind, first, second):
    if first.n == 0 or second.n == 0:
        return
    first_values = answer_values(kind, first)
    second_values = answer_values(kind, second)
    expected = (
        1.96
        * math.sqrt(
            variance(first_values) / first.n + variance(second_values) / second.n
        )
        * 100
    )

    assert difference_margin(kind, first, second) == pytest.approx(expected, abs=1e-9)


@given(count=st.integers(0, 500), extra=st.integers(0, 500))
def test_a_shares_margin_is_the_proportions(count, extra):
    n = count + extra
    if n == 0:
        assert proportion_margin(count, n) is None
        return
    values = [1] * count + [0] * extra

    assert proportion_margin(count, n) == pytest.approx(
        1.96 * math.sqrt(variance(values) / n) * 100, abs=1e-9
    )


def test_an_nps_themes_figures_by_hand():
    # 40 mentioning: 10 promoters, 10 passives, 20 detractors (NPS −25);
    # 60 not: 30, 20, 10 (NPS 33.3); share 40%.
    figures = theme_impact(
        "nps", BandCounts(10, 10, 20), BandCounts(40, 30, 30), minimum=30
    )

    # v₁ = 0.75 − 0.0625 = 0.6875; v₂ = 0.6667 − 0.1111 = 0.5556;
    # 1.96 · √(0.6875/40 + 0.5556/60) · 100 = 1.96 · 16.26 = 31.87.
    assert figures == type(figures)(
        n=40,
        share=40.0,
        score_with=-25.0,
        score_without=33.3,
        impact=-23.33,
        margin=31.9,
        low_sample=False,
    )


def test_a_theme_below_the_minimum_on_either_side_shows_no_score():
    few_without = theme_impact(
        "csat", BandCounts(20, 10, 10), BandCounts(40, 15, 14), minimum=30
    )

    assert few_without.low_sample is True
    assert few_without.n == 40
    assert few_without.share == 58.0
    assert few_without.impact is None
