"""Days and weeks in the filter's zone: around midnight, between Sunday and
Monday, across the daylight-saving changes, at month and quarter ends."""

from datetime import UTC, date, datetime

import pytest

from feedback.metrics.filters import AnswerFilter, Interval
from feedback.metrics.scores import headline, trend
from surveys.models import Kind
from tests.factories import SurveyFactory
from tests.feedback.metrics_helpers import BERLIN, SHANGHAI, answer, bands, local

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("metrics_settings")]


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
