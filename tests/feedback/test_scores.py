"""The score formulas on band counts, worked out by hand and against a plain
computation over answer scores (DESIGN.md, "Scales and formulas")."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feedback.metrics.scores import JourneyCell, pain_points
from feedback.metrics.statistics import (
    BandCounts,
    figures_of,
    is_significant_change,
)
from surveys.models import Band, Kind, band_for, scale_of

# Every boundary score of every kind, with its band.
BOUNDARIES = [
    (Kind.NPS, 0, Band.DETRACTOR),
    (Kind.NPS, 6, Band.DETRACTOR),
    (Kind.NPS, 7, Band.PASSIVE),
    (Kind.NPS, 8, Band.PASSIVE),
    (Kind.NPS, 9, Band.PROMOTER),
    (Kind.NPS, 10, Band.PROMOTER),
    (Kind.CSAT, 1, Band.DETRACTOR),
    (Kind.CSAT, 2, Band.DETRACTOR),
    (Kind.CSAT, 3, Band.PASSIVE),
    (Kind.CSAT, 4, Band.PROMOTER),
    (Kind.CSAT, 5, Band.PROMOTER),
    (Kind.CES, 1, Band.DETRACTOR),
    (Kind.CES, 3, Band.DETRACTOR),
    (Kind.CES, 4, Band.PASSIVE),
    (Kind.CES, 5, Band.PROMOTER),
    (Kind.CES, 7, Band.PROMOTER),
]

# The published bands, written out score by score.
POSITIVE: dict[str, set[int]] = {
    Kind.NPS: {9, 10},
    Kind.CSAT: {4, 5},
    Kind.CES: {5, 6, 7},
}
NEGATIVE: dict[str, set[int]] = {
    Kind.NPS: {0, 1, 2, 3, 4, 5, 6},
    Kind.CSAT: {1, 2},
    Kind.CES: {1, 2, 3},
}


def counts_of(kind: str, scores: list[int]) -> BandCounts:
    return BandCounts(
        promoters=sum(score in POSITIVE[kind] for score in scores),
        passives=sum(
            score not in POSITIVE[kind] and score not in NEGATIVE[kind]
            for score in scores
        ),
        detractors=sum(score in NEGATIVE[kind] for score in scores),
    )


@pytest.mark.parametrize(("kind", "score", "band"), BOUNDARIES)
def test_a_boundary_score_is_in_its_published_band(kind, score, band):
    assert band_for(kind, score) == band


@pytest.mark.parametrize("kind", [Kind.NPS, Kind.CSAT, Kind.CES])
def test_every_score_of_a_scale_is_in_the_band_written_out_by_hand(kind):
    expected = {
        score: Band.PROMOTER
        if score in POSITIVE[kind]
        else Band.DETRACTOR
        if score in NEGATIVE[kind]
        else Band.PASSIVE
        for score in scale_of(kind)
    }

    assert {score: band_for(kind, score) for score in scale_of(kind)} == expected


@pytest.mark.parametrize(
    ("kind", "score"),
    [(Kind.NPS, -1), (Kind.NPS, 11), (Kind.CSAT, 0), (Kind.CSAT, 6), (Kind.CES, 8)],
)
def test_a_score_off_the_scale_has_no_band(kind, score):
    with pytest.raises(ValueError, match="outside"):
        band_for(kind, score)


def test_nps_of_ten_nine_eight_three_zero_is_zero_with_its_margin():
    # p = d = 2/5: variance = 0.8 − 0² = 0.8; margin = 1.96 · √(0.8 / 5) · 100
    # = 1.96 · 0.4 · 100 = 78.4.
    figures = figures_of(Kind.NPS, counts_of(Kind.NPS, [10, 9, 8, 3, 0]), minimum=30)

    assert (figures.n, figures.promoters, figures.passives, figures.detractors) == (
        5,
        2,
        1,
        2,
    )
    assert figures.score == 0.0
    assert figures.margin == 78.4
    assert figures.low_sample is True
    assert figures.change is None
    assert figures.is_significant is None


def test_nps_of_twenty_answers_by_hand():
    # 10 promoters, 6 passives, 4 detractors: NPS = 50 − 20 = 30;
    # variance = 0.5 + 0.2 − 0.3² = 0.61; margin = 1.96 · √(0.61 / 20) · 100
    # = 34.23…
    figures = figures_of(
        Kind.NPS, BandCounts(promoters=10, passives=6, detractors=4), minimum=30
    )

    assert figures.score == 30.0
    assert figures.margin == 34.2
    assert figures.negative_share == 0.2


def test_one_answer_is_the_whole_score_with_no_spread_and_a_warning():
    promoter = figures_of(Kind.NPS, counts_of(Kind.NPS, [9]), minimum=30)
    detractor = figures_of(Kind.NPS, counts_of(Kind.NPS, [6]), minimum=30)
    passive = figures_of(Kind.NPS, counts_of(Kind.NPS, [7]), minimum=30)

    assert (promoter.n, promoter.score, promoter.margin) == (1, 100.0, 0.0)
    assert (detractor.n, detractor.score, detractor.margin) == (1, -100.0, 0.0)
    assert (passive.n, passive.score, passive.margin) == (1, 0.0, 0.0)
    assert promoter.low_sample is detractor.low_sample is passive.low_sample is True


def test_all_promoters_score_a_hundred_with_no_margin():
    figures = figures_of(Kind.NPS, BandCounts(promoters=40), minimum=30)

    assert (figures.n, figures.score, figures.margin, figures.low_sample) == (
        40,
        100.0,
        0.0,
        False,
    )


def test_csat_of_three_positive_answers_in_four():
    # q = 0.75: margin = 1.96 · √(0.75 · 0.25 / 4) · 100 = 42.43…
    figures = figures_of(Kind.CSAT, counts_of(Kind.CSAT, [5, 4, 4, 3]), minimum=30)

    assert (figures.promoters, figures.passives, figures.detractors) == (3, 1, 0)
    assert figures.score == 75.0
    assert figures.margin == 42.4


def test_csat_counts_only_four_and_five_as_satisfied():
    # 1 and 2 are negative, 3 neutral: 2 positive of 5 = 40 %;
    # margin = 1.96 · √(0.4 · 0.6 / 5) · 100 = 42.94…
    figures = figures_of(Kind.CSAT, counts_of(Kind.CSAT, [1, 2, 3, 4, 5]), minimum=30)

    assert (figures.promoters, figures.passives, figures.detractors) == (2, 1, 2)
    assert figures.score == 40.0
    assert figures.margin == 42.9


def test_ces_counts_five_to_seven_as_easy():
    # 7, 6, 5 positive; 4 neutral; 3, 2, 1 negative; 3 of 7 = 42.857… %;
    # margin = 1.96 · √((3/7)(4/7) / 7) · 100 = 36.66…
    figures = figures_of(
        Kind.CES, counts_of(Kind.CES, [1, 2, 3, 4, 5, 6, 7]), minimum=30
    )

    assert (figures.promoters, figures.passives, figures.detractors) == (3, 1, 3)
    assert figures.score == 42.9
    assert figures.margin == 36.7
    assert figures.negative_share == 3 / 7


@pytest.mark.parametrize("kind", [Kind.NPS, Kind.CSAT, Kind.CES])
def test_no_answers_have_no_score_and_a_warning(kind):
    figures = figures_of(kind, BandCounts(), minimum=30)

    assert figures.kind == kind
    assert figures.n == 0
    assert figures.score is None
    assert figures.margin is None
    assert figures.low_sample is True
    assert figures.negative_share is None


def test_the_warning_stops_at_the_minimum_sample():
    below = figures_of(Kind.NPS, BandCounts(promoters=29), minimum=30)
    at = figures_of(Kind.NPS, BandCounts(promoters=30), minimum=30)

    assert below.low_sample is True
    assert at.low_sample is False


def nps_z(now: BandCounts, before: BandCounts) -> float:
    def variance(counts: BandCounts) -> float:
        p, d = counts.promoters / counts.n, counts.detractors / counts.n
        return p + d - (p - d) ** 2

    difference = (now.promoters - now.detractors) / now.n - (
        before.promoters - before.detractors
    ) / before.n
    return difference / math.sqrt(variance(now) / now.n + variance(before) / before.n)


def pooled_z(positive_now: int, n_now: int, positive_before: int, n_before: int):
    pooled = (positive_now + positive_before) / (n_now + n_before)
    difference = positive_now / n_now - positive_before / n_before
    return difference / math.sqrt(pooled * (1 - pooled) * (1 / n_now + 1 / n_before))


def test_nps_fifty_against_forty_of_four_hundred_each_is_significant():
    now = BandCounts(promoters=240, passives=120, detractors=40)  # NPS 50
    before = BandCounts(promoters=220, passives=120, detractors=60)  # NPS 40
    # variances 0.7 − 0.5² = 0.45 and 0.7 − 0.4² = 0.54:
    # z = 0.1 / √(0.99 / 400) = 2.01
    assert round(nps_z(now, before), 2) == 2.01

    figures = figures_of(Kind.NPS, now, before=before, minimum=30)

    assert (figures.score, figures.change, figures.is_significant) == (
        50.0,
        10.0,
        True,
    )


def test_nps_fifty_against_forty_of_three_hundred_each_is_not_significant():
    now = BandCounts(promoters=180, passives=90, detractors=30)  # NPS 50
    before = BandCounts(promoters=165, passives=90, detractors=45)  # NPS 40
    # z = 0.1 / √(0.99 / 300) = 1.74
    assert round(nps_z(now, before), 2) == 1.74

    figures = figures_of(Kind.NPS, now, before=before, minimum=30)

    assert (figures.change, figures.is_significant) == (10.0, False)


def test_csat_eighty_against_seventy_percent_of_two_hundred_is_significant():
    now = BandCounts(promoters=160, passives=30, detractors=10)
    before = BandCounts(promoters=140, passives=40, detractors=20)
    # pooled q = 0.75: z = 0.1 / √(0.75 · 0.25 · 2/200) = 2.31 (2.33 unpooled)
    assert round(pooled_z(160, 200, 140, 200), 2) == 2.31

    figures = figures_of(Kind.CSAT, now, before=before, minimum=30)

    assert (figures.score, figures.change, figures.is_significant) == (
        80.0,
        10.0,
        True,
    )
    assert is_significant_change(Kind.CSAT, now, before) is True


def test_csat_is_compared_with_the_pooled_proportion():
    now = BandCounts(promoters=10)
    before = BandCounts(promoters=7, passives=2, detractors=1)
    # Pooled q = 17/20: z = 0.3 / √(0.85 · 0.15 · 2/10) = 1.88, not
    # significant (unpooled, 0.3 / √(0 + 0.21/10) = 2.07 would be).
    assert round(pooled_z(10, 10, 7, 10), 2) == 1.88

    assert is_significant_change(Kind.CSAT, now, before) is False
    # Ten answers a side are below a minimum sample of 30: no verdict.
    figures = figures_of(Kind.CSAT, now, before=before, minimum=30)

    assert (figures.change, figures.is_significant) == (30.0, None)


def test_ces_fifty_two_against_fifty_percent_of_a_hundred_is_not_significant():
    now = BandCounts(promoters=52, passives=28, detractors=20)
    before = BandCounts(promoters=50, passives=30, detractors=20)
    # pooled q = 0.51: z = 0.02 / √(0.51 · 0.49 · 2/100) = 0.28
    assert round(pooled_z(52, 100, 50, 100), 2) == 0.28

    figures = figures_of(Kind.CES, now, before=before, minimum=30)

    assert (figures.change, figures.is_significant) == (2.0, False)


@pytest.mark.parametrize("kind", [Kind.NPS, Kind.CSAT, Kind.CES])
def test_a_change_from_or_to_no_answers_is_unknown(kind):
    some = BandCounts(promoters=10, passives=5, detractors=5)

    after_nothing = figures_of(kind, some, before=BandCounts(), minimum=30)
    to_nothing = figures_of(kind, BandCounts(), before=some, minimum=30)

    assert (after_nothing.change, after_nothing.is_significant) == (None, None)
    assert (to_nothing.change, to_nothing.is_significant) == (None, None)
    assert is_significant_change(kind, BandCounts(), BandCounts()) is None


def test_unanimous_sides_differ_for_certain_or_not_at_all():
    all_promoters = BandCounts(promoters=5)
    all_detractors = BandCounts(detractors=5)

    assert is_significant_change(Kind.NPS, all_promoters, all_detractors) is True
    assert is_significant_change(Kind.NPS, all_promoters, all_promoters) is False
    assert (
        is_significant_change(Kind.CSAT, all_promoters, BandCounts(promoters=9))
        is False
    )
    assert (
        is_significant_change(Kind.CSAT, all_promoters, BandCounts(passives=9)) is True
    )
    assert (
        is_significant_change(Kind.CSAT, all_detractors, BandCounts(passives=3))
        is False
    )


@pytest.mark.parametrize("kind", [Kind.NPS, Kind.CSAT, Kind.CES])
def test_below_the_minimum_sample_on_either_side_there_is_no_verdict(kind):
    # NPS 100 against −100 (CSAT and CES 100 % against 0 %): certain with
    # any sample, but no verdict under the minimum.
    twenty_nine, thirty = BandCounts(promoters=29), BandCounts(detractors=30)

    assert is_significant_change(kind, twenty_nine, thirty, minimum=30) is None
    assert is_significant_change(kind, thirty, twenty_nine, minimum=30) is None
    assert is_significant_change(kind, twenty_nine, thirty, minimum=29) is True
    assert (
        figures_of(kind, twenty_nine, before=thirty, minimum=30).is_significant is None
    )
    assert (
        figures_of(kind, BandCounts(promoters=30), before=thirty, minimum=30)
    ).is_significant is True


def test_the_z_test_is_the_same_at_and_above_the_minimum_sample():
    now = BandCounts(promoters=240, passives=120, detractors=40)
    before = BandCounts(promoters=220, passives=120, detractors=60)

    assert is_significant_change(Kind.NPS, now, before, minimum=400) is True
    assert is_significant_change(Kind.NPS, now, before, minimum=401) is None
    assert is_significant_change(Kind.NPS, now, before, minimum=0) is True


def plain_values(kind: str, scores: list[int]) -> list[int]:
    """Each answer scored +1 / 0 / −1 (NPS) or 1 / 0 (CSAT, CES)."""
    if kind == Kind.NPS:
        return [1 if score >= 9 else -1 if score <= 6 else 0 for score in scores]
    return [1 if score in POSITIVE[kind] else 0 for score in scores]


def plain_figures(kind: str, scores: list[int]) -> dict:
    """Score, margin and band shares straight from the scores."""
    n = len(scores)
    if n == 0:
        return {"n": 0, "score": None, "margin": None}
    values = plain_values(kind, scores)
    mean = sum(values) / n
    # The population variance of the per-answer values.
    variance = sum((value - mean) ** 2 for value in values) / n
    return {
        "n": n,
        "score": 100 * mean,
        "margin": 1.96 * math.sqrt(variance / n) * 100,
    }


def plain_z(kind: str, scores: list[int], earlier: list[int]) -> float:
    """The z statistic of the change from `earlier` to `scores`, from the
    per-answer values: the difference of the means over its standard error,
    unpooled for NPS (a mean of +1 / 0 / −1 values), pooled for the CSAT and
    CES proportions. ±inf when both sides are unanimous and differ, 0 when
    they agree."""
    now, before = plain_values(kind, scores), plain_values(kind, earlier)
    mean_now, mean_before = sum(now) / len(now), sum(before) / len(before)
    if kind == Kind.NPS:
        variance_now = sum((x - mean_now) ** 2 for x in now) / len(now)
        variance_before = sum((x - mean_before) ** 2 for x in before) / len(before)
        error = math.sqrt(variance_now / len(now) + variance_before / len(before))
    else:
        pooled = (sum(now) + sum(before)) / (len(now) + len(before))
        error = math.sqrt(pooled * (1 - pooled) * (1 / len(now) + 1 / len(before)))
    difference = mean_now - mean_before
    if error == 0:
        return math.copysign(math.inf, difference) if difference else 0.0
    return difference / error


def plain_verdict(
    kind: str, scores: list[int], earlier: list[int], *, minimum: int
) -> bool | None:
    """Significant at 95 % (two-sided, |z| > 1.96); no verdict when either
    side has fewer than `minimum` answers, or none."""
    if len(scores) < max(minimum, 1) or len(earlier) < max(minimum, 1):
        return None
    return abs(plain_z(kind, scores, earlier)) > 1.96


def test_the_plain_z_test_gives_the_known_cases():
    nps_now = [10] * 240 + [7] * 120 + [0] * 40
    nps_before = [10] * 220 + [7] * 120 + [0] * 60
    csat_now, csat_before = [5] * 10, [5] * 7 + [3] * 2 + [1]

    assert round(plain_z(Kind.NPS, nps_now, nps_before), 2) == 2.01
    assert round(plain_z(Kind.CSAT, csat_now, csat_before), 2) == 1.88
    assert plain_z(Kind.NPS, [9], [0]) == math.inf
    assert plain_z(Kind.CES, [7, 7], [6]) == 0.0
    assert plain_verdict(Kind.NPS, nps_now, nps_before, minimum=30) is True
    assert plain_verdict(Kind.CSAT, csat_now, csat_before, minimum=1) is False
    assert plain_verdict(Kind.CSAT, csat_now, csat_before, minimum=11) is None


def assert_rounded(actual: float | None, exact: float | None) -> None:
    """`actual` is `exact` rounded to one decimal (within float noise)."""
    if exact is None:
        assert actual is None
        return
    assert actual is not None
    assert actual == round(actual, 1)
    assert abs(actual - exact) <= 0.05 + 1e-9


def scores_of(kind: str):
    return st.lists(st.sampled_from(list(scale_of(kind))), max_size=60)


@settings(max_examples=300, deadline=None)
@given(
    data=st.data(),
    kind=st.sampled_from([Kind.NPS, Kind.CSAT, Kind.CES]),
    # Small minimums often, so that most examples reach a verdict.
    minimum=st.one_of(
        st.sampled_from([0, 1, 2, 30]), st.integers(min_value=0, max_value=40)
    ),
)
def test_figures_equal_a_plain_computation_over_the_scores(data, kind, minimum):
    scores = data.draw(scores_of(kind))
    earlier = data.draw(scores_of(kind))
    expected, before = plain_figures(kind, scores), plain_figures(kind, earlier)

    figures = figures_of(
        kind, counts_of(kind, scores), before=counts_of(kind, earlier), minimum=minimum
    )

    assert figures.n == len(scores)
    assert figures.promoters + figures.passives + figures.detractors == len(scores)
    assert figures.low_sample is (len(scores) < minimum)
    assert_rounded(figures.score, expected["score"])
    assert_rounded(figures.margin, expected["margin"])
    if scores and earlier:
        assert_rounded(figures.change, expected["score"] - before["score"])
    else:
        assert figures.change is None
    verdict = plain_verdict(kind, scores, earlier, minimum=minimum)
    if verdict is not None and math.isclose(
        abs(plain_z(kind, scores, earlier)), 1.96, rel_tol=1e-9
    ):
        # On the threshold itself, float noise may tip either way.
        return
    assert figures.is_significant is verdict
    assert (
        is_significant_change(
            kind,
            counts_of(kind, scores),
            counts_of(kind, earlier),
            minimum=minimum,
        )
        is verdict
    )


def cell(stage: str, touchpoint: int, promoters: int, passives: int, detractors: int):
    counts = BandCounts(promoters=promoters, passives=passives, detractors=detractors)
    return JourneyCell(
        stage=stage,
        touchpoint=touchpoint,
        touchpoint_label=f"Touchpoint {touchpoint}",
        figures=figures_of(Kind.NPS, counts, minimum=30),
    )


def test_pain_points_rank_cells_by_their_negative_answers_among_all():
    # 100 answers in all. Impact = negative share × share of all answers
    # = detractors / 100.
    onboarding = cell("purchase", 1, promoters=2, passives=0, detractors=8)  # 0.08
    checkout = cell("purchase", 2, promoters=20, passives=10, detractors=20)  # 0.20
    support = cell("usage", 3, promoters=10, passives=5, detractors=15)  # 0.15
    renewal = cell("repurchase", 4, promoters=10, passives=0, detractors=0)  # 0

    ranked = pain_points([onboarding, checkout, support, renewal])

    assert [(point.cell, point.impact) for point in ranked] == [
        (checkout, 0.20),
        (support, 0.15),
        (onboarding, 0.08),
    ]


def test_pain_points_keep_the_worst_ones_up_to_the_limit():
    cells = [
        cell("usage", touchpoint, promoters=1, passives=0, detractors=touchpoint)
        for touchpoint in range(1, 8)
    ]

    ranked = pain_points(cells, limit=2)

    assert [point.cell.touchpoint for point in ranked] == [7, 6]
    # 35 answers of 7 + 28 detractors: 7/35 and 6/35.
    # 7/35 and 6/35, to four decimals.
    assert [round(point.impact, 4) for point in ranked] == [0.2, 0.1714]


def test_no_cells_no_pain_points():
    assert pain_points([]) == []
