"""What a pilot measures and the plain inputs the statistics read.

Every answer is scored as its measure scores it: +1 / 0 / −1 (promoter,
passive, detractor) for NPS, 1 / 0 (positive band or not) for CSAT % and
CES %, the value itself for durations and rates. The database then needs to
send only sums: per unit and period the number of answers, their total and
their total of squares. Every estimate here is exact on those sums, so the
statistics never need one row per answer.
"""

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import NDArray

Measure = Literal["nps", "percentage", "mean"]
Group = Literal["treated", "control"]
Period = Literal["before", "after"]

# NPS is shown in points (−100…100) and shares in 0…100; means as they are.
SCALE: dict[Measure, float] = {"nps": 100.0, "percentage": 100.0, "mean": 1.0}


# A few units in the last place of a float64 sum.
ROUNDING = 64 * float(np.finfo(np.float64).eps)


class NotEnoughDataError(ValueError):
    """Raised when a group or period has no answers to estimate from."""


@dataclass(frozen=True)
class Moments:
    """n answers, the sum of their scores and the sum of their squares."""

    n: int = 0
    total: float = 0.0
    total_of_squares: float = 0.0

    @classmethod
    def of_bands(cls, *, promoters: int, passives: int, detractors: int) -> "Moments":
        """NPS answers: +1 per promoter, −1 per detractor, so the squares
        count promoters and detractors alike."""
        return cls(
            n=promoters + passives + detractors,
            total=float(promoters - detractors),
            total_of_squares=float(promoters + detractors),
        )

    @classmethod
    def of_proportion(cls, *, positive: int, n: int) -> "Moments":
        """CSAT % or CES % answers: 1 when positive, else 0."""
        return cls(n=n, total=float(positive), total_of_squares=float(positive))

    @classmethod
    def of_values(cls, values: Iterable[float]) -> "Moments":
        array = np.asarray(list(values), dtype=np.float64)
        return cls(
            n=int(array.size),
            total=float(array.sum()),
            total_of_squares=float((array**2).sum()),
        )

    def __add__(self, other: "Moments") -> "Moments":
        return Moments(
            n=self.n + other.n,
            total=self.total + other.total,
            total_of_squares=self.total_of_squares + other.total_of_squares,
        )

    @property
    def mean(self) -> float:
        """The mean score of one answer; call with n > 0."""
        return self.total / self.n


def variance_of(moments: Moments, *, measure: Measure) -> float:
    """The variance of one answer, in the answer's own units (not points).

    NPS and shares use the issue's formulas, p + d − (p − d)² and q(1 − q),
    which divide by n; durations and rates use the sample variance (n − 1),
    which is 0 for a single answer. Call with n > 0.
    """
    mean = moments.mean
    squares_about_mean = moments.total_of_squares - moments.n * mean * mean
    divisor = moments.n if measure != "mean" else moments.n - 1
    # Σx² − n·x̄² cancels: what is left below the rounding error of the sum
    # of squares is noise (identical answers would otherwise get a spread).
    if divisor <= 0 or squares_about_mean <= ROUNDING * moments.total_of_squares:
        return 0.0
    return squares_about_mean / divisor


class UnitPeriod(NamedTuple):
    """One database row: a unit's answers in one period, summed."""

    unit: Hashable
    group: Group
    period: Period
    n: int
    total: float
    total_of_squares: float


@dataclass(frozen=True)
class UnitPeriods:
    """Per-unit-and-period sums as arrays, one row per (unit, period).

    `unit` holds codes 0…units − 1; `treated` and `after` say the row's group
    and period. Rows with n = 0 are allowed and carry no weight.
    """

    unit: NDArray[np.int64]
    treated: NDArray[np.bool_]
    after: NDArray[np.bool_]
    n: NDArray[np.float64]
    total: NDArray[np.float64]
    total_of_squares: NDArray[np.float64]

    @classmethod
    def from_rows(cls, rows: Iterable[UnitPeriod]) -> "UnitPeriods":
        """Build from database rows; refuses a unit found in both groups."""
        listed = list(rows)
        if not listed:
            raise NotEnoughDataError("Neither group has any answers.")
        units, groups, periods, counts, totals, squares = zip(*listed, strict=True)
        group_of_unit: dict[Hashable, Group] = {}
        for unit, group in zip(units, groups, strict=True):
            if group_of_unit.setdefault(unit, group) != group:
                raise ValueError(
                    f"Unit {unit!r} is in both the treated and the control "
                    "group; the groups must not overlap."
                )
        codes = {unit: code for code, unit in enumerate(group_of_unit)}
        return cls(
            unit=np.fromiter((codes[unit] for unit in units), dtype=np.int64),
            treated=np.array(groups) == "treated",
            after=np.array(periods) == "after",
            n=np.array(counts, dtype=np.float64),
            total=np.array(totals, dtype=np.float64),
            total_of_squares=np.array(squares, dtype=np.float64),
        )

    @property
    def unit_count(self) -> int:
        return int(np.unique(self.unit[self.n > 0]).size)

    def moments(self, *, group: Group, period: Period) -> Moments:
        """The sums of one cell (group × period) over its units."""
        chosen = (self.treated == (group == "treated")) & (
            self.after == (period == "after")
        )
        return Moments(
            n=int(self.n[chosen].sum()),
            total=float(self.total[chosen].sum()),
            total_of_squares=float(self.total_of_squares[chosen].sum()),
        )

    def has_units_in_both_periods(self) -> bool:
        """Whether some unit answered before and after go-live: then the
        periods are not independent samples and the analysis clusters."""
        answered = self.n > 0
        before = set(self.unit[answered & ~self.after].tolist())
        after = set(self.unit[answered & self.after].tolist())
        return bool(before & after)
