"""With fewer than 20 units answering in both periods, the effect is
tested by permuting the treated label over units: against a plain
enumeration of every assignment."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilots.statistics.effects import (
    estimate_effect,
    permutation_difference_in_differences,
)
from pilots.statistics.measures import Group, Period
from tests.pilots.answers import Answer, interval, panel_of


def drawn_answers(seed, units, treated_count, effect=0.0):
    """Units with 1…5 answers per period, each unit with its own level."""
    generator = np.random.default_rng(seed)
    answers: list[Answer] = []
    for unit in range(units):
        group: Group = "treated" if unit < treated_count else "control"
        level = generator.normal(50, 10)
        period: Period
        for period in ("before", "after"):
            shift = effect if (group, period) == ("treated", "after") else 0.0
            for _ in range(int(generator.integers(1, 6))):
                score = level + shift + generator.normal(0, 5)
                answers.append(Answer(unit, group, period, float(score)))
    return answers


def plain_did(answers, treated_units, delta=0.0):
    """Pooled DiD with `treated_units` as the treated group, after taking
    delta off every truly treated answer after go-live."""
    sums: dict[tuple[bool, str], tuple[float, int]] = {}
    for a in answers:
        pseudo = a.unit in treated_units
        score = a.score - (delta if a.group == "treated" and a.period == "after" else 0)
        total, count = sums.get((pseudo, a.period), (0.0, 0))
        sums[(pseudo, a.period)] = (total + score, count + 1)

    def mean(pseudo, period):
        total, count = sums[(pseudo, period)]
        return total / count

    return (mean(True, "after") - mean(True, "before")) - (
        mean(False, "after") - mean(False, "before")
    )


def plain_p_value(answers, units, treated_count, delta=0.0):
    observed = abs(plain_did(answers, set(range(treated_count)), delta))
    statistics = [
        abs(plain_did(answers, set(chosen), delta))
        for chosen in itertools.combinations(range(units), treated_count)
    ]
    extreme = sum(1 for s in statistics if s >= observed - 1e-9 * (1 + observed))
    return extreme / len(statistics)


@settings(deadline=None, max_examples=25)
@given(
    seed=st.integers(0, 2**32 - 1),
    units=st.integers(6, 10),
    share=st.floats(0.3, 0.7),
    effect=st.sampled_from([0.0, 5.0, 20.0]),
)
def test_the_permutation_p_value_and_interval_match_a_plain_enumeration(
    seed, units, share, effect
):
    treated_count = min(max(round(units * share), 2), units - 2)
    answers = drawn_answers(seed, units, treated_count, effect)

    result = permutation_difference_in_differences(panel_of(answers), measure="mean")

    assert result.estimate == pytest.approx(
        plain_did(answers, set(range(treated_count))), abs=1e-9
    )
    assert result.p_value == pytest.approx(
        plain_p_value(answers, units, treated_count), abs=1e-12
    )
    # With equal groups the swapped assignment always ties with the observed.
    ties = 2 if 2 * treated_count == units else 1
    smallest_p = ties / math.comb(units, treated_count)
    if smallest_p > 0.05:
        # Too few assignments for any p-value to reach α: no finite bound.
        assert (result.ci_low, result.ci_high) == (None, None)
        return
    for bound, outward in zip(interval(result), (-1, 1), strict=True):
        step = 1e-6 * (1 + abs(bound))
        assert (
            plain_p_value(answers, units, treated_count, bound + outward * step) <= 0.05
        )
        assert (
            plain_p_value(answers, units, treated_count, bound - outward * step) > 0.05
        )


def test_many_units_are_sampled_with_a_fixed_seed_close_to_the_exact_p_value():
    # 16 units, 8 treated: 12,870 assignments, more than the 9,999 drawn.
    answers = drawn_answers(seed=7, units=16, treated_count=8, effect=6.0)
    panel = panel_of(answers)
    exact = plain_p_value(answers, 16, 8)

    first = permutation_difference_in_differences(panel, measure="mean")
    second = permutation_difference_in_differences(panel, measure="mean")

    assert first == second
    # Monte Carlo error of 9,999 draws: SD at most 0.005.
    assert first.p_value == pytest.approx(exact, abs=0.02)
    assert first.p_value != exact


def test_fewer_than_20_repeated_units_use_the_permutation_test_and_20_the_regression():
    few = panel_of(drawn_answers(seed=3, units=19, treated_count=9))
    enough = panel_of(drawn_answers(seed=3, units=20, treated_count=10))

    inference = [
        estimate_effect(
            panel, measure="mean", label="observational", interim=True
        ).inference
        for panel in (few, enough)
    ]

    assert inference == ["permutation", "cluster_robust"]
