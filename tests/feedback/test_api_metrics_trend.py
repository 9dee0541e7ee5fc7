"""`/api/v1/metrics/trend/`: the figures of each period, worked out by hand,
for each kind, by a dimension, narrowed, in latest mode, and over the default
range."""

from datetime import timedelta

import pytest

from customers.models import Channel
from surveys.models import Kind
from tests.factories import SurveyFactory, SurveyResponseFactory, TouchpointFactory
from tests.feedback.metrics_api_helpers import (
    EMPTY_47,
    EMPTY_48,
    NOW,
    RANGE,
    WEEK_47,
    WEEK_48,
    answer,
    answers,
    at_noon,
    counted,
    get,
    period,
)

pytestmark = [pytest.mark.django_db, pytest.mark.now(NOW)]


# Trend


@pytest.mark.parametrize("use_rollup", [True, False])
def test_the_nps_trend_has_every_week_with_its_figures_worked_out_by_hand(
    manager, nps_survey, settings, use_rollup
):
    settings.METRICS_USE_ROLLUP = use_rollup
    # About the z-test itself: a verdict on any sample.
    settings.METRICS_MIN_SAMPLE = 1
    # The week before the range: one promoter (NPS 100), for W47's change.
    answers(nps_survey, [10], WEEK_47 - timedelta(days=5))
    answers(nps_survey, [10, 9, 9, 7, 3], WEEK_47 + timedelta(days=1))
    answers(nps_survey, [9, 0], WEEK_48 + timedelta(days=1))
    counted()

    response = get(manager, "trend", **RANGE)

    # W47: p = 3/5, d = 1/5: NPS 40; variance 0.8 − 0.4² = 0.64, margin
    # 1.96 · √(0.64 / 5) · 100 = 70.12. Change 40 − 100 = −60, z = −0.6 /
    # √(0.64/5 + 0/1) = −1.68: not significant.
    # W48: p = d = 1/2: NPS 0; variance 1, margin 1.96 · √(1/2) · 100 =
    # 138.59. Change 0 − 40 = −40, z = −0.4 / √(1/2 + 0.64/5) = −0.50.
    assert response.status_code == 200
    assert response.json() == {
        "kind": "nps",
        "interval": "week",
        "from": "2026-11-16",
        "to": "2026-11-29",
        "mode": "all",
        "by": None,
        "results": [
            period(
                "2026-11-16",
                "2026-W47",
                5,
                (3, 1, 1),
                40.0,
                70.1,
                -60.0,
                False,
                low_sample=False,
            ),
            period(
                "2026-11-23",
                "2026-W48",
                2,
                (1, 0, 1),
                0.0,
                138.6,
                -40.0,
                False,
                low_sample=False,
            ),
        ],
    }


def test_a_csat_trend_names_its_score_csat(manager):
    survey = SurveyFactory.create(kind=Kind.CSAT)
    answers(survey, [5, 4, 3, 1], WEEK_47 + timedelta(days=2))
    counted()

    response = get(manager, "trend", survey=survey.id, **RANGE)

    # 2 of 4 answers are 4–5: CSAT 50 %; margin 1.96 · √(0.25 / 4) · 100 = 49.
    assert response.status_code == 200
    assert response.json()["kind"] == "csat"
    assert response.json()["results"] == [
        {
            "period": "2026-11-16",
            "label": "2026-W47",
            "n": 4,
            "promoters": 2,
            "passives": 1,
            "detractors": 1,
            "csat": 50.0,
            "margin": 49.0,
            "low_sample": True,
            "change": None,
            "is_significant": None,
        },
        {
            "period": "2026-11-23",
            "label": "2026-W48",
            "n": 0,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
            "csat": None,
            "margin": None,
            "low_sample": True,
            "change": None,
            "is_significant": None,
        },
    ]


def test_a_ces_trend_by_kind_names_its_score_ces_and_counts_no_other_kind(
    manager, nps_survey
):
    survey = SurveyFactory.create(kind=Kind.CES)
    answers(survey, [7, 6, 5, 2], WEEK_48)
    answers(nps_survey, [10, 0], WEEK_48)
    counted()

    response = get(manager, "trend", kind="ces", interval="month", **RANGE)

    # 3 of 4 answers are 5–7: CES 75 %; margin 1.96 · √(0.75 · 0.25 / 4) · 100
    # = 42.44.
    assert response.status_code == 200
    body = response.json()
    assert (body["kind"], body["interval"]) == ("ces", "month")
    assert body["results"] == [
        {
            "period": "2026-11-01",
            "label": "2026-11",
            "n": 4,
            "promoters": 3,
            "passives": 0,
            "detractors": 1,
            "ces": 75.0,
            "margin": 42.4,
            "low_sample": True,
            "change": None,
            "is_significant": None,
        }
    ]


def test_a_trend_by_a_dimension_is_one_series_per_value_most_answers_first(
    manager, nps_survey
):
    answers(nps_survey, [10, 9, 3], WEEK_47, channel=Channel.PHONE)
    answers(nps_survey, [0], WEEK_48, channel=Channel.EMAIL)
    counted()

    response = get(manager, "trend", by="channel", **RANGE)

    # Phone: p = 2/3, d = 1/3: NPS 33.3; variance 1 − (1/3)² = 0.889, margin
    # 1.96 · √(0.889 / 3) · 100 = 106.69. Email: one detractor, no spread.
    assert response.status_code == 200
    assert response.json() == {
        "kind": "nps",
        "interval": "week",
        "from": "2026-11-16",
        "to": "2026-11-29",
        "mode": "all",
        "by": "channel",
        "limit": 100,
        "results": [
            {
                "key": "phone",
                "label": "Phone",
                "periods": [
                    period("2026-11-16", "2026-W47", 3, (2, 0, 1), 33.3, 106.7),
                    EMPTY_48,
                ],
            },
            {
                "key": "email",
                "label": "Email",
                "periods": [
                    EMPTY_47,
                    period("2026-11-23", "2026-W48", 1, (0, 0, 1), -100.0, 0.0),
                ],
            },
        ],
    }


def test_a_dimension_narrows_the_trend_to_its_answers(manager, nps_survey):
    checkout = TouchpointFactory.create(name="Checkout")
    answers(nps_survey, [10, 9], WEEK_47, touchpoint=checkout)
    answers(nps_survey, [0, 0, 0], WEEK_47)
    counted()

    response = get(manager, "trend", touchpoint=checkout.id, **RANGE)

    assert response.status_code == 200
    assert response.json()["results"] == [
        period("2026-11-16", "2026-W47", 2, (2, 0, 0), 100.0, 0.0),
        EMPTY_48,
    ]


def test_the_latest_mode_counts_each_customers_latest_answer(manager, nps_survey):
    first = answer(nps_survey, 0, WEEK_47)
    SurveyResponseFactory.create(
        invitation__survey=nps_survey,
        invitation__customer=first.customer,
        invitation__interaction__customer=first.customer,
        score=10,
        channel=Channel.PHONE,
        answered_at=at_noon(WEEK_47 + timedelta(days=1)),
    )
    counted()

    everything = get(manager, "trend", **RANGE)
    latest = get(manager, "trend", mode="latest", **RANGE)

    assert everything.json()["results"][0]["n"] == 2
    assert latest.json()["mode"] == "latest"
    assert latest.json()["results"] == [
        period("2026-11-16", "2026-W47", 1, (1, 0, 0), 100.0, 0.0),
        EMPTY_48,
    ]


def test_without_a_range_the_trend_covers_the_last_90_days(manager):
    response = get(manager, "trend")

    body = response.json()
    assert (body["from"], body["to"]) == ("2026-09-02", "2026-11-30")
    # From the week of Wednesday 2 September to the week of Monday 30 November.
    assert [each["label"] for each in body["results"]][::6] == [
        "2026-W36",
        "2026-W42",
        "2026-W48",
    ]
    assert len(body["results"]) == 14
    assert body["results"][-1]["period"] == "2026-11-30"
