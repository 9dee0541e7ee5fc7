"""Per-answer test data and its plain sums, for comparing the statistics
(which read per-unit sums) with plain computations over single answers."""

from collections import defaultdict
from dataclasses import dataclass

from hypothesis import strategies as st

from pilots.statistics.effects import Effect, Estimate
from pilots.statistics.measures import Group, Period, UnitPeriod, UnitPeriods


@dataclass(frozen=True)
class Answer:
    unit: int
    group: Group
    period: Period
    score: float


def panel_of(answers: list[Answer]) -> UnitPeriods:
    """Sums per unit and period, as the database would send them."""
    sums: dict[tuple[int, Group, Period], list[float]] = defaultdict(
        lambda: [0, 0.0, 0.0]
    )
    for answer in answers:
        row = sums[(answer.unit, answer.group, answer.period)]
        row[0] += 1
        row[1] += answer.score
        row[2] += answer.score**2
    return UnitPeriods.from_rows(
        UnitPeriod(unit, group, period, int(n), total, squares)
        for (unit, group, period), (n, total, squares) in sums.items()
    )


def scores_of(answers: list[Answer], group: str, period: str) -> list[float]:
    return [a.score for a in answers if a.group == group and a.period == period]


@st.composite
def repeated_units(draw, *, unit_counts, scores, answers_per_period=(1, 6)):
    """Units, half of them treated (at least two per group), each answering
    1…6 times before and after go-live."""
    units = draw(unit_counts)
    treated_count = draw(st.integers(2, units - 2))
    answers: list[Answer] = []
    for unit in range(units):
        group: Group = "treated" if unit < treated_count else "control"
        period: Period
        for period in ("before", "after"):
            count = draw(st.integers(*answers_per_period))
            answers.extend(
                Answer(unit, group, period, draw(scores)) for _ in range(count)
            )
    return answers


def interval(result: Effect | Estimate) -> tuple[float, float]:
    """The interval's bounds, which must both be finite."""
    assert result.ci_low is not None
    assert result.ci_high is not None
    return result.ci_low, result.ci_high
