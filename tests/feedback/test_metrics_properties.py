"""Property-based: the figures equal a plain computation in Python over the
same rows, from the raw answers and from the rollup."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.metrics.filters import AnswerFilter
from feedback.metrics.scores import breakdown, headline, trend, trend_by
from feedback.metrics.statistics import Score
from surveys.models import Band, Invitation, Kind, ScoreRollup, SurveyResponse, scale_of
from surveys.services.rollup import rebuild_rollup
from tests.factories import (
    CustomerFactory,
    InvitationFactory,
    SurveyFactory,
    SurveyResponseFactory,
)
from tests.feedback.metrics_helpers import BERLIN, MISSING

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("metrics_settings")]


# Property-based: the figures equal a plain computation over the same rows.

SITE_ZONE = BERLIN
# Four whole weeks across the spring change, and the four weeks before.
FIRST_DAY = date(2026, 3, 16)
LAST_DAY = date(2026, 4, 12)
SEGMENTS = ["", "smb", "enterprise"]
CUSTOMERS = 4
MINIMUM = 3


@dataclass(frozen=True)
class Row:
    id: int
    customer: int
    survey: int
    answered_at: datetime
    segment: str
    band: str

    @property
    def day(self) -> date:
        return self.answered_at.astimezone(SITE_ZONE).date()


@st.composite
def answer_rows(draw):
    kind = draw(st.sampled_from([Kind.NPS, Kind.CSAT, Kind.CES]))
    row = st.tuples(
        st.sampled_from(list(scale_of(kind))),
        # Days from FIRST_DAY, often at the ends of the ranges and on the day
        # the clocks change (13: 29 March).
        st.one_of(
            st.sampled_from([-29, -28, -1, 0, 13, 14, 27, 28]),
            st.integers(min_value=-40, max_value=40),
        ),
        # The second of the local day, often at midnight.
        st.one_of(
            st.sampled_from([0, 7200, 43200, 86399]),
            st.integers(min_value=0, max_value=24 * 3600 - 1),
        ),
        st.integers(min_value=0, max_value=CUSTOMERS - 1),
        st.integers(min_value=0, max_value=1),  # which survey of the kind
        st.sampled_from(SEGMENTS),
        # Given by the previous row's customer at the same instant: the tie
        # that "latest" breaks by the higher id.
        st.booleans(),
    )
    rows: list[tuple[int, int, int, int, int, str]] = []
    for score, days, second, customer, survey, segment, is_twin in draw(
        st.lists(row, max_size=40)
    ):
        if is_twin and rows:
            _, days, second, customer, _, _ = rows[-1]
        rows.append((score, days, second, customer, survey, segment))
    return kind, rows


def period_start(day: date, interval: str) -> date:
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.isoweekday() - 1)
    if interval == "month":
        return date(day.year, day.month, 1)
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def label_of(start: date, interval: str) -> str:
    if interval == "day":
        return start.isoformat()
    if interval == "week":
        iso = start.isocalendar()
        return f"{iso.year}-W{iso.week:02d}"
    if interval == "month":
        return f"{start.year}-{start.month:02d}"
    return f"{start.year}-Q{(start.month + 2) // 3}"


# (lowest positive score, highest negative score), from DESIGN.md.
PLAIN_BANDS: dict[str, tuple[int, int]] = {
    Kind.NPS: (9, 6),
    Kind.CSAT: (4, 2),
    Kind.CES: (5, 3),
}


def plain_band(kind: str, score: int) -> str:
    positive_from, negative_to = PLAIN_BANDS[kind]
    if score >= positive_from:
        return "promoter"
    return "detractor" if score <= negative_to else "passive"


def selection(rows: list[Row], mode: str, *, segment: str | None = None) -> list[Row]:
    """All rows, or each customer's latest (ties: the higher id); then, with
    `segment`, those of that segment: a customer whose latest answer is in
    another segment is not counted in this one."""
    if mode == "all":
        chosen = rows
    else:
        latest: dict[int, Row] = {}
        for row in rows:
            kept = latest.get(row.customer)
            if kept is None or (row.answered_at, row.id) > (
                kept.answered_at,
                kept.id,
            ):
                latest[row.customer] = row
        chosen = list(latest.values())
    return [row for row in chosen if segment is None or row.segment == segment]


def between(rows: list[Row], first: date, last: date) -> list[Row]:
    return [row for row in rows if first <= row.day <= last]


def values_of(kind: str, rows: list[Row]) -> list[int]:
    """Each answer scored +1 / 0 / −1 (NPS) or 1 / 0 (CSAT, CES)."""
    if kind == Kind.NPS:
        return [{"promoter": 1, "passive": 0, "detractor": -1}[r.band] for r in rows]
    return [1 if row.band == Band.PROMOTER else 0 for row in rows]


def z_significant(kind: str, now: list[Row], before: list[Row]) -> bool | None:
    """The two-sided z-test at 95 %; no verdict below the minimum sample on
    either side."""
    if len(now) < max(MINIMUM, 1) or len(before) < max(MINIMUM, 1):
        return None
    a, b = values_of(kind, now), values_of(kind, before)
    mean_a, mean_b = sum(a) / len(a), sum(b) / len(b)
    if kind == Kind.NPS:
        var_a = sum((x - mean_a) ** 2 for x in a) / len(a)
        var_b = sum((x - mean_b) ** 2 for x in b) / len(b)
        error = math.sqrt(var_a / len(a) + var_b / len(b))
    else:
        pooled = (sum(a) + sum(b)) / (len(a) + len(b))
        error = math.sqrt(pooled * (1 - pooled) * (1 / len(a) + 1 / len(b)))
    if error == 0:
        return mean_a != mean_b
    return abs(mean_a - mean_b) / error > 1.96


def assert_rounded(actual: float | None, exact: float | None) -> None:
    if exact is None:
        assert actual is None
        return
    assert actual is not None
    assert actual == round(actual, 1)
    assert abs(actual - exact) <= 0.05 + 1e-9


def assert_figures(
    figures: Score, kind: str, now: list[Row], before: list[Row] | None
) -> None:
    """`figures` are those of the rows `now`, changed from `before`."""
    counts = [sum(row.band == band for row in now) for band in Band.values]
    assert (figures.kind, figures.n) == (kind, len(now))
    assert [figures.promoters, figures.passives, figures.detractors] == counts
    assert figures.low_sample is (len(now) < MINIMUM)
    values = values_of(kind, now)
    if not now:
        assert (figures.score, figures.margin) == (None, None)
    else:
        mean = sum(values) / len(values)
        variance = sum((x - mean) ** 2 for x in values) / len(values)
        assert_rounded(figures.score, 100 * mean)
        assert_rounded(figures.margin, 196 * math.sqrt(variance / len(values)))
    if before is None:
        return
    if now and before:
        earlier = values_of(kind, before)
        assert_rounded(figures.change, 100 * (mean - sum(earlier) / len(earlier)))
    else:
        assert figures.change is None
    assert figures.is_significant is z_significant(kind, now, before)


@pytest.fixture
def cast():
    """The customers and the two surveys of each kind the rows refer to."""
    return {
        "customers": CustomerFactory.create_batch(CUSTOMERS),
        "surveys": {
            kind: SurveyFactory.create_batch(2, kind=kind)
            for kind in (Kind.NPS, Kind.CSAT, Kind.CES)
        },
    }


def write_rows(cast, kind: str, drawn) -> list[Row]:
    """The drawn rows as answers (each with its invitation), from scratch."""
    SurveyResponse.objects.all().delete()
    Invitation.objects.all().delete()
    specs = []
    for score, days, second, customer, survey, segment in drawn:
        midnight = datetime.combine(FIRST_DAY + timedelta(days), time(), SITE_ZONE)
        # Seconds after local midnight as the wall clock shows them: a time in
        # the spring gap moves forward, like a clock.
        wall = midnight + timedelta(seconds=second)
        specs.append(
            (
                score,
                wall.astimezone(UTC),
                cast["customers"][customer],
                cast["surveys"][kind][survey],
                segment,
            )
        )
    invitations = Invitation.objects.bulk_create(
        InvitationFactory.build(
            survey=survey,
            customer=customer,
            interaction=None,
            status=Invitation.Status.ANSWERED,
        )
        for _, _, customer, survey, _ in specs
    )
    responses = SurveyResponse.objects.bulk_create(
        SurveyResponseFactory.build(
            invitation=invitation,
            score=score,
            answered_at=answered_at,
            segment=segment,
        )
        for invitation, (score, answered_at, _, _, segment) in zip(
            invitations, specs, strict=True
        )
    )
    return [
        Row(
            id=response.pk,
            customer=response.customer_id,
            survey=response.survey_id,
            answered_at=response.answered_at,
            segment=response.segment,
            band=plain_band(kind, response.score),
        )
        for response in responses
    ]


def check_headline(
    answers: AnswerFilter, rows: list[Row], *, segment: str | None = None
) -> None:
    kind, mode = answers.kind, answers.mode
    length = LAST_DAY - FIRST_DAY + timedelta(days=1)
    now = selection(between(rows, FIRST_DAY, LAST_DAY), mode, segment=segment)
    before = selection(
        between(rows, FIRST_DAY - length, FIRST_DAY - timedelta(1)),
        mode,
        segment=segment,
    )
    assert_figures(headline(answers), kind, now, before)
    assert sorted(answers.selected().values_list("id", flat=True)) == sorted(
        row.id for row in now
    )


def trend_starts(interval: str) -> list[date]:
    return sorted(
        {
            period_start(FIRST_DAY + timedelta(days), interval)
            for days in range((LAST_DAY - FIRST_DAY).days + 1)
        }
    )


def expected_periods(
    kind: str, mode: str, rows: list[Row], interval: str, *, segment: str | None
) -> list[tuple[date, str, list[Row], list[Row]]]:
    """Each period's (start, label, rows counted, rows counted the period
    before): each customer's latest in the period first, then (`segment`)
    those of one segment."""
    buckets: dict[date, list[Row]] = defaultdict(list)
    for row in rows:
        buckets[period_start(row.day, interval)].append(row)

    def counted(start: date) -> list[Row]:
        return selection(buckets[start], mode, segment=segment)

    starts = trend_starts(interval)
    before = counted(period_start(starts[0] - timedelta(days=1), interval))
    expected = []
    for start in starts:
        now = counted(start)
        expected.append((start, label_of(start, interval), now, before))
        before = now
    return expected


def assert_periods(periods, kind: str, expected) -> None:
    assert [(p.start, p.label) for p in periods] == [
        (start, label) for start, label, _, _ in expected
    ]
    for period, (_, _, now, before) in zip(periods, expected, strict=True):
        assert_figures(period.figures, kind, now, before)


def check_trend(
    answers: AnswerFilter, rows: list[Row], interval: str, *, segment: str | None = None
) -> None:
    periods = trend(answers, interval=interval)  # type: ignore[arg-type]
    expected = expected_periods(
        answers.kind, answers.mode, rows, interval, segment=segment
    )
    assert_periods(periods, answers.kind, expected)


def check_breakdown(answers: AnswerFilter, rows: list[Row]) -> None:
    kind, mode = answers.kind, answers.mode
    length = LAST_DAY - FIRST_DAY + timedelta(days=1)
    now = selection(between(rows, FIRST_DAY, LAST_DAY), mode)
    before = selection(
        between(rows, FIRST_DAY - length, FIRST_DAY - timedelta(1)), mode
    )
    groups = breakdown(answers, by="segment")
    keys = [str(group.key) for group in groups]
    assert sorted(keys) == sorted({r.segment for r in now})
    for key, group in zip(keys, groups, strict=True):
        assert group.label == (key or MISSING)
        assert_figures(
            group.figures,
            kind,
            [row for row in now if row.segment == key],
            [row for row in before if row.segment == key],
        )
    order = [(-(g.figures.score or 0.0), -g.figures.n) for g in groups]
    assert order == sorted(order)
    # Each row is the headline of its segment.
    for group in groups:
        narrowed = AnswerFilter(
            **{**answers.__dict__, "dimensions": {"segment": group.key}}
        )
        assert headline(narrowed) == group.figures


def check_trend_by_segment(answers: AnswerFilter, rows: list[Row]) -> None:
    kind, mode = answers.kind, answers.mode
    series = trend_by(answers, by="segment", interval="week")
    expected = {
        segment: expected_periods(kind, mode, rows, "week", segment=segment)
        for segment in SEGMENTS
    }
    totals = {
        segment: sum(len(now) for _, _, now, _ in periods)
        for segment, periods in expected.items()
    }
    keys = [str(each.key) for each in series]
    assert sorted(keys) == sorted(segment for segment, total in totals.items() if total)
    # Most answers first.
    assert [totals[key] for key in keys] == sorted(
        (totals[key] for key in keys), reverse=True
    )
    for key, each in zip(keys, series, strict=True):
        assert each.label == (key or MISSING)
        assert_periods(each.periods, kind, expected[key])


@pytest.mark.parametrize("use_rollup", [False, True], ids=["raw", "rollup"])
@settings(
    max_examples=75,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(drawn=answer_rows())
def test_the_figures_equal_a_plain_computation_over_the_same_rows(
    cast, use_rollup, drawn
):
    kind, spec = drawn
    with override_settings(
        TIME_ZONE=SITE_ZONE.key,
        METRICS_MIN_SAMPLE=MINIMUM,
        METRICS_USE_ROLLUP=use_rollup,
    ):
        rows = write_rows(cast, kind, spec)
        if use_rollup:
            rebuild_rollup()
            assert ScoreRollup.objects.filter(dimension="all").count() == len(
                {(row.day, row.survey) for row in rows}
            )
        survey = cast["surveys"][kind][0].pk
        for mode in ("all", "latest"):
            answers = AnswerFilter(
                kind=kind, start=FIRST_DAY, end=LAST_DAY, mode=mode, zone=SITE_ZONE
            )
            check_headline(answers, rows)
            check_headline(
                AnswerFilter(**{**answers.__dict__, "survey": survey}),
                [row for row in rows if row.survey == survey],
            )
            smb = AnswerFilter(**{**answers.__dict__, "dimensions": {"segment": "smb"}})
            check_headline(smb, rows, segment="smb")
            for interval in ("day", "week", "month", "quarter"):
                check_trend(answers, rows, interval)
            check_trend(smb, rows, "week", segment="smb")
            check_breakdown(answers, rows)
            check_trend_by_segment(answers, rows)
