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


# What comments say: the share of a sentiment, and a theme's impact.


def proportion_margin(count: int, n: int) -> float | None:
    """The 95% margin of the share count / n, in percentage points; None
    when n is 0."""
    if n == 0:
        return None
    share = count / n
    return Z_95 * math.sqrt(share * (1 - share) / n) * 100


def difference_margin(kind: str, first: BandCounts, second: BandCounts) -> float:
    """The 95% margin of score(first) − score(second), in the score's points,
    the two sets independent: for NPS 1.96 · √(v₁/n₁ + v₂/n₂) · 100 with
    v = p + d − (p − d)², for CSAT and CES the unpooled two-proportion
    1.96 · √(q₁(1 − q₁)/n₁ + q₂(1 − q₂)/n₂) · 100. Call with both n > 0."""
    error = math.sqrt(
        max(variance_of(kind, first), 0.0) / first.n
        + max(variance_of(kind, second), 0.0) / second.n
    )
    return Z_95 * error * 100


@dataclass(frozen=True)
class ThemeImpact:
    """How much the answers mentioning a theme move the score of the answers
    with a read comment. `share` is in percent of those answers; `impact` =
    (score_with − score_without) × share / 100, in the score's points, and
    `margin` the 95% margin of the difference. Below the minimum sample on
    either side the scores, impact and margin are None (too few answers)."""

    n: int
    share: float | None
    score_with: float | None
    score_without: float | None
    impact: float | None
    margin: float | None
    low_sample: bool


def theme_impact(
    kind: str, mentioning: BandCounts, read: BandCounts, *, minimum: int
) -> ThemeImpact:
    """`mentioning`: the bands of the answers whose comment mentions the
    theme; `read`: those of every answer with a read comment (a superset)."""
    without = BandCounts(
        read.promoters - mentioning.promoters,
        read.passives - mentioning.passives,
        read.detractors - mentioning.detractors,
    )
    share = None if read.n == 0 else mentioning.n / read.n
    low_sample = mentioning.n < max(minimum, 1) or without.n < max(minimum, 1)
    if low_sample or share is None:
        return ThemeImpact(
            n=mentioning.n,
            share=None if share is None else round(100 * share, 1),
            score_with=None,
            score_without=None,
            impact=None,
            margin=None,
            low_sample=True,
        )
    score_with = _points(kind, mentioning)
    score_without = _points(kind, without)
    return ThemeImpact(
        n=mentioning.n,
        share=round(100 * share, 1),
        score_with=round(score_with, 1),
        score_without=round(score_without, 1),
        impact=round((score_with - score_without) * share, 2),
        margin=round(difference_margin(kind, mentioning, without), 1),
        low_sample=False,
    )


def _points(kind: str, counts: BandCounts) -> float:
    """The score of a set of answers that is not empty."""
    if kind == NPS:
        return 100 * (counts.promoters - counts.detractors) / counts.n
    return 100 * counts.promoters / counts.n


@dataclass(frozen=True)
class ShareChange:
    """A share's move between two independent samples, in percentage
    points: `share` now, `change` from before, and whether it is more than
    chance explains (the pooled two-proportion z-test, 95%, two-sided; None
    below the minimum sample on either side)."""

    share: float | None
    change: float | None
    is_significant: bool | None


def share_change(
    count: int, n: int, count_before: int, n_before: int, *, minimum: int = 1
) -> ShareChange:
    share = None if n == 0 else count / n * 100
    if n == 0 or n_before == 0:
        return ShareChange(share=share, change=None, is_significant=None)
    change = share - count_before / n_before * 100 if share is not None else None
    if n < max(minimum, 1) or n_before < max(minimum, 1):
        return ShareChange(share=share, change=change, is_significant=None)
    pooled = (count + count_before) / (n + n_before)
    error = math.sqrt(pooled * (1 - pooled) * (1 / n + 1 / n_before))
    difference = count / n - count_before / n_before
    significant = difference != 0 if error == 0 else abs(difference / error) > Z_95
    return ShareChange(share=share, change=change, is_significant=significant)
