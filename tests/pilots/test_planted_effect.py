"""Generated pilots with a known effect: the treated group gains 10 NPS
points after go-live while everyone drifts down 5. The difference-in-
differences finds +10; the treated group's before/after alone says +5."""

import numpy as np

from pilots.statistics.effects import difference, estimate_effect
from pilots.statistics.measures import Group, Period, UnitPeriod, UnitPeriods
from tests.pilots.answers import interval

ANSWERS_PER_CELL = 20_000
# (promoters, passives, detractors) shares: NPS 15 → 20 for the treated
# group (−5 drift, +10 pilot), 25 → 20 for the control group (−5 drift).
BANDS: dict[tuple[Group, Period], tuple[float, float, float]] = {
    ("treated", "before"): (0.40, 0.35, 0.25),
    ("treated", "after"): (0.43, 0.34, 0.23),
    ("control", "before"): (0.45, 0.35, 0.20),
    ("control", "after"): (0.42, 0.36, 0.22),
}


def drawn_cells(seed):
    """Different customers in each period: one unit per answer's cell."""
    generator = np.random.default_rng(seed)
    rows: list[UnitPeriod] = []
    for (group, period), shares in BANDS.items():
        promoters, passives, detractors = generator.multinomial(
            ANSWERS_PER_CELL, shares
        )
        rows.append(
            UnitPeriod(
                f"{group}-{period}",
                group,
                period,
                int(promoters + passives + detractors),
                float(promoters - detractors),
                float(promoters + detractors),
            )
        )
    return UnitPeriods.from_rows(rows)


def test_the_did_finds_the_planted_10_points_where_before_after_says_5():
    panel = drawn_cells(seed=19)

    effect = estimate_effect(panel, measure="nps", label="observational", interim=False)
    before_after = difference(
        panel.moments(group="treated", period="after"),
        panel.moments(group="treated", period="before"),
        measure="nps",
    )

    assert effect.method == "difference_in_differences"
    assert effect.inference == "independent"
    low, high = interval(effect)
    assert 5 < low < 10 < high
    before_after_low, before_after_high = interval(before_after)
    assert before_after_low < 5 < before_after_high < 10


def test_the_clustered_did_finds_the_planted_effect_on_customers_answering_twice():
    """2,000 customers, each with a level of their own, answering 2–8 times in
    each period: the regression clusters by customer."""
    generator = np.random.default_rng(20)
    customers = np.arange(2_000)
    treated = customers < 1_000
    level = np.where(treated, -0.05, 0.05) + generator.normal(0, 0.1, customers.size)
    rows: list[UnitPeriod] = []
    for period in ("before", "after"):
        # Everyone drifts down 5 points after go-live; the treated gain 10.
        change = (0.10 * treated - 0.05) if period == "after" else 0.0
        mean = np.clip(level + 0.25 + change, -0.65, 0.65)
        # Promoter and detractor shares with the customer's mean score.
        shares = np.column_stack(
            [0.35 + mean / 2, np.full_like(mean, 0.3), 0.35 - mean / 2]
        )
        counts = generator.integers(2, 9, customers.size)
        bands = generator.multinomial(counts, shares)
        rows.extend(
            UnitPeriod(
                int(customer),
                "treated" if is_treated else "control",
                period,
                int(count),
                float(promoters - detractors),
                float(promoters + detractors),
            )
            for customer, is_treated, count, (promoters, _, detractors) in zip(
                customers, treated, counts, bands, strict=True
            )
        )

    effect = estimate_effect(
        UnitPeriods.from_rows(rows), measure="nps", label="randomised", interim=False
    )

    assert effect.inference == "cluster_robust"
    low, high = interval(effect)
    assert 0 < low < 10 < high
