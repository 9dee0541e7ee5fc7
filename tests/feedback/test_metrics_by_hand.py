"""The figures the database counts, worked out by hand: bands, headlines,
trends, breakdowns, the journey and its pain points, from the raw answers and
from the rollup, and which of the two each figure reads."""

from datetime import UTC, date, datetime, time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from feedback.metrics.filters import AnswerFilter
from feedback.metrics.scores import breakdown, headline, journey, pain_points, trend
from feedback.metrics.statistics import Score
from surveys.models import Kind, ScoreRollup, SurveyResponse, scale_of
from surveys.services.rollup import rebuild_rollup
from tests.factories import (
    CompanyFactory,
    CustomerFactory,
    SurveyFactory,
    SurveyResponseFactory,
    TouchpointFactory,
    UserFactory,
)
from tests.feedback.metrics_helpers import (
    BERLIN,
    MISSING,
    SHANGHAI,
    answer,
    bands,
    shown,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("metrics_settings")]


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
