"""A matched control: the nearest untreated units and a balance table of
standardised mean differences, checked by hand and against a plain
computation."""

import math
import statistics

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilots.statistics.matching import (
    UnitProfile,
    balance_table,
    match_controls,
    standardised_mean_difference,
)

VALUES = st.lists(
    st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 3)),
    min_size=2,
    max_size=40,
)


@settings(deadline=None, max_examples=80)
@given(VALUES, VALUES)
def test_the_smd_is_the_difference_over_the_pooled_sample_sd(treated, control):
    pooled = (statistics.variance(treated) + statistics.variance(control)) / 2
    difference = statistics.fmean(treated) - statistics.fmean(control)

    smd = standardised_mean_difference(treated, control)

    if pooled == 0:
        assert smd == (0.0 if difference == 0 else None)
    else:
        assert smd == pytest.approx(difference / math.sqrt(pooled), abs=1e-9)


def profile(unit, score, volume, segment="retail", web=0.5):
    return UnitProfile(
        unit=unit,
        baseline_score=score,
        answer_volume=volume,
        segment=segment,
        channel_mix={"web": web, "phone": 1 - web},
    )


def test_each_treated_unit_gets_its_nearest_untreated_unit():
    treated = [profile("t1", 10, 100), profile("t2", 40, 300, segment="business")]
    candidates = [
        profile("c1", 11, 105),
        profile("c2", 40, 300, segment="retail"),
        profile("c3", 39, 290, segment="business"),
        profile("c4", 90, 1000),
    ]

    matching = match_controls(treated, candidates)

    # c2 has t2's score and volume but another segment: c3 is nearer.
    assert matching.matches == {"t1": ["c1"], "t2": ["c3"]}
    assert matching.control == ["c1", "c3"]


def test_several_matches_per_unit_come_in_order_of_distance():
    treated = [profile("t1", 50, 200)]
    candidates = [
        profile("far", 80, 200),
        profile("near", 52, 200),
        profile("mid", 60, 200),
    ]

    matching = match_controls(treated, candidates, per_unit=2)

    assert matching.matches == {"t1": ["near", "mid"]}


def test_the_balance_table_warns_above_0_1():
    treated = [profile("t1", 10, 100, web=0.2), profile("t2", 30, 100, web=0.4)]
    control = [profile("c1", 10, 100, web=0.2), profile("c2", 31, 100, web=0.4)]

    rows = {row.covariate: row for row in balance_table(treated, control)}

    # Scores 10, 30 against 10, 31: SMD −0.5 / √((200 + 220.5) / 2) = −0.0345.
    assert rows["baseline_score"].smd == pytest.approx(-0.5 / math.sqrt(210.25))
    assert rows["baseline_score"].warning is False
    assert rows["answer_volume"].smd == 0.0
    assert rows["channel:web"].smd == 0.0
    assert set(rows) == {
        "baseline_score",
        "answer_volume",
        "segment:retail",
        "channel:phone",
        "channel:web",
    }
    shifted = [profile("c1", 20, 100), profile("c2", 41, 100)]
    shifted_rows = {row.covariate: row for row in balance_table(treated, shifted)}
    assert shifted_rows["baseline_score"].warning is True


def test_a_unit_in_both_groups_is_refused():
    with pytest.raises(ValueError, match="both treated and candidates"):
        match_controls([profile("u1", 1, 1)], [profile("u1", 1, 1)])
