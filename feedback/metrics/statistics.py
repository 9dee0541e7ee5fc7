"""The statistics of NPS, CSAT % and CES % (DESIGN.md, "Scales and formulas"):
plain arithmetic on three band counts, with no Django, so that it can be
tested and reasoned about alone.

- NPS = 100 · (p − d), p and d the shares of promoters and detractors;
  margin = 1.96 · √((p + d − (p − d)²) / n) · 100.
- CSAT % and CES % = 100 · q, q the share of the positive band;
  margin = 1.96 · √(q (1 − q) / n) · 100.
- A change is significant at 95% when |z| > 1.96: for NPS
  z = (s₁ − s₂) / √(v₁/n₁ + v₂/n₂) with the variances above; for CSAT and
  CES the pooled two-proportion z-test. Below the minimum sample on either
  side there is no verdict (None), as there is no score without a warning.
"""

import math
from dataclasses import dataclass

Z_95 = 1.96
# The value of surveys.models.Kind.NPS (a TextChoices member equals its
# value): this module imports no Django, so it names the kind by its value.
NPS = "nps"


@dataclass(frozen=True)
class BandCounts:
    promoters: int = 0
    passives: int = 0
    detractors: int = 0

    @property
    def n(self) -> int:
        return self.promoters + self.passives + self.detractors

    def __add__(self, other: "BandCounts") -> "BandCounts":
        return BandCounts(
            self.promoters + other.promoters,
            self.passives + other.passives,
            self.detractors + other.detractors,
        )


@dataclass(frozen=True)
class Score:
    """The figure of one set of answers. `score` and `margin` are None when
    n is 0; `low_sample` is true below the minimum sample (and at 0)."""

    kind: str
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None
    margin: float | None
    low_sample: bool
    # Against the previous period or range; None when either side is empty.
    change: float | None = None
    is_significant: bool | None = None

    @property
    def negative_share(self) -> float | None:
        return None if self.n == 0 else self.detractors / self.n


def nps(counts: BandCounts) -> float | None:
    if counts.n == 0:
        return None
    return 100 * (counts.promoters - counts.detractors) / counts.n


def nps_variance(counts: BandCounts) -> float:
    """The variance of one answer scored +1 / 0 / −1; call with n > 0."""
    p, d = counts.promoters / counts.n, counts.detractors / counts.n
    return p + d - (p - d) ** 2


def positive_share(counts: BandCounts) -> float | None:
    return None if counts.n == 0 else counts.promoters / counts.n


def score_of(kind: str, counts: BandCounts) -> float | None:
    if kind == NPS:
        return nps(counts)
    share = positive_share(counts)
    return None if share is None else 100 * share


def variance_of(kind: str, counts: BandCounts) -> float:
    """The variance of one answer: scored +1 / 0 / −1 for NPS, 1 / 0 (positive
    or not) for CSAT and CES; call with n > 0."""
    if kind == NPS:
        return nps_variance(counts)
    share = counts.promoters / counts.n
    return share * (1 - share)


def margin_of(kind: str, counts: BandCounts) -> float | None:
    """The 95% margin of error, in the score's points."""
    if counts.n == 0:
        return None
    return Z_95 * math.sqrt(max(variance_of(kind, counts), 0.0) / counts.n) * 100


def is_significant_change(
    kind: str, now: BandCounts, before: BandCounts, *, minimum: int = 1
) -> bool | None:
    """Whether the score moved more than chance explains (95%, two-sided);
    None when either side has fewer than `minimum` answers (or none): the
    normal approximation behind z needs a fair sample on both sides — two
    unanimous answers against sixty would otherwise look certain."""
    if now.n < max(minimum, 1) or before.n < max(minimum, 1):
        return None
    if kind == NPS:
        difference = (now.promoters - now.detractors) / now.n - (
            before.promoters - before.detractors
        ) / before.n
        error = math.sqrt(nps_variance(now) / now.n + nps_variance(before) / before.n)
    else:
        pooled = (now.promoters + before.promoters) / (now.n + before.n)
        difference = now.promoters / now.n - before.promoters / before.n
        error = math.sqrt(pooled * (1 - pooled) * (1 / now.n + 1 / before.n))
    if error == 0:
        # Both sides unanimous: any difference is certain, none is no change.
        return difference != 0
    return abs(difference / error) > Z_95


def figures_of(
    kind: str,
    counts: BandCounts,
    *,
    before: BandCounts | None = None,
    minimum: int,
) -> Score:
    """The score, margin, low-sample flag and (with `before`) the change."""
    score = score_of(kind, counts)
    change = None
    significant = None
    if before is not None:
        earlier = score_of(kind, before)
        if score is not None and earlier is not None:
            change = score - earlier
        significant = is_significant_change(kind, counts, before, minimum=minimum)
    return Score(
        kind=kind,
        n=counts.n,
        promoters=counts.promoters,
        passives=counts.passives,
        detractors=counts.detractors,
        score=None if score is None else round(score, 1),
        margin=_rounded(margin_of(kind, counts)),
        low_sample=counts.n < minimum,
        change=None if change is None else round(change, 1),
        is_significant=significant,
    )


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 1)
