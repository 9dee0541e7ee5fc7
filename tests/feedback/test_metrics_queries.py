"""The figures the database counts: worked out by hand, around midnight and
the daylight-saving changes, and against a plain computation in Python over
the same rows (property-based), from the raw answers and from the rollup."""

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feedback.metrics.filters import (
    LONGEST_RANGE_DAYS,
    AnswerFilter,
    Interval,
    MetricsQueryForm,
)
from feedback.metrics.scores import (
    Score,
    breakdown,
    headline,
    journey,
    pain_points,
    trend,
    trend_by,
)
from surveys.models import (
    Band,
    Invitation,
    Kind,
    ScoreRollup,
    SurveyResponse,
    scale_of,
)
from surveys.services.rollup import rebuild_rollup
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    InvitationFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

BERLIN = ZoneInfo("Europe/Berlin")
SHANGHAI = ZoneInfo("Asia/Shanghai")
MISSING = "—"


@pytest.fixture(autouse=True)
def metrics_settings(settings):
    settings.TIME_ZONE = "UTC"
    settings.METRICS_MIN_SAMPLE = 30


@pytest.fixture(params=[False, True], ids=["raw", "rollup"])
def counted(request, settings):
    """Each figure read from the raw answers, then from the rollup: call it
    once the answers are written (factories bypass the answer service, so the
    rollup is rebuilt)."""
    settings.METRICS_USE_ROLLUP = request.param

    def ready() -> None:
        if request.param:
            rebuild_rollup()

    return ready


def answer(survey, score: int, at: datetime, *, customer=None, **frozen):
    """One answer of `customer` (a new one by default) given at `at`."""
    invitation = InvitationFactory.create(
        survey=survey,
        customer=customer or CustomerFactory.create(),
        interaction=None,
        status=Invitation.Status.ANSWERED,
    )
    return SurveyResponseFactory.create(
        invitation=invitation, score=score, answered_at=at, **frozen
    )


def local(
    zone: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    """A wall-clock time in `zone`; `fold=1` is the second of a time that
    happens twice."""
    return datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold)


def bands(figures: Score) -> tuple[int, int, int, int]:
    return (figures.n, figures.promoters, figures.passives, figures.detractors)


def shown(periods) -> list[tuple[date, str, int]]:
    return [(period.start, period.label, period.figures.n) for period in periods]


# Hand-computed


@pytest.mark.parametrize(
    ("kind", "scores", "expected"),
    [
        # (n, promoters, passives, detractors), score
        (Kind.NPS, [0, 6, 7, 8, 9, 10], ((6, 2, 2, 2), 0.0)),
        (Kind.CSAT, [1, 2, 3, 4, 5], ((5, 2, 1, 2), 40.0)),
        (Kind.CES, [1, 3, 4, 5, 7], ((5, 2, 1, 2), 40.0)),
    ],
)
def test_the_boundary_scores_are_counted_in_their_bands(
    counted, kind, scores, expected
):
    survey = SurveyFactory.create(kind=kind)
    for score in scores:
        answer(survey, score, datetime(2026, 3, 4, 12, tzinfo=UTC))
    counted()

    figures = headline(
        AnswerFilter(kind=kind, start=date(2026, 3, 1), end=date(2026, 3, 31))
    )

    assert (bands(figures), figures.score) == expected


def test_every_score_of_every_scale_is_counted_in_its_band(counted):
    at = datetime(2026, 3, 4, 12, tzinfo=UTC)
    for kind in (Kind.NPS, Kind.CSAT, Kind.CES):
        survey = SurveyFactory.create(kind=kind)
        for score in scale_of(kind):
            answer(survey, score, at)
    counted()

    def figures(kind):
        return bands(
            headline(
                AnswerFilter(kind=kind, start=date(2026, 3, 4), end=date(2026, 3, 4))
            )
        )

    assert figures(Kind.NPS) == (11, 2, 2, 7)
    assert figures(Kind.CSAT) == (5, 2, 1, 2)
    assert figures(Kind.CES) == (7, 3, 1, 3)


def test_the_headline_by_hand_with_its_change(settings, counted):
    survey = SurveyFactory.create(kind=Kind.NPS)
    for score in (10, 9, 8, 3, 0):
        answer(survey, score, datetime(2026, 3, 10, 9, tzinfo=UTC))
    # The fortnight before: three promoters, NPS 100.
    for _ in range(3):
        answer(survey, 10, datetime(2026, 2, 20, 9, tzinfo=UTC))
    counted()

    answers = AnswerFilter(kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15))

    figures = headline(answers)

    # NPS 0, margin 1.96 · √(0.8/5) · 100 = 78.4; five answers against three
    # are below the minimum sample: no verdict on the change −100.
    assert bands(figures) == (5, 2, 1, 2)
    assert (figures.score, figures.margin, figures.low_sample) == (0.0, 78.4, True)
    assert (figures.change, figures.is_significant) == (-100.0, None)
    # With a minimum of three, z = −1 / √(0.8/5 + 0/3) = −2.5: significant.
    settings.METRICS_MIN_SAMPLE = 3
    assert headline(answers).is_significant is True


def test_the_headline_of_no_answers(counted):
    SurveyResponseFactory.create(answered_at=datetime(2026, 1, 5, tzinfo=UTC))
    counted()

    figures = headline(
        AnswerFilter(kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15))
    )

    assert figures == Score(
        kind=Kind.NPS,
        n=0,
        promoters=0,
        passives=0,
        detractors=0,
        score=None,
        margin=None,
        low_sample=True,
        change=None,
        is_significant=None,
    )


def test_the_range_holds_both_its_days_whole(counted):
    survey = SurveyFactory.create(kind=Kind.CSAT)
    answer(survey, 5, datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC))  # before
    answer(survey, 5, datetime(2026, 3, 2, 0, 0, 0, tzinfo=UTC))  # first instant
    answer(survey, 1, datetime(2026, 3, 15, 23, 59, 59, 999999, tzinfo=UTC))  # last
    answer(survey, 1, datetime(2026, 3, 16, 0, 0, 0, tzinfo=UTC))  # after
    counted()

    figures = headline(
        AnswerFilter(kind=Kind.CSAT, start=date(2026, 3, 2), end=date(2026, 3, 15))
    )

    assert bands(figures) == (2, 1, 0, 1)
    # The answer before the range is the whole previous fortnight: 100 %.
    assert (figures.score, figures.change) == (50.0, -50.0)


def test_the_kinds_never_mix(counted):
    at = datetime(2026, 3, 4, 12, tzinfo=UTC)
    answer(SurveyFactory.create(kind=Kind.NPS), 10, at)
    answer(SurveyFactory.create(kind=Kind.CSAT), 1, at)
    answer(SurveyFactory.create(kind=Kind.CES), 4, at)
    counted()

    def figures(kind):
        return bands(headline(AnswerFilter(kind=kind, start=at.date(), end=at.date())))

    assert figures(Kind.NPS) == (1, 1, 0, 0)
    assert figures(Kind.CSAT) == (1, 0, 0, 1)
    assert figures(Kind.CES) == (1, 0, 1, 0)


@pytest.fixture
def repeat_answers():
    """Four customers, seven NPS answers over two weeks (Mondays 2 and 9
    March 2026):

    customer  week of 2 March     week of 9 March     latest
    A         0                   10                  10 (promoter)
    B         10                  3                   3 (detractor)
    C         8                                       8 (passive)
    D                             9, then 6 at the    6 (detractor: the
                                  same instant        higher id wins the tie)
    """
    survey = SurveyFactory.create(kind=Kind.NPS)
    a, b, c, d = CustomerFactory.create_batch(4)

    def at(day: int) -> datetime:
        return datetime(2026, 3, day, 10, tzinfo=UTC)

    answer(survey, 0, at(3), customer=a)
    answer(survey, 10, at(10), customer=a)
    answer(survey, 10, at(4), customer=b)
    answer(survey, 3, at(11), customer=b)
    answer(survey, 8, at(5), customer=c)
    answer(survey, 9, at(12), customer=d)
    answer(survey, 6, at(12), customer=d)
    return survey


def test_latest_mode_counts_each_customer_once(counted, repeat_answers):
    counted()
    answers = AnswerFilter(
        kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15), mode="all"
    )

    every = headline(answers)
    latest = headline(AnswerFilter(**{**answers.__dict__, "mode": "latest"}))

    assert (bands(every), every.score) == ((7, 3, 1, 3), 0.0)
    # p = 1/4, d = 2/4: variance 0.75 − 0.0625; margin = 1.96 · √(0.6875/4) · 100
    assert (bands(latest), latest.score, latest.margin) == ((4, 1, 1, 2), -25.0, 81.3)
    assert SurveyResponse.objects.count() == 7
    assert sorted(
        AnswerFilter(
            kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15), mode="latest"
        )
        .selected()
        .values_list("score", flat=True)
    ) == [3, 6, 8, 10]


def test_latest_mode_counts_each_customer_once_per_period(counted, repeat_answers):
    counted()

    periods = trend(
        AnswerFilter(
            kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15), mode="latest"
        ),
        interval="week",
    )

    # Week 10: A 0, B 10, C 8. Week 11: A 10, B 3, D 6 (the tie's higher id).
    assert [(period.label, bands(period.figures)) for period in periods] == [
        ("2026-W10", (3, 1, 1, 1)),
        ("2026-W11", (3, 1, 0, 2)),
    ]
    assert [period.figures.score for period in periods] == [0.0, -33.3]
    assert [period.figures.change for period in periods] == [None, -33.3]


def test_a_trend_has_every_period_of_the_range_empty_ones_too(counted):
    survey = SurveyFactory.create(kind=Kind.NPS)
    answer(survey, 10, datetime(2025, 12, 22, 8, tzinfo=UTC))  # the week before
    answer(survey, 0, datetime(2025, 12, 29, 8, tzinfo=UTC))
    answer(survey, 9, datetime(2026, 1, 14, 8, tzinfo=UTC))
    counted()

    periods = trend(
        AnswerFilter(kind=Kind.NPS, start=date(2025, 12, 29), end=date(2026, 1, 18)),
        interval="week",
    )

    # ISO weeks: 29 December 2025 starts week 1 of 2026.
    assert shown(periods) == [
        (date(2025, 12, 29), "2026-W01", 1),
        (date(2026, 1, 5), "2026-W02", 0),
        (date(2026, 1, 12), "2026-W03", 1),
    ]
    assert [period.figures.score for period in periods] == [-100.0, None, 100.0]
    # The first one's change is from the week before the range; an empty
    # week has none, and none follows it. One answer against one is below
    # the minimum sample: no verdict.
    assert [period.figures.change for period in periods] == [-200.0, None, None]
    assert [period.figures.is_significant for period in periods] == [None, None, None]
    assert [period.figures.low_sample for period in periods] == [True, True, True]


def test_a_trend_counts_whole_periods(counted):
    survey = SurveyFactory.create(kind=Kind.NPS)
    # A Monday and a Sunday outside a range from Wednesday to Wednesday.
    answer(survey, 10, datetime(2026, 3, 2, 8, tzinfo=UTC))
    answer(survey, 0, datetime(2026, 3, 15, 8, tzinfo=UTC))
    counted()

    periods = trend(
        AnswerFilter(kind=Kind.NPS, start=date(2026, 3, 4), end=date(2026, 3, 11)),
        interval="week",
    )

    assert shown(periods) == [
        (date(2026, 3, 2), "2026-W10", 1),
        (date(2026, 3, 9), "2026-W11", 1),
    ]


def test_months_and_quarters_are_labelled_and_counted(counted):
    survey = SurveyFactory.create(kind=Kind.CES)
    for day, score in [
        (date(2025, 12, 31), 7),
        (date(2026, 1, 1), 1),
        (date(2026, 3, 31), 7),
        (date(2026, 4, 1), 5),
        (date(2026, 5, 20), 4),
    ]:
        answer(survey, score, datetime.combine(day, time(12), tzinfo=UTC))
    counted()
    answers = AnswerFilter(kind=Kind.CES, start=date(2026, 1, 1), end=date(2026, 5, 31))

    months = trend(answers, interval="month")
    quarters = trend(answers, interval="quarter")

    assert [(p.label, p.figures.n, p.figures.score) for p in months] == [
        ("2026-01", 1, 0.0),
        ("2026-02", 0, None),
        ("2026-03", 1, 100.0),
        ("2026-04", 1, 100.0),
        ("2026-05", 1, 0.0),
    ]
    assert [(p.start, p.label, p.figures.n) for p in quarters] == [
        (date(2026, 1, 1), "2026-Q1", 2),
        (date(2026, 4, 1), "2026-Q2", 2),
    ]
    # Q1's change is from Q4 2025 (one answer, 100 %): 50 − 100.
    assert [p.figures.change for p in quarters] == [-50.0, 0.0]


def test_a_breakdown_puts_the_best_score_first_ties_by_more_answers(settings, counted):
    # A minimum of one: the z-test's verdict on three answers against three.
    settings.METRICS_MIN_SAMPLE = 1
    survey = SurveyFactory.create(kind=Kind.NPS)
    now = datetime(2026, 3, 10, 9, tzinfo=UTC)
    before = datetime(2026, 2, 20, 9, tzinfo=UTC)
    for segment, scores in [
        ("enterprise", [9, 10, 7]),
        ("smb", [10, 2]),
        ("", [9]),
        ("startup", [8]),
    ]:
        for score in scores:
            answer(survey, score, now, segment=segment)
    for score in (0, 0, 10):
        answer(survey, score, before, segment="enterprise")
    counted()

    groups = breakdown(
        AnswerFilter(kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15)),
        by="segment",
    )

    assert [
        (group.key, group.label, group.figures.n, group.figures.score)
        for group in groups
    ] == [
        ("", MISSING, 1, 100.0),
        ("enterprise", "enterprise", 3, 66.7),
        ("smb", "smb", 2, 0.0),
        ("startup", "startup", 1, 0.0),
    ]
    # Enterprise: 66.7 against −33.3; variances 2/9 and 8/9, z = 1 / √(10/27)
    # = 1.64: not significant.
    assert [(g.figures.change, g.figures.is_significant) for g in groups] == [
        (None, None),
        (100.0, False),
        (None, None),
        (None, None),
    ]


@pytest.mark.parametrize(
    ("by", "expected"),
    [
        # (key, label, n, score); best score first, ties: more answers first.
        (
            "survey",
            [
                ("relationship", "Relationship", 2, 0.0),
                ("support", "After support", 1, 0.0),
            ],
        ),
        ("channel", [("email", "Email", 2, 50.0), ("phone", "Phone", 1, -100.0)]),
        ("touchpoint", [("checkout", "Checkout", 2, 50.0), (None, MISSING, 1, -100.0)]),
        ("stage", [("purchase", "Purchase", 2, 50.0), ("", MISSING, 1, -100.0)]),
        ("segment", [("smb", "smb", 2, 50.0), ("", MISSING, 1, -100.0)]),
        ("company", [("acme", "Acme", 2, 50.0), (None, MISSING, 1, -100.0)]),
        (
            "staff",
            [
                ("alice", "Alice Archer", 1, 100.0),
                ("bob", "bob", 1, 0.0),
                (None, MISSING, 1, -100.0),
            ],
        ),
    ],
)
def test_a_breakdown_by_each_dimension_keys_and_labels_its_groups(
    counted, by, expected
):
    relationship = SurveyFactory.create(kind=Kind.NPS, name="Relationship")
    support = SurveyFactory.create(kind=Kind.NPS, name="After support")
    checkout = TouchpointFactory.create(name="Checkout", stage="purchase")
    acme = CompanyFactory.create(name="Acme")
    alice = UserFactory.create(username="alice", first_name="Alice", last_name="Archer")
    bob = UserFactory.create(username="bob")
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    known = {
        "channel": "email",
        "touchpoint": checkout,
        "stage": "purchase",
        "segment": "smb",
        "company": acme,
    }
    answer(relationship, 10, at, staff=alice, **known)
    answer(support, 8, at, staff=bob, **known)
    answer(relationship, 0, at, channel="phone")
    counted()
    ids = {
        "relationship": relationship.pk,
        "support": support.pk,
        "checkout": checkout.pk,
        "acme": acme.pk,
        "alice": alice.pk,
        "bob": bob.pk,
    }

    groups = breakdown(
        AnswerFilter(kind=Kind.NPS, start=at.date(), end=at.date()), by=by
    )

    assert [
        (group.key, group.label, group.figures.n, group.figures.score)
        for group in groups
    ] == [(ids.get(key, key), label, n, score) for key, label, n, score in expected]


def test_a_filter_on_one_dimension_counts_its_answers_only(counted):
    survey = SurveyFactory.create(kind=Kind.CSAT)
    other = SurveyFactory.create(kind=Kind.CSAT)
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    answer(survey, 5, at, segment="smb", channel="email")
    answer(survey, 1, at, segment="smb", channel="phone")
    answer(survey, 4, at, segment="enterprise", channel="email")
    answer(other, 2, at, segment="smb", channel="email")
    counted()
    answers = AnswerFilter(kind=Kind.CSAT, start=at.date(), end=at.date())

    def figures(**narrowed):
        return bands(headline(AnswerFilter(**{**answers.__dict__, **narrowed})))

    assert figures() == (4, 2, 0, 2)
    assert figures(dimensions={"segment": "smb"}) == (3, 1, 0, 2)
    assert figures(dimensions={"channel": "email"}) == (3, 2, 0, 1)
    assert figures(dimensions={"segment": "smb", "channel": "email"}) == (2, 1, 0, 1)
    assert figures(survey=survey.pk) == (3, 2, 0, 1)
    assert figures(survey=other.pk, dimensions={"segment": "smb"}) == (1, 0, 0, 1)


def test_the_journey_map_and_its_pain_points_by_hand(counted):
    checkout = TouchpointFactory.create(name="Checkout", stage="purchase")
    billing = TouchpointFactory.create(name="Billing", stage="purchase")
    onboarding = TouchpointFactory.create(name="Onboarding", stage="usage")
    survey = SurveyFactory.create(kind=Kind.NPS)
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    grid = [
        ("usage", onboarding, [3, 8]),
        ("purchase", checkout, [10, 0, 0, 5]),
        ("purchase", billing, [9, 9]),
        ("awareness", None, [2, 1]),
    ]
    for stage, touchpoint, scores in grid:
        for score in scores:
            answer(survey, score, at, stage=stage, touchpoint=touchpoint)
    counted()

    cells = journey(AnswerFilter(kind=Kind.NPS, start=at.date(), end=at.date()))

    # Stages in journey order, then touchpoints by name.
    assert [
        (cell.stage, cell.touchpoint, cell.touchpoint_label, bands(cell.figures))
        for cell in cells
    ] == [
        ("awareness", None, MISSING, (2, 0, 0, 2)),
        ("purchase", billing.pk, "Billing", (2, 2, 0, 0)),
        ("purchase", checkout.pk, "Checkout", (4, 1, 0, 3)),
        ("usage", onboarding.pk, "Onboarding", (2, 0, 1, 1)),
    ]
    assert [cell.figures.score for cell in cells] == [-100.0, 100.0, -50.0, -50.0]
    # Ten answers: impact = a cell's detractors / 10.
    assert [
        (point.cell.touchpoint_label, point.impact) for point in pain_points(cells)
    ] == [
        ("Checkout", 0.3),
        (MISSING, 0.2),
        ("Onboarding", 0.1),
    ]


def tables_read(figure) -> set[str]:
    """Which of the answers and the rollup the figure read."""
    with CaptureQueriesContext(connection) as queries:
        figure()
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    return {
        model.__name__
        for model in (SurveyResponse, ScoreRollup)
        if model._meta.db_table in sql
    }


def test_the_rollup_answers_where_it_holds_the_figure(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    settings.METRICS_USE_ROLLUP = True
    answer(
        SurveyFactory.create(kind=Kind.NPS),
        9,
        datetime(2026, 3, 10, 9, tzinfo=UTC),
        segment="smb",
    )
    rebuild_rollup()
    answers = AnswerFilter(kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15))

    def read(**narrowed):
        return AnswerFilter(**{**answers.__dict__, **narrowed})

    assert tables_read(lambda: headline(answers)) == {"ScoreRollup"}
    assert tables_read(lambda: trend(answers, interval="day")) == {"ScoreRollup"}
    assert tables_read(lambda: breakdown(answers, by="segment")) == {"ScoreRollup"}
    assert tables_read(lambda: headline(read(dimensions={"stage": "usage"}))) == {
        "ScoreRollup"
    }
    # Each customer's latest answer, a zone other than TIME_ZONE, two
    # dimensions, or one the rollup leaves out: the answers themselves.
    assert tables_read(lambda: headline(read(mode="latest"))) == {"SurveyResponse"}
    assert tables_read(lambda: headline(read(zone=SHANGHAI))) == {"SurveyResponse"}
    assert tables_read(
        lambda: breakdown(read(dimensions={"stage": "usage"}), by="segment")
    ) == {"SurveyResponse"}
    assert tables_read(lambda: breakdown(answers, by="company")) == {"SurveyResponse"}
    settings.METRICS_USE_ROLLUP = False
    assert tables_read(lambda: headline(answers)) == {"SurveyResponse"}


def test_a_breakdown_with_a_limit_keeps_the_groups_with_most_answers(counted):
    survey = SurveyFactory.create(kind=Kind.NPS)
    at = datetime(2026, 3, 10, 9, tzinfo=UTC)
    for segment, scores in [
        ("big", [0, 0, 0, 10]),  # 4 answers, NPS −50
        ("middle", [10, 10, 10]),  # 3 answers, NPS 100
        ("small", [9, 9]),  # 2 answers, NPS 100
        ("tiny", [8]),  # 1 answer, NPS 0
    ]:
        for score in scores:
            answer(survey, score, at, segment=segment)
    counted()
    answers = AnswerFilter(kind=Kind.NPS, start=at.date(), end=at.date())

    def shown(limit: int | None) -> list[tuple[str | int | None, int, float | None]]:
        groups = breakdown(answers, by="segment", limit=limit)
        return [(g.key, g.figures.n, g.figures.score) for g in groups]

    # The two largest groups, still best score first.
    assert shown(2) == [("middle", 3, 100.0), ("big", 4, -50.0)]
    assert shown(3) == [("middle", 3, 100.0), ("small", 2, 100.0), ("big", 4, -50.0)]
    assert shown(0) == []
    assert (
        shown(10)
        == shown(None)
        == [
            ("middle", 3, 100.0),
            ("small", 2, 100.0),
            ("tiny", 1, 0.0),
            ("big", 4, -50.0),
        ]
    )


@pytest.mark.parametrize("mode", ["all", "latest"])
def test_a_breakdown_without_the_change_does_not_read_the_range_before(
    counted, django_assert_num_queries, mode
):
    survey = SurveyFactory.create(kind=Kind.NPS)
    answer(survey, 10, datetime(2026, 3, 10, 9, tzinfo=UTC), segment="smb")
    answer(survey, 0, datetime(2026, 2, 20, 9, tzinfo=UTC), segment="smb")
    counted()
    # The fortnight before 2 March starts on 16 February.
    answers = AnswerFilter(
        kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15), mode=mode
    )

    with django_assert_num_queries(1) as without_change:
        [alone] = breakdown(answers, by="segment", with_change=False)
    with django_assert_num_queries(1) as with_change:
        [changed] = breakdown(answers, by="segment")

    assert (alone.key, bands(alone.figures), alone.figures.score) == (
        "smb",
        (1, 1, 0, 0),
        100.0,
    )
    assert (alone.figures.change, alone.figures.is_significant) == (None, None)
    assert "2026-02-16" not in without_change.captured_queries[0]["sql"]
    assert (changed.figures.n, changed.figures.change) == (1, 200.0)
    assert "2026-02-16" in with_change.captured_queries[0]["sql"]


def test_the_journey_from_the_rollup_equals_the_live_one(settings):
    # The rollup's days are Berlin's; an answer late on the last day (UTC)
    # is the next day there.
    settings.TIME_ZONE = "Europe/Berlin"
    checkout = TouchpointFactory.create(name="Checkout", stage="purchase")
    onboarding = TouchpointFactory.create(name="Onboarding", stage="usage")
    survey, other = SurveyFactory.create_batch(2, kind=Kind.NPS)
    csat = SurveyFactory.create(kind=Kind.CSAT)
    inside = datetime(2026, 3, 10, 9, tzinfo=UTC)
    for each, score, at, stage, touchpoint in [
        (survey, 10, inside, "purchase", checkout),
        (survey, 0, inside, "purchase", checkout),
        (survey, 7, inside, "usage", onboarding),
        (survey, 3, inside, "usage", None),
        (survey, 9, inside, "", None),
        (other, 2, inside, "purchase", checkout),
        (other, 9, inside, "usage", checkout),  # moved on since
        (csat, 5, inside, "purchase", checkout),
        (survey, 0, datetime(2026, 3, 1, 22, 59, tzinfo=UTC), "usage", None),
        (survey, 0, datetime(2026, 3, 1, 23, 0, tzinfo=UTC), "usage", None),
        (survey, 10, datetime(2026, 3, 15, 22, 59, tzinfo=UTC), "usage", None),
        (survey, 10, datetime(2026, 3, 15, 23, 0, tzinfo=UTC), "usage", None),
    ]:
        answer(each, score, at, stage=stage, touchpoint=touchpoint, segment="smb")
    # The answers' own rollup rows, written as the answer service writes them.
    nps = AnswerFilter(
        kind=Kind.NPS, start=date(2026, 3, 2), end=date(2026, 3, 15), zone=BERLIN
    )

    def both(answers: AnswerFilter, read: set[str]):
        settings.METRICS_USE_ROLLUP = True
        assert tables_read(lambda: journey(answers)) == read
        from_rollup = journey(answers)
        settings.METRICS_USE_ROLLUP = False
        live = journey(answers)
        assert from_rollup == live
        return [
            (cell.stage, cell.touchpoint_label, bands(cell.figures)) for cell in live
        ]

    assert both(nps, {"ScoreRollup"}) == [
        ("purchase", "Checkout", (3, 1, 0, 2)),
        ("usage", "Checkout", (1, 1, 0, 0)),
        ("usage", "Onboarding", (1, 0, 1, 0)),
        ("usage", MISSING, (3, 1, 0, 2)),
        ("", MISSING, (1, 1, 0, 0)),
    ]
    assert both(
        AnswerFilter(**{**nps.__dict__, "survey": other.pk}), {"ScoreRollup"}
    ) == [
        ("purchase", "Checkout", (1, 0, 0, 1)),
        ("usage", "Checkout", (1, 1, 0, 0)),
    ]
    assert both(
        AnswerFilter(**{**nps.__dict__, "kind": Kind.CSAT}), {"ScoreRollup"}
    ) == [("purchase", "Checkout", (1, 1, 0, 0))]
    # A filter on a dimension besides the cell: the answers themselves.
    assert both(
        AnswerFilter(**{**nps.__dict__, "dimensions": {"segment": "smb"}}),
        {"SurveyResponse"},
    ) == both(nps, {"ScoreRollup"})


# The query string's range

TODAY = date(2026, 3, 15)


@pytest.fixture
def today(time_machine):
    time_machine.move_to(datetime(2026, 3, 15, 12, tzinfo=UTC), tick=False)


def range_asked(params: dict[str, str]) -> tuple[date | None, date | None]:
    form = MetricsQueryForm(params)
    assert form.is_valid(), form.errors
    answers = form.answer_filter()
    return answers.start, answers.end


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # Nothing: the 90 days up to today.
        ({}, (date(2025, 12, 16), TODAY)),
        # Only `to`: the 90 days up to it.
        ({"to": "2026-01-31"}, (date(2025, 11, 3), date(2026, 1, 31))),
        # Only `from`: up to today; in the future, that one day.
        ({"from": "2026-03-01"}, (date(2026, 3, 1), TODAY)),
        ({"from": "2026-03-15"}, (TODAY, TODAY)),
        ({"from": "2030-01-01"}, (date(2030, 1, 1), date(2030, 1, 1))),
        ({"from": "2026-03-15", "to": "2026-03-15"}, (TODAY, TODAY)),
        # The longest range, LONGEST_RANGE_DAYS days, with one end or both.
        ({"from": "2021-03-12"}, (date(2021, 3, 12), TODAY)),
        (
            {"from": "2021-01-01", "to": "2026-01-04"},
            (date(2021, 1, 1), date(2026, 1, 4)),
        ),
        # The first and last days asked for.
        (
            {"from": "1900-01-01", "to": "1900-01-01"},
            (date(1900, 1, 1), date(1900, 1, 1)),
        ),
        ({"to": "1900-03-31"}, (date(1900, 1, 1), date(1900, 3, 31))),
        ({"from": "2999-12-31"}, (date(2999, 12, 31), date(2999, 12, 31))),
        (
            {"from": "2999-10-03", "to": "2999-12-31"},
            (date(2999, 10, 3), date(2999, 12, 31)),
        ),
    ],
)
def test_the_range_asked_for_with_its_defaults(today, params, expected):
    assert range_asked(params) == expected


def test_the_longest_range_is_five_years_of_leap_years():
    assert (date(2026, 1, 4) - date(2021, 1, 1)).days + 1 == LONGEST_RANGE_DAYS
    assert (TODAY - date(2021, 3, 12)).days + 1 == LONGEST_RANGE_DAYS


def test_the_default_range_ends_today_in_the_sites_zone(settings, time_machine):
    # 20:00 UTC on 15 March is the 16th in Shanghai.
    settings.TIME_ZONE = "Asia/Shanghai"
    time_machine.move_to(datetime(2026, 3, 15, 20, tzinfo=UTC), tick=False)

    assert range_asked({}) == (date(2025, 12, 17), date(2026, 3, 16))
    assert range_asked({"from": "2026-03-16"}) == (date(2026, 3, 16), date(2026, 3, 16))


LONGEST = f"Ask for at most {LONGEST_RANGE_DAYS} days at once."
OUTSIDE = "Choose a day from 1900-01-01 to 2999-12-31."


@pytest.mark.parametrize(
    ("params", "errors"),
    [
        (
            {"from": "2026-03-10", "to": "2026-03-09"},
            {"to": ["The range ends before it starts."]},
        ),
        (
            {"from": "2030-01-01", "to": "2026-01-01"},
            {"to": ["The range ends before it starts."]},
        ),
        # One day longer than the longest range, with both ends or only one.
        ({"from": "2021-01-01", "to": "2026-01-05"}, {"from_": [LONGEST]}),
        ({"from": "2021-03-11"}, {"from_": [LONGEST]}),
        ({"from": "1900-01-01", "interval": "day"}, {"from_": [LONGEST]}),
        ({"from": "2026-03-01", "to": "2999-12-31"}, {"from_": [LONGEST]}),
        # Days outside 1900-01-01…2999-12-31, on the field that holds them.
        ({"from": "1899-12-31", "to": "1900-01-01"}, {"from_": [OUTSIDE]}),
        ({"from": "2999-12-31", "to": "3000-01-01"}, {"to": [OUTSIDE]}),
        ({"from": "9999-12-31"}, {"from_": [OUTSIDE]}),
        ({"to": "0001-01-05"}, {"to": [OUTSIDE]}),
        ({"from": "0001-01-01", "to": "9999-12-31"}, {"from_": [OUTSIDE]}),
        ({"from": "2026-02-30"}, {"from_": ["Enter a valid date."]}),
    ],
)
def test_a_range_that_cannot_be_counted_is_refused(today, params, errors):
    form = MetricsQueryForm(params)

    assert not form.is_valid()
    assert form.errors == errors
    assert "from_" not in form.cleaned_data or "to" not in form.cleaned_data


# Time zones: days and weeks in the filter's zone


def day_counts(
    answers: AnswerFilter, interval: Interval = "day"
) -> list[tuple[str, int]]:
    return [(p.label, p.figures.n) for p in trend(answers, interval=interval)]


@pytest.mark.parametrize("zone", [BERLIN, SHANGHAI], ids=["Berlin", "Shanghai"])
def test_the_last_second_of_a_day_and_the_next_midnight_are_two_days(
    settings, counted, zone
):
    settings.TIME_ZONE = zone.key
    survey = SurveyFactory.create(kind=Kind.NPS)
    answer(survey, 10, local(zone, 2026, 1, 14, 23, 59, 59))
    answer(survey, 0, local(zone, 2026, 1, 15, 0, 0, 0))
    answer(survey, 0, local(zone, 2026, 1, 15, 0, 0, 1))
    counted()

    days = day_counts(
        AnswerFilter(
            kind=Kind.NPS, start=date(2026, 1, 14), end=date(2026, 1, 15), zone=zone
        )
    )

    assert days == [("2026-01-14", 1), ("2026-01-15", 2)]


@pytest.mark.parametrize("zone", [BERLIN, SHANGHAI], ids=["Berlin", "Shanghai"])
def test_sunday_night_and_monday_morning_are_two_weeks(settings, counted, zone):
    settings.TIME_ZONE = zone.key
    survey = SurveyFactory.create(kind=Kind.NPS)
    answer(survey, 10, local(zone, 2026, 1, 18, 23, 30))  # Sunday
    answer(survey, 0, local(zone, 2026, 1, 19, 0, 30))  # Monday
    counted()

    weeks = trend(
        AnswerFilter(
            kind=Kind.NPS, start=date(2026, 1, 12), end=date(2026, 1, 25), zone=zone
        ),
        interval="week",
    )

    assert [(p.start, p.label, bands(p.figures)) for p in weeks] == [
        (date(2026, 1, 12), "2026-W03", (1, 1, 0, 0)),
        (date(2026, 1, 19), "2026-W04", (1, 0, 0, 1)),
    ]


def test_the_days_and_weeks_around_the_spring_change_in_berlin(settings, counted):
    # 29 March 2026: clocks go from 02:00 CET to 03:00 CEST (01:00 UTC).
    settings.TIME_ZONE = "Europe/Berlin"
    survey = SurveyFactory.create(kind=Kind.NPS)
    for fields in [
        (2026, 3, 28, 23, 30),  # Saturday, 22:30 UTC
        (2026, 3, 29, 0, 30),  # Sunday, 23:30 UTC on Saturday
        (2026, 3, 29, 3, 30),  # Sunday, just after the change, 01:30 UTC
        (2026, 3, 29, 23, 30),  # Sunday, 21:30 UTC
        (2026, 3, 30, 0, 30),  # Monday, 22:30 UTC on Sunday
    ]:
        answer(survey, 9, local(BERLIN, *fields))
    counted()
    answers = AnswerFilter(
        kind=Kind.NPS, start=date(2026, 3, 28), end=date(2026, 3, 30), zone=BERLIN
    )

    assert day_counts(answers) == [
        ("2026-03-28", 1),
        ("2026-03-29", 3),
        ("2026-03-30", 1),
    ]
    assert day_counts(answers, "week") == [("2026-W13", 4), ("2026-W14", 1)]
    assert [p.start for p in trend(answers, interval="week")] == [
        date(2026, 3, 23),
        date(2026, 3, 30),
    ]


def test_the_days_and_weeks_around_the_autumn_change_in_berlin(settings, counted):
    # 25 October 2026: clocks go from 03:00 CEST back to 02:00 CET (01:00 UTC);
    # 02:30 happens twice.
    settings.TIME_ZONE = "Europe/Berlin"
    survey = SurveyFactory.create(kind=Kind.CSAT)
    for fields, fold in [
        ((2026, 10, 24, 23, 30), 0),  # Saturday, 21:30 UTC
        ((2026, 10, 25, 0, 30), 0),  # Sunday, 22:30 UTC on Saturday
        ((2026, 10, 25, 2, 30), 0),  # Sunday, the first 02:30 (00:30 UTC)
        ((2026, 10, 25, 2, 30), 1),  # Sunday, the second 02:30 (01:30 UTC)
        ((2026, 10, 25, 23, 30), 0),  # Sunday, 22:30 UTC
        ((2026, 10, 26, 0, 30), 0),  # Monday, 23:30 UTC on Sunday
    ]:
        answer(survey, 5, local(BERLIN, *fields, fold=fold))
    counted()
    answers = AnswerFilter(
        kind=Kind.CSAT, start=date(2026, 10, 24), end=date(2026, 10, 26), zone=BERLIN
    )

    assert day_counts(answers) == [
        ("2026-10-24", 1),
        ("2026-10-25", 4),
        ("2026-10-26", 1),
    ]
    assert day_counts(answers, "week") == [("2026-W43", 5), ("2026-W44", 1)]
    assert headline(answers).n == 6


@pytest.mark.parametrize(
    ("zone", "last", "first", "labels"),
    [
        (
            BERLIN,  # CEST: 21:59:59 and 22:00:00 UTC
            (2026, 3, 31, 23, 59, 59),
            (2026, 4, 1, 0, 0, 0),
            [("2026-03", "2026-Q1"), ("2026-04", "2026-Q2")],
        ),
        (
            SHANGHAI,  # 15:30 and 16:30 UTC on 30 June
            (2026, 6, 30, 23, 30),
            (2026, 7, 1, 0, 30),
            [("2026-06", "2026-Q2"), ("2026-07", "2026-Q3")],
        ),
        (
            BERLIN,  # CET: 22:59:59 and 23:00:00 UTC
            (2025, 12, 31, 23, 59, 59),
            (2026, 1, 1, 0, 0, 0),
            [("2025-12", "2025-Q4"), ("2026-01", "2026-Q1")],
        ),
    ],
    ids=["Berlin-March", "Shanghai-June", "Berlin-New-Year"],
)
def test_month_and_quarter_ends_in_the_zone(
    settings, counted, zone, last, first, labels
):
    settings.TIME_ZONE = zone.key
    survey = SurveyFactory.create(kind=Kind.NPS)
    answer(survey, 10, local(zone, *last))
    answer(survey, 0, local(zone, *first))
    counted()
    answers = AnswerFilter(
        kind=Kind.NPS,
        start=local(zone, *last).date(),
        end=local(zone, *first).date(),
        zone=zone,
    )

    months = trend(answers, interval="month")
    quarters = trend(answers, interval="quarter")

    assert [(m.label, q.label) for m, q in zip(months, quarters, strict=True)] == labels
    assert [bands(m.figures) for m in months] == [(1, 1, 0, 0), (1, 0, 0, 1)]
    assert [bands(q.figures) for q in quarters] == [(1, 1, 0, 0), (1, 0, 0, 1)]


def test_a_zone_other_than_the_sites_counts_its_own_days(settings, counted):
    # The rollup's days are Berlin's: a Shanghai view must not read them.
    settings.TIME_ZONE = "Europe/Berlin"
    survey = SurveyFactory.create(kind=Kind.NPS)
    answer(survey, 10, datetime(2026, 1, 14, 15, 30, tzinfo=UTC))  # Berlin 14th
    answer(survey, 0, datetime(2026, 1, 14, 16, 30, tzinfo=UTC))  # Shanghai 15th
    counted()

    shanghai = AnswerFilter(
        kind=Kind.NPS, start=date(2026, 1, 14), end=date(2026, 1, 15), zone=SHANGHAI
    )
    berlin = AnswerFilter(kind=Kind.NPS, start=date(2026, 1, 14), end=date(2026, 1, 15))

    assert day_counts(shanghai) == [("2026-01-14", 1), ("2026-01-15", 1)]
    assert day_counts(berlin) == [("2026-01-14", 2), ("2026-01-15", 0)]
    assert (
        headline(
            AnswerFilter(
                kind=Kind.NPS,
                start=date(2026, 1, 15),
                end=date(2026, 1, 15),
                zone=SHANGHAI,
            )
        ).detractors
        == 1
    )


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
